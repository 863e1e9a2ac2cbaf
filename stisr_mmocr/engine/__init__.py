from .distributed import setup_cpu_distributed
from .file_checks import check_file, check_run_files, model_checkpoints
from .hooks import TextSRVisualizationHook
from .initializers import StrictPretrainedInit, load_pretrained
from .optimizers import GroupClipOptimWrapper
from .runners import StrictRunner
from .safe_checkpoint import (CheckpointReadError, DisallowedGlobalError,
                              checkpoint_state_dict, load_checkpoint_safely,
                              read_checkpoint)
from .schedulers import MultiStepSharedLR
from .strict_load import (check_state_dict, load_checkpoint_strictly,
                          load_state_dict_strictly, state_dict_mismatches)

__all__ = [
    'CheckpointReadError', 'DisallowedGlobalError', 'GroupClipOptimWrapper',
    'MultiStepSharedLR', 'StrictPretrainedInit', 'StrictRunner',
    'TextSRVisualizationHook', 'check_file', 'check_run_files',
    'check_state_dict', 'checkpoint_state_dict', 'load_checkpoint_safely',
    'load_checkpoint_strictly', 'load_pretrained', 'load_state_dict_strictly',
    'model_checkpoints', 'read_checkpoint', 'setup_cpu_distributed',
    'state_dict_mismatches'
]
