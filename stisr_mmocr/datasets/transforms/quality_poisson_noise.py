import numpy as np
from mmocr.registry import TRANSFORMS

from .base_quality_op import BaseQualityOp


def add_poisson_noise(img: np.ndarray, lam: float) -> np.ndarray:
    """imgaug's ``AdditivePoissonNoise(lam)``: add ``s * Poisson(lam)``
    with a fair random sign ``s``, one value per pixel shared by its
    channels, and clip to [0, 255].

    Args:
        img (np.ndarray): ``uint8`` image (H, W, C).
        lam (float): Poisson rate.

    Returns:
        np.ndarray: ``uint8`` image (H, W, C).
    """
    shape = img.shape[:2] + (1, )
    noise = np.random.poisson(lam, shape)
    noise = np.where(np.random.rand(*shape) < 0.5, -noise, noise)
    return np.clip(img.astype(np.int32) + noise, 0, 255).astype(np.uint8)


@TRANSFORMS.register_module()
class QualityPoissonNoise(BaseQualityOp):
    """STIRER's ``PoissonNoise`` quality op: :func:`add_poisson_noise` with
    ``lam = round(min(40 * magnitude / 10, max(1, 0.2 * max(H, W)))) | 1``
    (21 at magnitude 5 for a crop at least 100 pixels long).

    Args: see :class:`BaseQualityOp`.
    """

    max_level = 40.
    size_factor = 0.2
    odd = True

    def apply(self, img: np.ndarray, level: int) -> np.ndarray:
        return add_poisson_noise(img, level)
