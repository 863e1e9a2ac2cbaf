import cv2
import numpy as np
from mmocr.registry import TRANSFORMS

from .base_quality_op import BaseQualityOp


def motion_blur_kernel(k: int, angle: float, direction: float) -> np.ndarray:
    """The line kernel of imgaug's ``MotionBlur``.

    A vertical line through the centre of a ``k x k`` kernel, weighted
    linearly from ``(direction + 1) / 2`` to ``1 - (direction + 1) / 2``,
    quantised to ``uint8`` (x255), rotated by ``angle`` degrees (clockwise
    on screen, bilinear, about the kernel centre) and normalised to sum 1.

    Args:
        k (int): Odd kernel size.
        angle (float): Rotation in degrees.
        direction (float): In [-1, 1]; 0 weighs the line evenly.

    Returns:
        np.ndarray: ``float32`` kernel (k, k).
    """
    start = (float(np.clip(direction, -1., 1.)) + 1.) / 2.
    line = np.zeros((k, k), np.float32)
    line[:, k // 2] = np.linspace(start, 1. - start, num=k)
    centre = (k - 1) / 2.
    rotation = cv2.getRotationMatrix2D((centre, centre), -angle, 1.)
    rotated = cv2.warpAffine((line * 255).astype(np.uint8),
                             rotation, (k, k),
                             flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT,
                             borderValue=0)
    kernel = rotated.astype(np.float32) / 255.
    return kernel / kernel.sum()


@TRANSFORMS.register_module()
class QualityMotionBlur(BaseQualityOp):
    """STIRER's ``MotionBlur`` quality op (imgaug's ``MotionBlur(k)``).

    The kernel size is ``round(min(20 * magnitude / 10, max(3, 0.08 *
    max(H, W)))) | 1`` (9 at magnitude 5 for a 100-pixel-long crop); the
    angle is drawn from U(0, 360) and the direction from U(-1, 1), both with
    ``np.random``; each channel is filtered with :func:`motion_blur_kernel`
    (OpenCV ``filter2D``, reflected borders).

    Args: see :class:`BaseQualityOp`.
    """

    max_level = 20.
    size_factor = 0.08
    min_level = 3.
    odd = True

    def apply(self, img: np.ndarray, level: int) -> np.ndarray:
        angle = np.random.uniform(0., 360.)
        direction = np.random.uniform(-1., 1.)
        return cv2.filter2D(img, -1,
                            motion_blur_kernel(level, angle, direction))
