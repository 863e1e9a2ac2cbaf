from .judge_accuracy import JudgeAccuracy
from .psnr import PSNR
from .ssim import SSIM
from .text_accuracy import TextAccuracy

__all__ = ['PSNR', 'SSIM', 'JudgeAccuracy', 'TextAccuracy']
