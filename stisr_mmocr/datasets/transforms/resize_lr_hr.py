from typing import Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmocr.registry import TRANSFORMS
from PIL import Image


def resize_bicubic(img: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """Resize an ``uint8`` image (H, W, C) to ``size`` = (W, H) with PIL's
    bicubic filter, as the TextZoom loaders do."""
    if img.shape[1] == size[0] and img.shape[0] == size[1]:
        return img
    return np.asarray(Image.fromarray(img).resize(size, Image.BICUBIC))


@TRANSFORMS.register_module()
class ResizeLRHR(BaseTransform):
    """Resize the LR and HR images to the fixed TextZoom sizes.

    Modified keys: ``img_lr`` and, when present, ``img_hr``.

    Args:
        lr_size (tuple[int, int]): (W, H) of the LR input. Defaults to
            (64, 16).
        hr_size (tuple[int, int]): (W, H) of the HR target. Defaults to
            (128, 32).
    """

    def __init__(self,
                 lr_size: Tuple[int, int] = (64, 16),
                 hr_size: Tuple[int, int] = (128, 32)) -> None:
        self.lr_size = tuple(lr_size)
        self.hr_size = tuple(hr_size)

    def transform(self, results: dict) -> dict:
        results['img_lr'] = resize_bicubic(results['img_lr'], self.lr_size)
        if 'img_hr' in results:
            results['img_hr'] = resize_bicubic(results['img_hr'],
                                               self.hr_size)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(lr_size={self.lr_size}, '
                f'hr_size={self.hr_size})')
