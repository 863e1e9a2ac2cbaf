from .text_label import filter_text
from .textsr_data_sample import TextSRDataSample

__all__ = ['TextSRDataSample', 'filter_text']
