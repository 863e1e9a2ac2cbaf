from .base_text_sr import BaseTextSR
from .bicubic import Bicubic
from .tsrn import TSRN

__all__ = ['BaseTextSR', 'Bicubic', 'TSRN']
