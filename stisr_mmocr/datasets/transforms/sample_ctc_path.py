from typing import Dict, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmocr.models.common.dictionary import Dictionary
from mmocr.registry import TASK_UTILS, TRANSFORMS


@TRANSFORMS.register_module()
class SampleCTCPath(BaseTransform):
    """Lay a string out as a random CTC alignment of ``num_frames`` frames
    (what a CTC recognizer would read), for language model pretraining.

    Every character gets at least one frame, repeated characters are split
    by a blank, and the remaining frames are spread at random as blanks
    (before, between and after characters) or character repeats. Characters
    not in the dictionary are dropped, and so are characters at the end that
    do not fit.

    Args:
        dictionary (dict or Dictionary): The recognizer's dictionary; the
            CTC blank is its padding index.
        num_frames (int): T, frames of the recognizer. Defaults to 26.
        key (str): Result key of the string. Defaults to 'noisy_text'.
    """

    def __init__(self,
                 dictionary: Union[Dict, Dictionary],
                 num_frames: int = 26,
                 key: str = 'noisy_text') -> None:
        self.dictionary = TASK_UTILS.build(dictionary) if isinstance(
            dictionary, dict) else dictionary
        if self.dictionary.padding_idx is None:
            raise ValueError('SampleCTCPath needs a dictionary with padding '
                             '(the CTC blank)')
        self.num_frames = num_frames
        self.key = key
        self._chars = set(self.dictionary.dict)

    def sample(self, text: str) -> np.ndarray:
        """A random (T, ) int64 alignment of ``text``."""
        blank = self.dictionary.padding_idx
        idx = self.dictionary.str2idx(''.join(c for c in text
                                              if c in self._chars))
        # drop characters from the end until the minimal path fits
        while idx and len(idx) + sum(
                a == b for a, b in zip(idx, idx[1:])) > self.num_frames:
            idx.pop()
        # slots: blanks before each char (2k), repeats of each char (2k + 1),
        # trailing blanks (2n); a blank must split equal neighbours
        counts = np.zeros(2 * len(idx) + 1, np.int64)
        counts[1::2] = 1
        for k in range(1, len(idx)):
            counts[2 * k] = int(idx[k] == idx[k - 1])
        spare = self.num_frames - counts.sum()
        counts += np.random.multinomial(spare,
                                        np.full(len(counts), 1 / len(counts)))
        path = []
        for k, count in enumerate(counts):
            path += [blank if k % 2 == 0 else idx[k // 2]] * int(count)
        return np.asarray(path, np.int64)

    def transform(self, results: dict) -> dict:
        results['ctc_path'] = self.sample(results[self.key])
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, '
                f'key={self.key!r})')
