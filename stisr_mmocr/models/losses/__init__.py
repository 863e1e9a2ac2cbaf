from .distillation_loss import DistillationLoss
from .gradient_profile_loss import GradientProfileLoss, gradient_map
from .text_ctc_loss import TextCTCLoss
from .text_focus_loss import TextFocusLoss
from .text_image_loss import TextImageLoss
from .triple_ssim_loss import TripleSSIMLoss

__all__ = [
    'DistillationLoss', 'GradientProfileLoss', 'TextCTCLoss', 'TextFocusLoss',
    'TextImageLoss', 'TripleSSIMLoss', 'gradient_map'
]
