from typing import List, Optional

from mmengine.dataset import BaseDataset
from mmocr.registry import DATASETS

from stisr_mmocr.structures import filter_text
from .default_words import DEFAULT_WORDS

@DATASETS.register_module()
class WordCorpusDataset(BaseDataset):
    """Words of a text corpus, for C3-STISR's language model pretraining.

    The corpus is any text file; its whitespace-separated tokens are
    normalised with :func:`filter_text` and kept when their length is within
    ``[min_len, max_len]``. Each item is ``dict(gt_text=word)``.

    Args:
        ann_file (str): The text file (joined to ``data_root``). '' uses the
            package's word list (``stisr_mmocr.datasets.default_words``,
            also the synthetic TextZoom generator's). Defaults to ''.
        voc_type (str): Vocabulary of :func:`filter_text`. Defaults to
            'lower'.
        min_len (int): Shortest word kept. Defaults to 1.
        max_len (int, optional): Longest word kept. Defaults to None.
        **kwargs: Other :class:`BaseDataset` arguments (``data_root``,
            ``pipeline``, ``test_mode``, ...).
    """

    def __init__(self,
                 ann_file: str = '',
                 voc_type: str = 'lower',
                 min_len: int = 1,
                 max_len: Optional[int] = None,
                 **kwargs) -> None:
        self.voc_type = voc_type
        self.min_len = min_len
        self.max_len = max_len
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read, normalise and filter the words."""
        if self.ann_file:
            with open(self.ann_file, encoding='utf-8') as f:
                tokens = f.read().split()
        else:
            tokens = DEFAULT_WORDS
        data_list = []
        for token in tokens:
            word = filter_text(token, self.voc_type)
            if len(word) >= self.min_len and (self.max_len is None
                                              or len(word) <= self.max_len):
                data_list.append(dict(gt_text=word))
        if not data_list:
            source = self.ann_file or 'the default word list'
            raise ValueError(f'no word of {source} has '
                             f'{self.min_len}..{self.max_len} characters')
        return data_list
