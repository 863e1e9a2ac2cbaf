"""Scene text image super-resolution for MMOCR.

Importing the package registers its datasets, transforms, models, metrics,
evaluators, hooks and visualizers into MMOCR's registries.
"""
from . import (apis, datasets, engine, evaluation, models,  # noqa: F401
               structures, visualization)

__version__ = '0.1.0'
