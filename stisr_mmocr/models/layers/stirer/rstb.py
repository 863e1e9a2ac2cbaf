"""One progressive stage of STIRER: residual Swin group, BiGRU residual
block and the stage's mini decoders (an SR image and CTC logits)."""
from typing import Dict, Sequence, Tuple, Union

import torch
import torch.nn as nn

from ..recurrent_residual_block import RecurrentResidualBlock
from .swin import BasicLayer
from .vit import ViTEncoder


def conv3_residual(dim: int) -> nn.Sequential:
    """SwinIR's '3conv' bottleneck: 3x3 (dim/4), 1x1, 3x3 (dim), with
    LeakyReLU(0.2) between."""
    return nn.Sequential(nn.Conv2d(dim, dim // 4, 3, 1, 1),
                         nn.LeakyReLU(negative_slope=0.2, inplace=True),
                         nn.Conv2d(dim // 4, dim // 4, 1, 1, 0),
                         nn.LeakyReLU(negative_slope=0.2, inplace=True),
                         nn.Conv2d(dim // 4, dim, 3, 1, 1))


def upsample_one_step(scale: int, in_channels: int,
                      out_channels: int) -> nn.Sequential:
    """3x3 conv to ``scale**2 * out_channels`` + pixel shuffle."""
    return nn.Sequential(
        nn.Conv2d(in_channels, scale**2 * out_channels, 3, 1, 1),
        nn.PixelShuffle(scale))


class RSTB(nn.Module):
    """Residual Swin transformer block with STIRER's per-stage decoders.

    tokens -> Swin blocks -> '3conv' -> BiGRU residual block = y;
    SR head: ``upsample(conv_after_body(y) + y)``; recognition head:
    ``fc(vit(y))`` (by default a 6-layer ViT over (16, 2) patches: one
    token per column pair); next tokens: ``y + input``.

    Args:
        dim (int): Channels.
        input_resolution (tuple[int, int]): (H, W) of the feature map.
        depth (int): Swin blocks.
        num_heads (int): Heads of the Swin blocks.
        window_size (tuple[int, int]): Attention windows.
        mlp_ratio (float): MLP ratio of the Swin blocks.
        drop_path (float | list[float]): Stochastic depth rates.
        num_classes (int): CTC classes (blank included).
        out_channels (int): Channels of the stage's SR image.
        upscale (int): SR scale.
        rec_patch_size (tuple[int, int]): ViT patch of the recognition
            head.
        rec_embed_dim (int): Token width of that ViT. Defaults to 192.
        rec_depth (int): Its blocks. Defaults to 6.
        rec_num_heads (int): Its heads. Defaults to 3.
    """

    def __init__(self,
                 dim: int,
                 input_resolution: Tuple[int, int],
                 depth: int,
                 num_heads: int,
                 window_size: Tuple[int, int],
                 mlp_ratio: float = 2.,
                 drop_path: Union[float, Sequence[float]] = 0.,
                 num_classes: int = 37,
                 out_channels: int = 4,
                 upscale: int = 2,
                 rec_patch_size: Tuple[int, int] = (16, 2),
                 rec_embed_dim: int = 192,
                 rec_depth: int = 6,
                 rec_num_heads: int = 3) -> None:
        super().__init__()
        self.input_resolution = tuple(input_resolution)
        self.residual_group = BasicLayer(dim,
                                         input_resolution,
                                         depth,
                                         num_heads,
                                         window_size,
                                         mlp_ratio=mlp_ratio,
                                         drop_path=drop_path)
        self.conv = conv3_residual(dim)
        self.gru = RecurrentResidualBlock(dim, gru_bn=True)
        self.vit = ViTEncoder(img_size=input_resolution,
                              patch_size=rec_patch_size,
                              in_chans=dim,
                              embed_dim=rec_embed_dim,
                              depth=rec_depth,
                              num_heads=rec_num_heads)
        self.fc = nn.Linear(rec_embed_dim, num_classes)
        self.conv_after_body = nn.Conv2d(dim, dim, 3, 1, 1)
        self.upsample = upsample_one_step(upscale, dim, out_channels)

    def forward(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Run one stage.

        Args:
            x (torch.Tensor): (B, H * W, C) tokens.

        Returns:
            dict: ``feat`` (B, H * W, C) tokens for the next stage, ``sr``
            (B, out_channels, H * s, W * s) and ``rec`` (B, L, classes)
            CTC logits.
        """
        h, w = self.input_resolution
        b, length, c = x.shape
        y = self.residual_group(x).transpose(1, 2).reshape(b, c, h, w)
        y = self.gru(self.conv(y))
        return dict(feat=y.flatten(2).transpose(1, 2) + x,
                    sr=self.upsample(self.conv_after_body(y) + y),
                    rec=self.fc(self.vit(y)))
