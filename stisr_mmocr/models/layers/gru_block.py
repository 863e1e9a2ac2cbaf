import torch
import torch.nn as nn

from .bigru import bigru


class GruBlock(nn.Module):
    """1x1 convolution (+ batch norm), then a bidirectional GRU along the
    width of each row.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels (even: half per direction).
        with_bn (bool): Batch-normalise the projection (STIRER's blocks).
            Defaults to False (TSRN).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 with_bn: bool = False) -> None:
        super().__init__()
        if out_channels % 2:
            raise ValueError(f'out_channels must be even, got {out_channels}')
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=1)
        self.bn1 = nn.BatchNorm2d(out_channels) if with_bn else nn.Identity()
        self.gru = nn.GRU(
            out_channels,
            out_channels // 2,
            bidirectional=True,
            batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C_in, H, W) -> (N, C_out, H, W), each row a sequence."""
        x = self.bn1(self.conv1(x))
        n, c, h, w = x.shape
        seq = x.permute(0, 2, 3, 1).reshape(n * h, w, c)
        return bigru(seq, self.gru).reshape(n, h, w, c).permute(0, 3, 1, 2)
