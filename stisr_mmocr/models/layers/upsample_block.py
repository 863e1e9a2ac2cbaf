import torch
import torch.nn as nn


class UpsampleBlock(nn.Module):
    """Convolution, pixel shuffle and Mish.

    Args:
        channels (int): Input and output channels.
        scale (int): Up-sampling factor.
    """

    def __init__(self, channels: int, scale: int = 2) -> None:
        super().__init__()
        self.conv = nn.Conv2d(
            channels, channels * scale**2, kernel_size=3, padding=1)
        self.pixel_shuffle = nn.PixelShuffle(scale)
        self.prelu = nn.Mish()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, C, H * s, W * s)."""
        return self.prelu(self.pixel_shuffle(self.conv(x)))
