from .distributed import setup_cpu_distributed
from .file_checks import check_file, check_run_files, model_checkpoints
from .hooks import TextSRVisualizationHook
from .initializers import StrictPretrainedInit, load_pretrained
from .optimizers import GroupClipOptimWrapper
from .runners import StrictRunner
from .safe_checkpoint import (CheckpointReadError, DisallowedGlobalError,
                              load_checkpoint_safely, register_safe_loader)
from .schedulers import MultiStepSharedLR
from .strict_load import (check_state_dict, load_state_dict_strictly,
                          state_dict_mismatches)

register_safe_loader()

__all__ = [
    'CheckpointReadError', 'DisallowedGlobalError', 'GroupClipOptimWrapper',
    'MultiStepSharedLR', 'StrictPretrainedInit', 'StrictRunner',
    'TextSRVisualizationHook', 'check_file', 'check_run_files',
    'check_state_dict', 'load_checkpoint_safely', 'load_pretrained',
    'load_state_dict_strictly', 'model_checkpoints', 'register_safe_loader',
    'setup_cpu_distributed', 'state_dict_mismatches'
]
