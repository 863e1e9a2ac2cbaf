"""STIRER's BiGRU residual block (TSRN's sequential residual block with a
batch-normalised 1x1 projection before each GRU), with the official
parameter names."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BNGruBlock(nn.Module):
    """1x1 conv + BN, then a bidirectional GRU along the width of each row.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels (even: half per direction).
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        if out_channels % 2:
            raise ValueError(f'out_channels must be even, got {out_channels}')
        self.conv1 = nn.Conv2d(in_channels, out_channels, kernel_size=1)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.gru = nn.GRU(out_channels,
                          out_channels // 2,
                          bidirectional=True,
                          batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C_in, H, W) -> (N, C_out, H, W)."""
        x = self.bn1(self.conv1(x))
        n, c, h, w = x.shape
        seq = x.permute(0, 2, 3, 1).reshape(n * h, w, c)
        seq, _ = self.gru(seq)
        return seq.reshape(n, h, w, c).permute(0, 3, 1, 2)


class GruResidualBlock(nn.Module):
    """conv-BN-Mish-conv-BN residual, a BiGRU across the height (on the
    transposed map), the residual sum, then a BiGRU along the width.

    Args:
        channels (int): Feature channels.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(channels)
        self.gru1 = BNGruBlock(channels, channels)
        self.gru2 = BNGruBlock(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) -> (N, C, H, W)."""
        residual = self.bn2(self.conv2(F.mish(self.bn1(self.conv1(x)))))
        residual = self.gru1(residual.transpose(-1, -2)).transpose(-1, -2)
        return self.gru2(x + residual)
