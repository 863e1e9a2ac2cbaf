import torch
import torch.nn as nn
import torch.nn.functional as F
from mmocr.registry import MODELS


def gradient_map(x: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """Gradient magnitude by central differences with zero padding.

    Args:
        x (torch.Tensor): (N, C, H, W) images.
        eps (float): Added under the square root for a finite gradient.

    Returns:
        torch.Tensor: (N, C, H, W) magnitudes.
    """
    dx = F.pad(x, (0, 1, 0, 0))[..., 1:] - F.pad(x, (1, 0, 0, 0))[..., :-1]
    dy = F.pad(x, (0, 0, 0, 1))[..., 1:, :] - F.pad(x,
                                                    (0, 0, 1, 0))[..., :-1, :]
    return ((dx * 0.5).pow(2) + (dy * 0.5).pow(2) + eps).sqrt()


@MODELS.register_module()
class GradientProfileLoss(nn.Module):
    """L1 distance of the gradient maps of the RGB channels (TSRN's
    gradient prior loss).

    Args:
        loss_weight (float): Weight of the loss. Defaults to 1.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
        """Loss of (N, C, H, W) predictions against targets (first 3
        channels)."""
        return self.loss_weight * F.l1_loss(
            gradient_map(pred[:, :3]), gradient_map(target[:, :3]))
