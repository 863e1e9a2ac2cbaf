import math
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmocr.registry import MODELS

from ..layers import (RecurrentResidualBlock, STNHead, TPSSpatialTransformer,
                      UpsampleBlock)
from .base_text_sr import BaseTextSR, OptSampleList, SampleList


@MODELS.register_module()
class TSRN(BaseTextSR):
    """TSRN (TextZoom, ECCV'20): TPS rectification, sequential residual
    blocks with BiGRUs, pixel-shuffle up-sampling.

    The sub-modules are public so that guided variants (C3-STISR) reuse
    them: :meth:`rectify`, ``block1``, ``srb`` (the residual blocks),
    :meth:`reconstruct`.

    Args:
        in_channels (int): 4 with the mask channel, else 3. Defaults to 4.
        scale_factor (int): Power of 2. Defaults to 2.
        lr_size (tuple[int, int]): (H, W) of the LR input. Defaults to
            (16, 64).
        num_blocks (int): Residual blocks. Defaults to 5.
        hidden_channels (int): Feature channels. Defaults to 64.
        clue_channels (int): Channels of a clue fed to every block (0 for
            plain TSRN).
        use_stn (bool): TPS rectification of the input (training only, as
            the official code). Defaults to True.
        loss (dict): Pixel loss config. Defaults to
            ``TextImageLoss(mse_weight=1, gradient_weight=1e-4)``.
        **kwargs: :class:`BaseTextSR` arguments.
    """

    def __init__(self,
                 in_channels: int = 4,
                 scale_factor: int = 2,
                 lr_size=(16, 64),
                 num_blocks: int = 5,
                 hidden_channels: int = 64,
                 clue_channels: int = 0,
                 use_stn: bool = True,
                 loss: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if scale_factor < 2 or math.log2(scale_factor) % 1:
            raise ValueError(
                f'scale_factor must be a power of 2, got {scale_factor}')
        self.use_stn = use_stn
        if use_stn:
            self.stn_head = STNHead(in_channels)
            self.tps = TPSSpatialTransformer(output_size=tuple(lr_size))
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
        self.loss_module = MODELS.build(
            loss or dict(
                type='TextImageLoss', mse_weight=1., gradient_weight=1e-4))

    def rectify(self, x: torch.Tensor) -> torch.Tensor:
        """TPS-rectify (N, C, h, w) inputs while training."""
        if self.use_stn and self.training:
            x = self.tps(x, self.stn_head(x))
        return x

    def reconstruct(self, head: torch.Tensor,
                    body: torch.Tensor) -> torch.Tensor:
        """Tail conv of the block output, global residual, up-sampling and
        tanh: (N, C_hid, h, w) x 2 -> (N, C, H, W)."""
        return torch.tanh(self.upsample(head + self.block_tail(body)))

    def _forward(self,
                 inputs: torch.Tensor,
                 data_samples: OptSampleList = None,
                 clue: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(N, C, h, w) LR [+ clue (N, C_clue, h, w)] -> (N, C, H, W) SR."""
        head = self.block1(self.rectify(inputs))
        x = head
        for block in self.srb:
            x = block(x, clue)
        return self.reconstruct(head, x)

    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """Pixel loss of the SR output against ``gt_img``."""
        sr = self._forward(inputs, data_samples)
        return dict(loss_pixel=self.loss_module(sr, self.stack_gt_img(
            data_samples)))
