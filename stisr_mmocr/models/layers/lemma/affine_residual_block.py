import torch
import torch.nn as nn

from ..gru_block import GruBlock
from .affine_modulate import AffineModulate


class RecurrentResidualBlockAffine(nn.Module):
    """LEMMA's residual block (``model/lemma.py``
    ``RecurrentResidualBlockAffine``): conv-BN-Mish-conv-BN, modulated by
    the guidance map (:class:`AffineModulate`), a BiGRU down each column,
    then a BiGRU along each row of ``BN(x + residual)``; the GRUs read
    their input without TSRN's 1x1 projection.

    Args:
        channels (int): Feature channels. Defaults to 64.
        feat_hw (tuple): (H, W) of the maps. Defaults to (16, 64).
    """

    def __init__(self, channels: int = 64, feat_hw=(16, 64)) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(channels)
        self.gru1 = GruBlock(channels, channels, projection=False)
        self.prelu = nn.Mish()
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(channels)
        self.gru2 = GruBlock(channels, channels, projection=False)
        self.affine = AffineModulate(channels, feat_hw)
        self.BN = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor, guidance: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) features and guidance map -> (N, C, H, W)."""
        residual = self.bn2(self.conv2(self.prelu(self.bn1(self.conv1(x)))))
        residual = self.affine(residual, guidance)
        residual = self.gru1(residual.transpose(-1, -2)).transpose(-1, -2)
        return self.gru2(self.BN(x + residual))
