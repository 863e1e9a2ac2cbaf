from .lmdb_text_dataset import LMDBTextDataset
from .synth_recog_lmdb_dataset import SynthRecogLMDBDataset
from .textzoom_dataset import TextZoomDataset
from .transforms import *  # noqa: F401,F403
from .word_corpus_dataset import WordCorpusDataset

__all__ = [
    'LMDBTextDataset', 'TextZoomDataset', 'SynthRecogLMDBDataset',
    'WordCorpusDataset'
]
