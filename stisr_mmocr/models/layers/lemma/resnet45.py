import math
from typing import List

import torch
import torch.nn as nn


class BasicBlock(nn.Module):
    """ABINet's residual block: 1x1 conv, BN, ReLU, 3x3 conv with the
    stride, BN, + shortcut, ReLU (no biases)."""

    def __init__(self, in_channels: int, channels: int, stride: int,
                 downsample: nn.Module = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(channels, channels, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.downsample is None else self.downsample(x)
        return self.relu(out + shortcut)


class ResNet45(nn.Module):
    """ABINet's ResNet-45 (``model/resnet.py`` ``resnet45``): a 3x3 stem of
    32 channels and five stages of [3, 4, 6, 6, 3] :class:`BasicBlock` of
    32, 64, 128, 256, 512 channels with first strides 2, 1, 2, 1, 1:
    (N, 3, 32, 128) -> (N, 512, 8, 32)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.relu = nn.ReLU(inplace=True)
        in_channels = 32
        for i, (channels, num, stride) in enumerate(
                zip((32, 64, 128, 256, 512), (3, 4, 6, 6, 3),
                    (2, 1, 2, 1, 1)), start=1):
            setattr(self, f'layer{i}',
                    self._stage(in_channels, channels, num, stride))
            in_channels = channels
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                m.weight.data.normal_(0, math.sqrt(2. / fan))
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.data.fill_(1)
                m.bias.data.zero_()

    @staticmethod
    def _stage(in_channels: int, channels: int, num: int,
               stride: int) -> nn.Sequential:
        downsample = None
        if stride != 1 or in_channels != channels:
            downsample = nn.Sequential(
                nn.Conv2d(in_channels, channels, 1, stride, bias=False),
                nn.BatchNorm2d(channels))
        blocks: List[nn.Module] = [
            BasicBlock(in_channels, channels, stride, downsample)
        ]
        blocks += [BasicBlock(channels, channels, 1) for _ in range(num - 1)]
        return nn.Sequential(*blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) -> (N, 512, H / 4, W / 4)."""
        x = self.relu(self.bn1(self.conv1(x)))
        for i in range(1, 6):
            x = getattr(self, f'layer{i}')(x)
        return x
