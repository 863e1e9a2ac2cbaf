import string

import numpy as np
from mmcv.transforms import BaseTransform
from mmocr.registry import TRANSFORMS


@TRANSFORMS.register_module()
class MutateSpelling(BaseTransform):
    """Spelling mutation for language model pretraining: ``gt_text`` ->
    ``noisy_text`` by random character replacements, insertions and
    deletions (ABINet's and C3-STISR's stage 1).

    With probability ``word_prob`` a word is mutated: every character is
    edited with probability ``char_prob`` (the edit drawn uniformly from
    replace / insert / delete), at least one edit is made, and edits that
    give the word back are drawn again.

    Args:
        word_prob (float): Probability to mutate a word. Defaults to 0.9.
        char_prob (float): Probability to edit each character. Defaults to
            0.1.
        charset (str): Characters to insert or substitute. Defaults to
            digits and lowercase letters.
    """

    def __init__(
            self,
            word_prob: float = 0.9,
            char_prob: float = 0.1,
            charset: str = string.digits + string.ascii_lowercase) -> None:
        self.word_prob = word_prob
        self.char_prob = char_prob
        self.charset = charset

    def _edit(self, chars: list, i: int) -> None:
        """Apply one random edit at position ``i`` of ``chars``."""
        op = np.random.randint(3) if chars else 1
        new = self.charset[np.random.randint(len(self.charset))]
        if op == 0:
            chars[i] = new
        elif op == 1:
            chars.insert(i, new)
        else:
            del chars[i]

    def mutate(self, word: str) -> str:
        """A mutated copy of ``word``, or ``word`` itself with probability
        ``1 - word_prob``."""
        if np.random.rand() >= self.word_prob:
            return word
        while True:
            chars = list(word)
            edited = False
            for i in reversed(range(len(chars))):
                if np.random.rand() < self.char_prob:
                    self._edit(chars, i)
                    edited = True
            if not edited:
                self._edit(chars,
                           np.random.randint(len(chars)) if chars else 0)
            if ''.join(chars) != word:
                return ''.join(chars)

    def transform(self, results: dict) -> dict:
        results['noisy_text'] = self.mutate(results['gt_text'])
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(word_prob={self.word_prob}, '
                f'char_prob={self.char_prob}, charset={self.charset!r})')
