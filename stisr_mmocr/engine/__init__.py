from .distributed import setup_cpu_distributed
from .hooks import TextSRVisualizationHook
from .optimizers import GroupClipOptimWrapper
from .safe_checkpoint import load_checkpoint_safely, register_safe_loader
from .schedulers import MultiStepSharedLR
from .strict_load import (check_state_dict, load_state_dict_strictly,
                          state_dict_mismatches)

register_safe_loader()

__all__ = [
    'load_checkpoint_safely', 'register_safe_loader', 'setup_cpu_distributed',
    'TextSRVisualizationHook', 'GroupClipOptimWrapper',
    'check_state_dict', 'load_state_dict_strictly', 'state_dict_mismatches',
    'MultiStepSharedLR'
]
