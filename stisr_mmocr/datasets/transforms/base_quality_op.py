import numpy as np
from mmcv.transforms import BaseTransform


class BaseQualityOp(BaseTransform):
    """Base of the quality degradations of STIRER's stage 1.

    The official ``utils/augment.py`` adds them to timm's RandAugment as
    ``AugmentOp`` s: an op runs with probability ``prob``; its magnitude
    (clamped to [0, 10]) sets the level ``max_level * magnitude / 10``,
    which is then capped by the image size and rounded (Python's ``round``)
    to ``round(min(level, max(min_level, size_factor * max(H, W))))``, and
    made odd for the ops with ``odd = True``.

    Subclasses set ``max_level``, ``size_factor``, ``min_level``, ``odd``
    and implement :meth:`apply`.

    Args:
        prob (float): Probability of applying the op. Defaults to 0.5
            (timm's ``rand_augment_ops``).
        magnitude (float): RandAugment magnitude in [0, 10]. Defaults to 5
            (the official ``rand_augment_transform(magnitude=5)``).
        key (str): Image to degrade (``uint8`` RGB (H, W, 3)). Defaults to
            'img_lr'.
    """

    max_level: float
    size_factor: float
    min_level: float = 1.
    odd: bool = False

    def __init__(self,
                 prob: float = 0.5,
                 magnitude: float = 5.,
                 key: str = 'img_lr') -> None:
        if not 0. <= prob <= 1.:
            raise ValueError(
                f'{self.__class__.__name__}: prob must be in [0, 1], '
                f'got {prob}')
        self.prob = prob
        self.magnitude = magnitude
        self.key = key

    def level(self, shape: tuple) -> int:
        """The op's integer level for an image of ``shape`` (H, W, ...)."""
        magnitude = max(0., min(float(self.magnitude), 10.))
        level = self.max_level * magnitude / 10.
        cap = max(self.min_level, self.size_factor * max(shape[:2]))
        level = round(min(level, cap))
        return level | 1 if self.odd else level

    def apply(self, img: np.ndarray, level: int) -> np.ndarray:
        """Degrade ``img`` (``uint8`` RGB (H, W, 3)) at ``level``."""
        raise NotImplementedError

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        img = results[self.key]
        results[self.key] = self.apply(img, self.level(img.shape))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'magnitude={self.magnitude}, key={self.key!r})')
