from typing import Tuple

import torch
import torch.nn as nn


def _conv_bn_relu(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1),
        nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class STNHead(nn.Module):
    """Predicts the TPS source control points of a 16 x 64 LR image.

    Six conv-BN-ReLU blocks with pooling down to 1 x 2, two linear layers;
    the last is initialised to the identity control points (margin 0.01),
    so training starts from no warp.

    Args:
        in_channels (int): Image channels (4 with the mask).
        num_ctrl_points (int): Control points (two rows). Defaults to 20.
    """

    def __init__(self, in_channels: int, num_ctrl_points: int = 20) -> None:
        super().__init__()
        self.num_ctrl_points = num_ctrl_points
        self.stn_convnet = nn.Sequential(
            _conv_bn_relu(in_channels, 32), nn.MaxPool2d(2, 2),
            _conv_bn_relu(32, 64), nn.MaxPool2d(2, 2),
            _conv_bn_relu(64, 128), nn.MaxPool2d(2, 2),
            _conv_bn_relu(128, 256), nn.MaxPool2d(2, 2),
            _conv_bn_relu(256, 256), nn.MaxPool2d((1, 2), (1, 2)),
            _conv_bn_relu(256, 256))
        self.stn_fc1 = nn.Sequential(
            nn.Linear(2 * 256, 512), nn.BatchNorm1d(512),
            nn.ReLU(inplace=True))
        self.stn_fc2 = nn.Linear(512, num_ctrl_points * 2)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                nn.init.normal_(m.weight, 0, (2. / n)**0.5)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 1e-3)
                nn.init.zeros_(m.bias)
        nn.init.zeros_(self.stn_fc2.weight)
        with torch.no_grad():
            self.stn_fc2.bias.copy_(
                identity_ctrl_points(self.num_ctrl_points, (0.01, 0.01))
                .view(-1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, 16, 64) -> control points (N, K, 2) as (x, y) in [0, 1]."""
        feat = self.stn_convnet(x).flatten(1)
        return self.stn_fc2(0.1 * self.stn_fc1(feat)).view(
            -1, self.num_ctrl_points, 2)


def identity_ctrl_points(num: int, margins: Tuple[float,
                                                  float]) -> torch.Tensor:
    """``num`` control points on the top and bottom lines, (num, 2) as
    (x, y) in [0, 1], ``margins`` = (x margin, y margin)."""
    per_side = num // 2
    mx, my = margins
    xs = torch.linspace(mx, 1. - mx, per_side, dtype=torch.float64)
    top = torch.stack([xs, torch.full_like(xs, my)], dim=1)
    bottom = torch.stack([xs, torch.full_like(xs, 1. - my)], dim=1)
    return torch.cat([top, bottom]).float()
