import torch
import torch.nn as nn
from mmcv.ops import ModulatedDeformConv2dPack
from mmocr.registry import MODELS


@MODELS.register_module()
class DSTA(nn.Module):
    """Deformable spatial attention block (the DSTA block of C3-STISR,
    applied to a single frame).

    A modulated deformable convolution (DCNv2, offsets and modulation
    predicted from the input and zero-initialised) extracts features from
    which a 1x1 convolution and a sigmoid compute a spatial attention map;
    the clue is multiplied by it to mask uncertain information.

    Args:
        channels (int): Channels C' of the clue. Defaults to 32.
        deform_groups (int): Offset groups of the deformable convolution.
            Defaults to 1.
    """

    def __init__(self, channels: int = 32, deform_groups: int = 1) -> None:
        super().__init__()
        self.dcn = ModulatedDeformConv2dPack(
            channels,
            channels,
            kernel_size=3,
            padding=1,
            deform_groups=deform_groups)
        self.attention = nn.Sequential(
            nn.ReLU(inplace=True), nn.Conv2d(channels, 1, kernel_size=1),
            nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C', H, W) clue -> (N, C', H, W) masked clue."""
        return x * self.attention(self.dcn(x))
