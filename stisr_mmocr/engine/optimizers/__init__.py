from .group_clip_optim_wrapper import GroupClipOptimWrapper

__all__ = ['GroupClipOptimWrapper']
