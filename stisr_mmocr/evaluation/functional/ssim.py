import torch
import torch.nn.functional as F

from .psnr import _check_pair


def gaussian_window(size: int = 11,
                    sigma: float = 1.5,
                    device=None) -> torch.Tensor:
    """Normalised 2-D Gaussian window, (size, size), float32.

    As the official ``create_window`` (TextZoom's ``utils/ssim_psnr.py``,
    shared by TPGSR, TATT and C3-STISR): the Gaussian is evaluated in double
    precision, stored as float32 and normalised in float32.
    """
    x = torch.arange(size, dtype=torch.float64) - size // 2
    g = torch.exp(-x.pow(2) / (2 * sigma**2)).float()
    g = g / g.sum()
    return (g[:, None] * g[None, :]).to(device)


def ssim(pred: torch.Tensor,
         gt: torch.Tensor,
         window_size: int = 11,
         sigma: float = 1.5) -> torch.Tensor:
    """Per-image SSIM of RGB images in [0, 1] (TextZoom protocol).

    Gaussian window (11, sigma 1.5) applied per channel with zero padding
    ``window_size // 2``, C1 = 0.01^2, C2 = 0.03^2; the SSIM map is averaged
    over the first 3 channels and all pixels of each image.

    Args:
        pred (torch.Tensor): (N, C, H, W) float images in [0, 1].
        gt (torch.Tensor): (N, C', H, W) float images in [0, 1].
        window_size (int): Gaussian window size. Defaults to 11.
        sigma (float): Gaussian sigma. Defaults to 1.5.

    Returns:
        torch.Tensor: (N,) SSIM values (float32, on the inputs' device).
    """
    _check_pair(pred, gt)
    x, y = pred[:, :3].float(), gt[:, :3].float()
    window = gaussian_window(window_size, sigma, x.device)
    window = window.expand(3, 1, window_size, window_size).contiguous()
    pad = window_size // 2

    def blur(t: torch.Tensor) -> torch.Tensor:
        return F.conv2d(t, window, padding=pad, groups=3)

    mu_x, mu_y = blur(x), blur(y)
    mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
    var_x = blur(x * x) - mu_xx
    var_y = blur(y * y) - mu_yy
    cov = blur(x * y) - mu_xy
    c1, c2 = 0.01**2, 0.03**2
    ssim_map = ((2 * mu_xy + c1) * (2 * cov + c2)) / (
        (mu_xx + mu_yy + c1) * (var_x + var_y + c2))
    return ssim_map.flatten(1).mean(1)
