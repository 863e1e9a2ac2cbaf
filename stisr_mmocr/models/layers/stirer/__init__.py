"""Building blocks of STIRER (ACM MM'23), named after the official
``model/stirer.py`` so its state dicts load unchanged."""
from .drop_path import DropPath
from .rstb import RSTB, conv3_residual, upsample_one_step
from .swin import (BasicLayer, PatchEmbed, SwinTransformerBlock,
                   WindowAttention, shift_window_mask, window_partition,
                   window_token_order)
from .t5 import T5EncoderDecoder, T5LayerNorm, relative_position_bucket
from .vit import ViTEncoder

__all__ = [
    'BasicLayer', 'DropPath', 'PatchEmbed',
    'RSTB', 'SwinTransformerBlock', 'T5EncoderDecoder', 'T5LayerNorm',
    'ViTEncoder', 'WindowAttention', 'conv3_residual',
    'relative_position_bucket', 'shift_window_mask', 'upsample_one_step',
    'window_partition', 'window_token_order'
]
