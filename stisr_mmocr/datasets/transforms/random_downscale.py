from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmocr.registry import TRANSFORMS

from .resize_lr_hr import resize_bicubic


@TRANSFORMS.register_module()
class RandomDownscale(BaseTransform):
    """Bicubic down-scaling of an image by a random integer factor, the
    training-mode rule of STIRER's ``LRSTR_collect_fn``.

    With ``s`` the short side of the image: nothing happens when
    ``s <= min_side``; otherwise a factor ``d`` is drawn uniformly from
    ``small_factors`` when ``s <= small_side``, else from ``factors``, and
    the image is resized to ``(W // d, H // d)`` with PIL's bicubic filter.
    The fixed LR resize (``ResizeLRHR``) follows. Put it in training
    pipelines only: the official evaluation does not down-scale.

    Modified keys: ``key``.

    Args:
        key (str): Image to down-scale. Defaults to 'img_lr'.
        factors (Sequence[int]): Factors for images with a short side above
            ``small_side``. Defaults to (1, 2, 3, 4).
        small_factors (Sequence[int]): Factors for short sides in
            (``min_side``, ``small_side``]. Defaults to (1, 2, 3).
        small_side (int): Defaults to 28.
        min_side (int): Defaults to 10.
    """

    def __init__(self,
                 key: str = 'img_lr',
                 factors: Sequence[int] = (1, 2, 3, 4),
                 small_factors: Sequence[int] = (1, 2, 3),
                 small_side: int = 28,
                 min_side: int = 10) -> None:
        for name, value in (('factors', factors), ('small_factors',
                                                   small_factors)):
            if not value or min(value) < 1:
                raise ValueError(f'RandomDownscale: {name} must be '
                                 f'integers >= 1, got {value}')
        if max(*factors, *small_factors) > min_side + 1:
            raise ValueError(f'RandomDownscale: a factor above min_side + 1 = '
                             f'{min_side + 1} shrinks a short side of '
                             f'{min_side + 1} pixels to nothing')
        self.key = key
        self.factors = tuple(int(f) for f in factors)
        self.small_factors = tuple(int(f) for f in small_factors)
        self.small_side = small_side
        self.min_side = min_side

    def transform(self, results: dict) -> dict:
        img = results[self.key]
        h, w = img.shape[:2]
        short = min(h, w)
        if short <= self.min_side:
            return results
        factors = self.small_factors if short <= self.small_side \
            else self.factors
        d = factors[np.random.randint(len(factors))]
        results[self.key] = resize_bicubic(img, (h // d, w // d))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(key={self.key!r}, '
                f'factors={self.factors}, small_factors={self.small_factors}, '
                f'small_side={self.small_side}, min_side={self.min_side})')
