from .evaluator import *  # noqa: F401,F403
from .functional import psnr, ssim
from .metrics import *  # noqa: F401,F403

__all__ = ['psnr', 'ssim']
