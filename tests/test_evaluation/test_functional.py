import math

import numpy as np
import pytest
import torch

from stisr_mmocr.evaluation.functional import psnr, ssim


def reference_ssim(x: np.ndarray, y: np.ndarray) -> float:
    """Direct SSIM: explicit Gaussian-weighted sums per pixel, zero padding
    of 5, C1 = 0.01^2, C2 = 0.03^2, mean over channels and pixels."""
    size, sigma = 11, 1.5
    g = np.exp(-(np.arange(size) - 5)**2 / (2 * sigma**2))
    g /= g.sum()
    w = np.outer(g, g)
    c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (5, 5), (5, 5)))
    yp = np.pad(y, ((0, 0), (5, 5), (5, 5)))
    total = 0.
    for ch in range(c):
        for i in range(h):
            for j in range(wd):
                px = xp[ch, i:i + size, j:j + size]
                py = yp[ch, i:i + size, j:j + size]
                mx, my = (w * px).sum(), (w * py).sum()
                vx = (w * px * px).sum() - mx * mx
                vy = (w * py * py).sum() - my * my
                cov = (w * px * py).sum() - mx * my
                c1, c2 = 0.01**2, 0.03**2
                total += ((2 * mx * my + c1) * (2 * cov + c2)) / (
                    (mx * mx + my * my + c1) * (vx + vy + c2))
    return total / (c * h * wd)


def test_psnr_formula_per_image():
    gen = torch.Generator().manual_seed(0)
    gt = torch.rand(3, 4, 8, 12, generator=gen)
    pred = (gt + 0.05 * torch.randn(3, 4, 8, 12, generator=gen)).clamp(0, 1)
    pred[:, 3] = 1 - gt[:, 3]  # the mask channel must not count
    out = psnr(pred, gt)
    assert out.shape == (3, )
    for i in range(3):
        mse = ((pred[i, :3].double() - gt[i, :3].double())**2).mean().item()
        assert out[i].item() == pytest.approx(
            20 * math.log10(1 / math.sqrt(mse)), rel=1e-5)
    assert torch.isinf(psnr(gt, gt)).all()


def test_ssim_matches_direct_computation():
    rng = np.random.default_rng(1)
    gt = rng.random((2, 3, 9, 14))
    pred = np.clip(gt + 0.1 * rng.standard_normal(gt.shape), 0, 1)
    out = ssim(torch.from_numpy(pred).float(), torch.from_numpy(gt).float())
    for i in range(2):
        assert out[i].item() == pytest.approx(
            reference_ssim(pred[i], gt[i]), abs=1e-5)
    same = ssim(torch.from_numpy(gt).float(), torch.from_numpy(gt).float())
    assert torch.allclose(same, torch.ones(2), atol=1e-5)


def test_shape_errors():
    with pytest.raises(ValueError, match='differ in shape'):
        psnr(torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 9))
    with pytest.raises(ValueError, match='C>=3'):
        ssim(torch.rand(2, 1, 8, 8), torch.rand(2, 1, 8, 8))
