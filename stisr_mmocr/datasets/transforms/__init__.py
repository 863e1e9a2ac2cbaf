from .add_mask_channel import AddMaskChannel
from .decode_text_images import DecodeTextImages
from .pack_textsr_inputs import PackTextSRInputs
from .random_degrade import RandomDegrade
from .resize_lr_hr import ResizeLRHR

__all__ = [
    'DecodeTextImages', 'RandomDegrade', 'ResizeLRHR', 'AddMaskChannel',
    'PackTextSRInputs'
]
