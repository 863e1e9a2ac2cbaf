"""Blocks of the C3-STISR release (the authors' ``TSRN_TL``) that the
project's TSRN layers do not already provide."""
from .info_gen import RELEASE_PADDINGS, TPGSR_PADDINGS, InfoGen

__all__ = ['InfoGen', 'RELEASE_PADDINGS', 'TPGSR_PADDINGS']
