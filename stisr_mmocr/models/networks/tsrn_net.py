import math
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmocr.registry import MODELS

from stisr_mmocr.utils import reject_extra_args
from ..layers import (RecurrentResidualBlock, STNHead, TPSSpatialTransformer,
                      UpsampleBlock)


@MODELS.register_module()
class TSRNNet(nn.Module):
    """The TSRN network (TextZoom, ECCV'20) without losses: TPS
    rectification while training, sequential residual blocks with BiGRUs,
    pixel-shuffle up-sampling, ``tanh`` output.

    The residual blocks can take a clue map (``clue_channels`` > 0): the
    guided variants (C3-STISR) feed it to every block.

    Official name (TextZoom / TPGSR ``model/tsrn.py``) -> name here:
    ``block1`` -> ``block1``, ``block{i+2}`` -> ``srb.{i}``,
    ``block{n+2}`` -> ``block_tail``, ``block{n+3}`` -> ``upsample``,
    ``stn_head`` -> ``stn_head`` (``tps`` keeps no weights).

    Args:
        in_channels (int): 4 with the mask channel, else 3. Defaults to 4.
        scale_factor (int): Power of 2. Defaults to 2.
        lr_hw (Sequence[int]): (H, W) of the LR input. Defaults to
            (16, 64).
        num_blocks (int): Residual blocks. Defaults to 5.
        hidden_channels (int): Feature channels. Defaults to 64.
        clue_channels (int): Channels of the clue fed to every block (0:
            plain TSRN). Defaults to 0.
        use_stn (bool): TPS rectification of the input while training (as
            the official code). Defaults to True.
        **extra: Rejected with a ``TypeError`` that names the new name of
            an old size argument (``lr_size`` -> ``lr_hw``).
    """

    def __init__(self,
                 in_channels: int = 4,
                 scale_factor: int = 2,
                 lr_hw: Sequence[int] = (16, 64),
                 num_blocks: int = 5,
                 hidden_channels: int = 64,
                 clue_channels: int = 0,
                 use_stn: bool = True,
                 **extra) -> None:
        super().__init__()
        reject_extra_args(type(self).__name__, extra)
        if scale_factor < 2 or math.log2(scale_factor) % 1:
            raise ValueError(
                f'scale_factor must be a power of 2, got {scale_factor}')
        self.clue_channels = clue_channels
        self.use_stn = use_stn
        if use_stn:
            self.stn_head = STNHead(in_channels)
            self.tps = TPSSpatialTransformer(output_hw=tuple(lr_hw))
        self.block1 = nn.Sequential(
            nn.Conv2d(in_channels, hidden_channels, 9, padding=4), nn.PReLU())
        self.srb = nn.ModuleList([
            RecurrentResidualBlock(hidden_channels, clue_channels)
            for _ in range(num_blocks)
        ])
        self.block_tail = nn.Sequential(
            nn.Conv2d(hidden_channels, hidden_channels, 3, padding=1),
            nn.BatchNorm2d(hidden_channels))
        self.upsample = nn.Sequential(*[
            UpsampleBlock(hidden_channels, 2)
            for _ in range(int(math.log2(scale_factor)))
        ], nn.Conv2d(hidden_channels, in_channels, 9, padding=4))

    def rectify(self, x: torch.Tensor) -> torch.Tensor:
        """TPS-rectify (N, C, h, w) inputs while training."""
        if self.use_stn and self.training:
            x = self.tps(x, self.stn_head(x))
        return x

    def forward(self,
                x: torch.Tensor,
                clue: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Super-resolve LR images.

        Args:
            x (torch.Tensor): (N, C, h, w) LR images in [0, 1].
            clue (torch.Tensor, optional): (N, C_clue, h, w) clue of every
                residual block (needed when ``clue_channels`` > 0).

        Returns:
            torch.Tensor: (N, C, H, W) SR images in (-1, 1), raw ``tanh``.
        """
        return self.reconstruct(self.block1(self.rectify(x)), clue)

    def reconstruct(self,
                    head: torch.Tensor,
                    clue: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Residual blocks, tail and up-sampling on ``block1`` features.

        Args:
            head (torch.Tensor): (N, C_hidden, h, w) output of ``block1``.
            clue (torch.Tensor, optional): (N, C_clue, h, w) clue of every
                residual block.

        Returns:
            torch.Tensor: (N, C, H, W) SR images in (-1, 1), raw ``tanh``.
        """
        body = head
        for block in self.srb:
            body = block(body, clue)
        return torch.tanh(self.upsample(head + self.block_tail(body)))
