from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmocr.registry import MODELS


@MODELS.register_module()
class ClueProjection(nn.Module):
    """Projection network of C3-STISR: a character distribution sequence to
    a pixel feature map.

    The (N, T, K) distribution is laid out as a (N, K, 1, T) map and goes
    through four stride-2 transposed convolutions (each with BN and ReLU;
    the last one upsamples the width only), then bilinear interpolation to
    the LR size (TPGSR's ``InfoGen``).

    Args:
        num_classes (int): K, the classes of the distribution.
        out_channels (int): C' of the clue. Defaults to 32.
        out_hw (Sequence[int]): (H, W) of the LR image. Defaults to
            (16, 64).
        mid_channels (Sequence[int]): Channels of the first three transposed
            convolutions. Defaults to (512, 128, 64).
    """

    def __init__(
        self,
        num_classes: int,
        out_channels: int = 32,
        out_hw: Sequence[int] = (16, 64),
        mid_channels: Sequence[int] = (512, 128, 64)
    ) -> None:
        super().__init__()
        self.out_hw = tuple(out_hw)
        channels = [num_classes, *mid_channels, out_channels]
        layers = []
        for i in range(4):
            last = i == 3
            layers += [
                nn.ConvTranspose2d(
                    channels[i],
                    channels[i + 1],
                    kernel_size=3,
                    stride=(2, 1) if last else 2,
                    padding=(1, 0) if last else 1,
                    bias=False),
                nn.BatchNorm2d(channels[i + 1]),
                nn.ReLU(inplace=True)
            ]
        self.layers = nn.Sequential(*layers)

    def forward(self, probs: torch.Tensor) -> torch.Tensor:
        """(N, T, K) distributions -> (N, C', H, W) clue."""
        x = self.layers(probs.transpose(1, 2).unsqueeze(2))
        return F.interpolate(
            x, size=self.out_hw, mode='bilinear', align_corners=True)
