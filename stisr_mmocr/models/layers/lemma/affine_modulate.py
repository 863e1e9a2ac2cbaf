import torch
import torch.nn as nn


def _branch(channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(2 * channels, channels, 1),
                         nn.BatchNorm2d(channels), nn.PReLU(),
                         nn.Conv2d(channels, channels, 1))


class AffineModulate(nn.Module):
    """LEMMA's modulation of SR features by the guidance map
    (``model/lemma.py`` ``AffineModulate``): from [features, BN(guidance)]
    three 1x1 branches; the first becomes a channel gate (a depth-wise
    convolution over the whole (16, 64) map, 1x1 convolutions, sigmoid)
    on the second, aggregated and added to the third.

    The gate's kernel covers the whole feature map: the block only takes
    maps of ``feat_hw``.

    Args:
        channels (int): Feature and guidance channels. Defaults to 64.
        feat_hw (tuple): (H, W) of the maps. Defaults to (16, 64).
    """

    def __init__(self, channels: int = 64, feat_hw=(16, 64)) -> None:
        super().__init__()
        self.feat_hw = tuple(feat_hw)
        self.BN = nn.BatchNorm2d(channels)
        self.conv1x1_1 = _branch(channels)
        self.conv1x1_2 = _branch(channels)
        self.conv1x1_3 = _branch(channels)
        self.channel_attn = nn.Sequential(
            nn.Conv2d(channels, channels, self.feat_hw, groups=channels),
            nn.Conv2d(channels, channels, 1), nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 1), nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 1), nn.Sigmoid())
        self.aggregation = nn.Sequential(nn.Conv2d(channels, channels, 1),
                                         nn.BatchNorm2d(channels),
                                         nn.PReLU(),
                                         nn.Conv2d(channels, channels, 1))
        self.BN2 = nn.BatchNorm2d(channels)

    def forward(self, features: torch.Tensor,
                guidance: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) features and guidance -> (N, C, H, W)."""
        cat = torch.cat([features, self.BN(guidance)], dim=1)
        gate = self.channel_attn(self.conv1x1_1(cat))
        aggregated = self.aggregation(gate * self.conv1x1_2(cat))
        return self.BN2(self.conv1x1_3(cat) + aggregated)
