from typing import Dict, Tuple

import torch
import torch.nn as nn

from .resnet45 import ResNet45
from ..transformer_layers import (PositionalEncoding, TransformerEncoder,
                                  TransformerEncoderLayer)

NULL_LABEL = 0


def predicted_lengths(logits: torch.Tensor) -> torch.Tensor:
    """ABINet's greedy lengths of (N, T, K) logits: the first position
    whose best class is the null label, plus one (T when there is none)."""
    is_null = logits.argmax(-1) == NULL_LABEL
    found = is_null.any(-1)
    first = ((is_null.cumsum(-1) == 1) & is_null).max(-1)[1] + 1
    return torch.where(found, first, first.new_tensor(logits.shape[1]))


def _conv_bn_relu(in_channels: int, out_channels: int,
                  stride) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride, 1),
                         nn.BatchNorm2d(out_channels), nn.ReLU(True))


def _up_conv_bn_relu(in_channels: int, out_channels: int,
                     **upsample) -> nn.Sequential:
    return nn.Sequential(nn.Upsample(mode='nearest', **upsample),
                         nn.Conv2d(in_channels, out_channels, 3, 1, 1),
                         nn.BatchNorm2d(out_channels), nn.ReLU(True))


class ResTranformer(nn.Module):
    """ABINet's vision backbone (``model/backbone.py``, official spelling):
    ResNet-45, sinusoid positions with dropout, 3 post-norm encoder layers
    (512, 8 heads, 2,048)."""

    def __init__(self) -> None:
        super().__init__()
        self.resnet = ResNet45()
        self.pos_encoder = PositionalEncoding(512, max_len=8 * 32)
        self.transformer = TransformerEncoder(
            TransformerEncoderLayer(512, 8, 2048, 0.1), 3)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, 32, 128) -> (N, 512, 8, 32)."""
        feature = self.resnet(images)
        n, c, h, w = feature.shape
        seq = self.transformer(
            self.pos_encoder(feature.view(n, c, -1).permute(2, 0, 1)))
        return seq.permute(1, 2, 0).view(n, c, h, w)


class PositionAttention(nn.Module):
    """ABINet's position attention: keys from a mini U-Net over the
    features, queries from the positions of the ``max_length`` characters.

    Args:
        max_length (int): Characters + end token. Defaults to 26.
        in_channels (int): Feature size. Defaults to 512.
        num_channels (int): U-Net width. Defaults to 64.
        hw (Tuple[int, int]): Feature map size. Defaults to (8, 32).
    """

    def __init__(self,
                 max_length: int = 26,
                 in_channels: int = 512,
                 num_channels: int = 64,
                 hw: Tuple[int, int] = (8, 32)) -> None:
        super().__init__()
        self.max_length = max_length
        self.k_encoder = nn.Sequential(
            _conv_bn_relu(in_channels, num_channels, (1, 2)),
            _conv_bn_relu(num_channels, num_channels, (2, 2)),
            _conv_bn_relu(num_channels, num_channels, (2, 2)),
            _conv_bn_relu(num_channels, num_channels, (2, 2)))
        self.k_decoder = nn.Sequential(
            _up_conv_bn_relu(num_channels, num_channels, scale_factor=2),
            _up_conv_bn_relu(num_channels, num_channels, scale_factor=2),
            _up_conv_bn_relu(num_channels, num_channels, scale_factor=2),
            _up_conv_bn_relu(num_channels, in_channels, size=tuple(hw)))
        self.pos_encoder = PositionalEncoding(in_channels, 0., max_length)
        self.project = nn.Linear(in_channels, in_channels)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(N, E, H, W) features -> (N, T, E) vectors and (N, T, H, W)
        attention scores."""
        n, e, h, w = x.shape
        skips, k = [], x
        for layer in self.k_encoder:
            k = layer(k)
            skips.append(k)
        for i, layer in enumerate(self.k_decoder[:-1]):
            k = layer(k) + skips[len(self.k_decoder) - 2 - i]
        k = self.k_decoder[-1](k)
        q = self.pos_encoder(x.new_zeros(self.max_length, n, e))
        q = self.project(q.permute(1, 0, 2))
        scores = torch.softmax(
            torch.bmm(q, k.flatten(2, 3)) / (e**0.5), dim=-1)
        vectors = torch.bmm(scores, x.permute(0, 2, 3, 1).view(n, -1, e))
        return vectors, scores.view(n, -1, h, w)


class BaseVision(nn.Module):
    """ABINet's vision model (``model/Position_aware_module.py``
    ``BaseVision`` with ``backbone='transformer'``,
    ``attention='position'``).

    Args:
        max_length (int): Characters + end token. Defaults to 26.
        num_classes (int): Defaults to 37 (null first).
    """

    def __init__(self, max_length: int = 26, num_classes: int = 37) -> None:
        super().__init__()
        self.backbone = ResTranformer()
        self.attention = PositionAttention(max_length)
        self.cls = nn.Linear(512, num_classes)

    def forward(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """(N, 3, 32, 128) normalised images -> ``logits`` (N, T, K),
        ``pt_lengths`` (N, ), ``attn_scores`` (N, T, 8, 32)."""
        vectors, scores = self.attention(self.backbone(images))
        logits = self.cls(vectors)
        return dict(logits=logits,
                    pt_lengths=predicted_lengths(logits),
                    attn_scores=scores)
