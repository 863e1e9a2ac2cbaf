import torch
import torch.nn as nn
import torch.nn.functional as F
from mmocr.registry import MODELS

from stisr_mmocr.evaluation.functional.ssim import gaussian_window


@MODELS.register_module()
class TripleSSIMLoss(nn.Module):
    """TATT's text structure consistency loss (CVPR'22 Eq. 8; the official
    ``TRI_SSIM`` of ``utils/ssim_psnr.py``): ``loss_weight * (1 - TSSIM)``,
    where TSSIM extends SSIM to three images,

        ((m1 m2 + m2 m3 + m3 m1 + C1) (s12 + s23 + s31 + C2)) /
        ((m1^2 + m2^2 + m3^2 + C1) (s1^2 + s2^2 + s3^2 + C2)),

    with Gaussian-weighted means m and (co)variances s per channel (window
    11, sigma 1.5, zero padding), C1 = 0.01^2, C2 = 0.03^2, averaged over
    every channel (the mask channel too) and pixel.

    Args:
        window_size (int): Gaussian window size. Defaults to 11.
        sigma (float): Gaussian sigma. Defaults to 1.5.
        loss_weight (float): Defaults to 10 (the official x10).
    """

    def __init__(self,
                 window_size: int = 11,
                 sigma: float = 1.5,
                 loss_weight: float = 10.) -> None:
        super().__init__()
        self.window_size = window_size
        self.sigma = sigma
        self.loss_weight = loss_weight

    def forward(self, img1: torch.Tensor, img2: torch.Tensor,
                img3: torch.Tensor) -> torch.Tensor:
        """Loss of three (N, C, H, W) images of one size."""
        if not img1.shape == img2.shape == img3.shape:
            raise ValueError('TripleSSIMLoss needs three images of one '
                             f'shape, got {tuple(img1.shape)}, '
                             f'{tuple(img2.shape)}, {tuple(img3.shape)}')
        channels = img1.shape[1]
        window = gaussian_window(self.window_size, self.sigma, img1.device)
        window = window.to(img1.dtype).expand(channels, 1, self.window_size,
                                              self.window_size)

        def blur(x: torch.Tensor) -> torch.Tensor:
            return F.conv2d(x,
                            window,
                            padding=self.window_size // 2,
                            groups=channels)

        images = (img1, img2, img3)
        means = [blur(x) for x in images]
        pairs = ((0, 1), (1, 2), (2, 0))
        mean_sum = sum(means[i] * means[j] for i, j in pairs)
        cov_sum = sum(
            blur(images[i] * images[j]) - means[i] * means[j]
            for i, j in pairs)
        sq_sum = sum(m * m for m in means)
        var_sum = sum(blur(x * x) - m * m for x, m in zip(images, means))
        c1, c2 = 0.01**2, 0.03**2
        tssim = ((mean_sum + c1) * (cov_sum + c2)) / ((sq_sum + c1) *
                                                      (var_sum + c2))
        return self.loss_weight * (1 - tssim.mean())
