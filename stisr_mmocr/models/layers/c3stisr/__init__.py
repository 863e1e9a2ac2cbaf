"""Components of C3-STISR's clue generator."""
from .clue_generator import C3ClueGenerator
from .clue_projection import ClueProjection
from .ctc_language_model import (ABINET_PREFIX, CTCLanguageModel,
                                 extract_weights)
from .deformable_alignment import DeformableAlignment
from .distribution_clue import DistributionClue
from .dsta import DSTA
from .gated_fusion import GatedFusion
from .linguistic_clue import LinguisticClue
from .skeleton_painter import SkeletonPainter
from .visual_clue import VisualClue

__all__ = [
    'ABINET_PREFIX', 'C3ClueGenerator', 'ClueProjection', 'CTCLanguageModel',
    'DeformableAlignment', 'DistributionClue', 'DSTA', 'GatedFusion',
    'LinguisticClue', 'SkeletonPainter', 'VisualClue', 'extract_weights'
]
