from .gradient_profile_loss import GradientProfileLoss, gradient_map
from .text_image_loss import TextImageLoss

__all__ = ['GradientProfileLoss', 'TextImageLoss', 'gradient_map']
