from .distributed import setup_cpu_distributed
from .hooks import TextSRVisualizationHook
from .safe_checkpoint import load_checkpoint_safely, register_safe_loader

register_safe_loader()

__all__ = [
    'load_checkpoint_safely', 'register_safe_loader', 'setup_cpu_distributed',
    'TextSRVisualizationHook'
]
