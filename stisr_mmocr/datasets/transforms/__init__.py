from .add_mask_channel import AddMaskChannel
from .copy_image import CopyImage
from .decode_text_images import DecodeTextImages
from .mutate_spelling import MutateSpelling
from .pack_textsr_inputs import PackTextSRInputs
from .pack_word_inputs import PackWordInputs
from .quality_gaussian_blur import QualityGaussianBlur
from .quality_motion_blur import QualityMotionBlur
from .quality_poisson_noise import QualityPoissonNoise
from .random_apply_n import RandomApplyN
from .random_degrade import RandomDegrade
from .random_downscale import RandomDownscale
from .recog_img_to_lr import RecogImgToLR
from .resize_lr_hr import ResizeLRHR
from .sample_ctc_path import SampleCTCPath
from .textzoom_to_recog import TextZoomToRecog

__all__ = [
    'DecodeTextImages', 'RandomDegrade', 'ResizeLRHR', 'AddMaskChannel',
    'PackTextSRInputs', 'MutateSpelling', 'SampleCTCPath', 'PackWordInputs',
    'RecogImgToLR', 'TextZoomToRecog', 'CopyImage', 'QualityGaussianBlur',
    'QualityMotionBlur', 'QualityPoissonNoise', 'RandomApplyN',
    'RandomDownscale'
]
