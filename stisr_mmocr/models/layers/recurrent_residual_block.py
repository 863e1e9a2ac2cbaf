from typing import Optional

import torch
import torch.nn as nn

from .gru_block import GruBlock


class RecurrentResidualBlock(nn.Module):
    """TSRN's sequential residual block, optionally guided by a clue.

    conv-BN-Mish-conv-BN, then a BiGRU across the height (on the transposed
    map); with ``clue_channels > 0`` the clue map is concatenated to the
    residual at the channel dimension before that GRU (TPGSR / C3-STISR);
    a second BiGRU along the width follows the residual sum. STIRER uses
    the same block with batch-normalised GRU projections.

    Args:
        channels (int): Feature channels.
        clue_channels (int): Channels of the guiding clue; 0 for plain TSRN.
        gru_bn (bool): Batch norm after each GRU's 1x1 projection (STIRER).
    """

    def __init__(self,
                 channels: int,
                 clue_channels: int = 0,
                 gru_bn: bool = False) -> None:
        super().__init__()
        self.clue_channels = clue_channels
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(channels)
        self.prelu = nn.Mish()
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(channels)
        self.gru1 = GruBlock(channels + clue_channels, channels, gru_bn)
        self.gru2 = GruBlock(channels, channels, gru_bn)

    def forward(self,
                x: torch.Tensor,
                clue: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(N, C, H, W) [+ clue (N, C_clue, H, W)] -> (N, C, H, W)."""
        residual = self.bn2(self.conv2(self.prelu(self.bn1(self.conv1(x)))))
        if self.clue_channels:
            if clue is None:
                raise ValueError('this block was built with clue_channels='
                                 f'{self.clue_channels} and needs a clue')
            residual = torch.cat([residual, clue], dim=1)
        residual = self.gru1(residual.transpose(-1, -2)).transpose(-1, -2)
        return self.gru2(x + residual)
