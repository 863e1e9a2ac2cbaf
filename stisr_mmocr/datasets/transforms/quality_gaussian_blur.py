import numpy as np
from mmocr.registry import TRANSFORMS
from PIL import Image, ImageFilter

from .base_quality_op import BaseQualityOp


@TRANSFORMS.register_module()
class QualityGaussianBlur(BaseQualityOp):
    """STIRER's ``GaussianBlur`` quality op: PIL's Gaussian blur with the
    radius ``round(min(4 * magnitude / 10, max(1, 0.02 * max(H, W))))``
    (2 at magnitude 5 for crops at least 75 pixels long, else 1).

    Args: see :class:`BaseQualityOp`.
    """

    max_level = 4.
    size_factor = 0.02

    def apply(self, img: np.ndarray, level: int) -> np.ndarray:
        blurred = Image.fromarray(img).filter(ImageFilter.GaussianBlur(level))
        return np.asarray(blurred)
