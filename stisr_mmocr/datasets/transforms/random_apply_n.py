from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from mmcv.transforms import BaseTransform
from mmocr.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomApplyN(BaseTransform):
    """With probability ``prob``, apply ``num`` distinct transforms drawn
    uniformly from ``transforms``, in the drawn order.

    This is timm's ``RandAugment`` with choice weights (draws without
    replacement) under a probability gate: STIRER's stage 1 runs
    ``RandAugment`` over its three quality ops with ``num_layers=2`` on 80%
    of the crops.

    Args:
        transforms (Sequence[dict | callable]): Transforms (config dicts or
            built ones) to draw from.
        num (int): How many to apply. Defaults to 2.
        prob (float): Probability of applying any. Defaults to 1.
    """

    def __init__(self,
                 transforms: Sequence[Union[dict, Callable]],
                 num: int = 2,
                 prob: float = 1.) -> None:
        self.transforms: List[Callable] = []
        for t in transforms:
            if isinstance(t, dict):
                t = TRANSFORMS.build(t)
            if not callable(t):
                raise TypeError('RandomApplyN: transforms must be config '
                                f'dicts or callables, got {type(t)}')
            self.transforms.append(t)
        if not 0 <= num <= len(self.transforms):
            raise ValueError(f'RandomApplyN: num must be in [0, '
                             f'{len(self.transforms)}] (the number of '
                             f'transforms), got {num}')
        if not 0. <= prob <= 1.:
            raise ValueError(f'RandomApplyN: prob must be in [0, 1], '
                             f'got {prob}')
        self.num = num
        self.prob = prob

    def transform(self, results: dict) -> Optional[dict]:
        if np.random.rand() >= self.prob:
            return results
        for i in np.random.choice(len(self.transforms),
                                  self.num,
                                  replace=False):
            results = self.transforms[i](results)
            if results is None:
                return None
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num={self.num}, prob={self.prob}, '
                f'transforms={self.transforms})')
