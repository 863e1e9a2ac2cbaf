from .textsr_data_preprocessor import TextSRDataPreprocessor

__all__ = ['TextSRDataPreprocessor']
