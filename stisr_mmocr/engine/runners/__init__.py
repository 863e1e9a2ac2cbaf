from .strict_runner import StrictRunner

__all__ = ['StrictRunner']
