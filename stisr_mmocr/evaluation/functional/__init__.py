from .psnr import mse, psnr, psnr_from_mse
from .ssim import ssim

__all__ = ['mse', 'psnr', 'psnr_from_mse', 'ssim']
