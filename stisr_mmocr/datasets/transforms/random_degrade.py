from typing import Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmocr.registry import TRANSFORMS

from stisr_mmocr.utils import bgr_to_rgb, rgb_to_bgr
from .resize_lr_hr import resize_bicubic


@TRANSFORMS.register_module()
class RandomDegrade(BaseTransform):
    """Make an LR image from a clean crop on the fly (synthetic LR/HR pairs).

    The crop is bicubic down-scaled by a random factor with the rule of
    STIRER's stage-1 collate (:class:`RandomDownscale`); then, each with its
    probability, Gaussian blur, Gaussian noise and JPEG compression are
    applied. This is the project's own degradation; STIRER's official one
    (quality ops at full resolution, then the down-scaling) is the
    ``stirer_synth_degrade_pipeline`` of
    ``configs/_base_/datasets/textzoom_pipelines.py``.

    Required keys: ``img_hr``. Added keys: ``img_lr`` (``uint8`` RGB).

    Args:
        scales (Sequence[int]): Down-scaling factors to draw from. Defaults
            to (1, 2, 3, 4).
        blur_prob (float): Probability of a Gaussian blur.
        blur_sigma (tuple[float, float]): Range of its sigma.
        noise_prob (float): Probability of additive Gaussian noise.
        noise_std (tuple[float, float]): Range of its std (0-255 scale).
        jpeg_prob (float): Probability of JPEG re-encoding.
        jpeg_quality (tuple[int, int]): Range of the JPEG quality.
    """

    def __init__(self,
                 scales: Sequence[int] = (1, 2, 3, 4),
                 blur_prob: float = 0.3,
                 blur_sigma: Tuple[float, float] = (0.2, 1.5),
                 noise_prob: float = 0.3,
                 noise_std: Tuple[float, float] = (1., 10.),
                 jpeg_prob: float = 0.3,
                 jpeg_quality: Tuple[int, int] = (30, 95)) -> None:
        if not scales or min(scales) < 1:
            raise ValueError(f'scales must be factors >= 1, got {scales}')
        self.scales = tuple(int(s) for s in scales)
        self.blur_prob = blur_prob
        self.blur_sigma = blur_sigma
        self.noise_prob = noise_prob
        self.noise_std = noise_std
        self.jpeg_prob = jpeg_prob
        self.jpeg_quality = jpeg_quality

    def transform(self, results: dict) -> dict:
        img = results['img_hr']
        h, w = img.shape[:2]
        short = min(h, w)
        scales = [s for s in self.scales if s <= 3] if short <= 28 else list(
            self.scales)
        factor = 1 if short <= 10 or not scales else int(
            np.random.choice(scales))
        lr = resize_bicubic(img, (max(1, h // factor), max(1, w // factor)))
        if np.random.rand() < self.blur_prob:
            sigma = np.random.uniform(*self.blur_sigma)
            lr = cv2.GaussianBlur(lr, (0, 0), sigma)
        if np.random.rand() < self.noise_prob:
            std = np.random.uniform(*self.noise_std)
            noisy = lr.astype(np.float32) + np.random.normal(
                0., std, lr.shape)
            lr = np.clip(noisy, 0, 255).astype(np.uint8)
        if np.random.rand() < self.jpeg_prob:
            quality = int(np.random.randint(self.jpeg_quality[0],
                                            self.jpeg_quality[1] + 1))
            ok, enc = cv2.imencode('.jpg', rgb_to_bgr(lr),
                                   [cv2.IMWRITE_JPEG_QUALITY, quality])
            if ok:
                lr = bgr_to_rgb(cv2.imdecode(enc, cv2.IMREAD_COLOR))
        results['img_lr'] = np.ascontiguousarray(lr)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scales={self.scales}, '
                f'blur_prob={self.blur_prob}, noise_prob={self.noise_prob}, '
                f'jpeg_prob={self.jpeg_prob})')
