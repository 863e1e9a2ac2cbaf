import torch


def _check_pair(pred: torch.Tensor, gt: torch.Tensor) -> None:
    if pred.dim() != 4 or pred.shape[1] < 3:
        raise ValueError('expected (N, C>=3, H, W) images, got '
                         f'{tuple(pred.shape)}')
    if pred.shape[0] != gt.shape[0] or pred.shape[2:] != gt.shape[2:]:
        raise ValueError(f'prediction {tuple(pred.shape)} and ground truth '
                         f'{tuple(gt.shape)} differ in shape')


def mse(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Per-image mean squared error over the RGB channels.

    Args:
        pred (torch.Tensor): (N, C, H, W) float images, [0, 1] scale.
        gt (torch.Tensor): (N, C', H, W) float images, [0, 1] scale.

    Returns:
        torch.Tensor: (N,) MSE values (float32, on the inputs' device).
    """
    _check_pair(pred, gt)
    diff = pred[:, :3].float() - gt[:, :3].float()
    return diff.pow(2).flatten(1).mean(1)


def psnr_from_mse(value: torch.Tensor) -> torch.Tensor:
    """PSNR in dB of images in [0, 1] from their MSE:
    ``20 * log10(1 / sqrt(mse))``; a zero MSE gives ``inf``."""
    return 20. * torch.log10(1. / value.sqrt())


def psnr(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB of RGB images in [0, 1] (TextZoom formula).

    ``20 * log10(1 / sqrt(mse))`` with the MSE over the first 3 channels;
    identical images give ``inf``.

    Args:
        pred (torch.Tensor): (N, C, H, W) float images in [0, 1].
        gt (torch.Tensor): (N, C', H, W) float images in [0, 1].

    Returns:
        torch.Tensor: (N,) PSNR values (float32, on the inputs' device).
    """
    return psnr_from_mse(mse(pred, gt))
