from . import c3stisr, lemma, stirer, tatt  # noqa: F401
from .gru_block import GruBlock
from .recurrent_residual_block import RecurrentResidualBlock
from .stn_head import STNHead
from .tps_spatial_transformer import TPSSpatialTransformer
from .upsample_block import UpsampleBlock

__all__ = [
    'GruBlock', 'RecurrentResidualBlock', 'STNHead', 'TPSSpatialTransformer',
    'UpsampleBlock'
]
