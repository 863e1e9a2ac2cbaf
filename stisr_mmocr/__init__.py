"""Scene text image super-resolution for MMOCR.

Importing the package registers its datasets, transforms, models, metrics,
evaluators and engine helpers into MMOCR's registries.
"""
from . import datasets, engine, evaluation, models, structures  # noqa: F401

__version__ = '0.1.0'
