from typing import Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmocr.registry import TRANSFORMS
from PIL import Image

from stisr_mmocr.utils import reject_extra_args


def resize_bicubic(img: np.ndarray, hw: Tuple[int, int]) -> np.ndarray:
    """Resize an ``uint8`` image (H, W, C) to ``hw`` = (H, W) with PIL's
    bicubic filter, as the TextZoom loaders do."""
    height, width = hw
    if img.shape[:2] == (height, width):
        return img
    return np.asarray(Image.fromarray(img).resize((width, height),
                                                  Image.BICUBIC))


@TRANSFORMS.register_module()
class ResizeLRHR(BaseTransform):
    """Resize the LR and HR images to the fixed TextZoom sizes.

    Modified keys: ``img_lr`` and, when present, ``img_hr``.

    Args:
        lr_hw (tuple[int, int]): (H, W) of the LR input. Defaults to
            (16, 64).
        hr_hw (tuple[int, int]): (H, W) of the HR target. Defaults to
            (32, 128).
        **extra: Rejected with a ``TypeError`` that names the new name of
            an old size argument (``lr_size`` (W, H) -> ``lr_hw`` (H, W)).
    """

    def __init__(self,
                 lr_hw: Tuple[int, int] = (16, 64),
                 hr_hw: Tuple[int, int] = (32, 128),
                 **extra) -> None:
        reject_extra_args('ResizeLRHR', extra)
        self.lr_hw = tuple(lr_hw)
        self.hr_hw = tuple(hr_hw)

    def transform(self, results: dict) -> dict:
        results['img_lr'] = resize_bicubic(results['img_lr'], self.lr_hw)
        if 'img_hr' in results:
            results['img_hr'] = resize_bicubic(results['img_hr'], self.hr_hw)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(lr_hw={self.lr_hw}, '
                f'hr_hw={self.hr_hw})')
