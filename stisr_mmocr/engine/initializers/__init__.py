from .strict_pretrained_init import StrictPretrainedInit, load_pretrained

__all__ = ['StrictPretrainedInit', 'load_pretrained']
