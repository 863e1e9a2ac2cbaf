from .multi_step_shared_lr import MultiStepSharedLR

__all__ = ['MultiStepSharedLR']
