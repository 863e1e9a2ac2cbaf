from .add_mask_channel import AddMaskChannel
from .decode_text_images import DecodeTextImages
from .mutate_spelling import MutateSpelling
from .pack_textsr_inputs import PackTextSRInputs
from .pack_word_inputs import PackWordInputs
from .random_degrade import RandomDegrade
from .recog_img_to_lr import RecogImgToLR
from .resize_lr_hr import ResizeLRHR
from .sample_ctc_path import SampleCTCPath
from .textzoom_to_recog import TextZoomToRecog

__all__ = [
    'DecodeTextImages', 'RandomDegrade', 'ResizeLRHR', 'AddMaskChannel',
    'PackTextSRInputs', 'MutateSpelling', 'SampleCTCPath', 'PackWordInputs',
    'RecogImgToLR', 'TextZoomToRecog'
]
