"""Parts of LEMMA (``csguoh/LEMMA`` ``model/lemma.py``,
``model/Position_aware_module.py``) with the official module names, so
that the authors' checkpoints load as they are."""
from .abinet_vision import BaseVision, PositionAttention, ResTranformer
from .affine_modulate import AffineModulate
from .affine_residual_block import RecurrentResidualBlockAffine
from .bcn_language import BCNLanguage
from .guidance_generator import GuidanceGenerator
from .position_aware_module import PositionAwareModule
from .resnet45 import ResNet45

__all__ = [
    'AffineModulate', 'BCNLanguage', 'BaseVision', 'GuidanceGenerator',
    'PositionAttention', 'PositionAwareModule', 'RecurrentResidualBlockAffine',
    'ResNet45', 'ResTranformer'
]
