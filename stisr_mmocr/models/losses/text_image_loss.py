import torch
import torch.nn as nn
import torch.nn.functional as F
from mmocr.registry import MODELS

from .gradient_profile_loss import GradientProfileLoss


@MODELS.register_module()
class TextImageLoss(nn.Module):
    """Pixel loss of text SR: ``loss_weight`` x (``mse_weight`` x MSE over
    all channels (mask included) + ``gradient_weight`` x gradient profile
    loss on RGB).

    TextZoom's ``ImageLoss``: TPGSR/C3-STISR build it with weights
    (1, 1e-4) and their loops multiply it by 100 (``loss_weight=100``);
    STIRER uses (20, 1e-2).

    Args:
        mse_weight (float): Weight of the MSE term. Defaults to 20.
        gradient_weight (float): Weight of the gradient term; 0 turns it
            off. Defaults to 1e-4.
        loss_weight (float): Weight of the sum. Defaults to 1.
    """

    def __init__(self,
                 mse_weight: float = 20.,
                 gradient_weight: float = 1e-4,
                 loss_weight: float = 1.) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.mse_weight = mse_weight
        self.gradient = GradientProfileLoss(
            gradient_weight) if gradient_weight else None

    def forward(self, pred: torch.Tensor,
                target: torch.Tensor) -> torch.Tensor:
        """Loss of (N, C, H, W) SR images against HR targets."""
        if pred.shape != target.shape:
            raise ValueError(f'SR output {tuple(pred.shape)} and HR target '
                             f'{tuple(target.shape)} differ in shape')
        loss = self.mse_weight * F.mse_loss(pred, target)
        if self.gradient is not None:
            loss = loss + self.gradient(pred, target)
        return self.loss_weight * loss
