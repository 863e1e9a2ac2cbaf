from .colour import (GRAY_WEIGHTS, bgr_to_rgb, gray_to_rgb,
                     rgb_to_bgr, rgb_to_gray, rgb_to_loaded_channels,
                     tensor_rgb_to_bgr, tensor_rgb_to_gray)
from .size_args import (RENAMED_PART_ARGS, RENAMED_SIZE_ARGS,
                        reject_extra_args, renamed_size_hint)

__all__ = [
    'GRAY_WEIGHTS', 'RENAMED_PART_ARGS', 'RENAMED_SIZE_ARGS', 'bgr_to_rgb',
    'gray_to_rgb', 'reject_extra_args', 'renamed_size_hint', 'rgb_to_bgr',
    'rgb_to_gray', 'rgb_to_loaded_channels', 'tensor_rgb_to_bgr',
    'tensor_rgb_to_gray'
]
