from .textsr_inferencer import TextSRInferencer

__all__ = ['TextSRInferencer']
