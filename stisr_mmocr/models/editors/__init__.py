from .base_text_sr import BaseTextSR
from .bicubic import Bicubic
from .c3stisr import C3STISR
from .c3stisr_lm_pretrainer import C3LMPretrainer
from .c3stisr_release import C3STISRRelease
from .lemma import LEMMA
from .recognizer_guided_sr import RecognizerGuidedSR
from .sr_recognizer_cascade import SRRecognizerCascade
from .stirer import STIRER
from .tatt import TATT
from .tsrn import TSRN

__all__ = [
    'BaseTextSR', 'Bicubic', 'C3LMPretrainer', 'C3STISR', 'C3STISRRelease',
    'LEMMA', 'RecognizerGuidedSR', 'SRRecognizerCascade', 'STIRER', 'TATT',
    'TSRN'
]
