from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from mmocr.registry import MODELS

from ..layers import STNHead, TPSSpatialTransformer, UpsampleBlock
from ..layers.lemma import (GuidanceGenerator, PositionAwareModule,
                            RecurrentResidualBlockAffine)


@MODELS.register_module()
class LEMMANet(BaseModule):
    """LEMMA's SR network (IJCAI'23, ``csguoh/LEMMA`` ``model/lemma.py``
    ``LEMMA``), without losses, with the official module names: the
    authors' ``state_dict_G`` (``LEMMA-release.pth``) loads as it is.

    TSRN's body (TPS rectification while training, ``block1``, residual
    blocks, tail ``block{n+2}``, up-sampling ``block{n+3}``, tanh) whose
    residual blocks (:class:`RecurrentResidualBlockAffine`) are modulated
    by a guidance map: ``position_prior`` (ABINet's vision and language
    models, :class:`PositionAwareModule`) reads the (rectified) LR image
    up-sampled bicubically x2, and ``guidanceGen``
    (:class:`GuidanceGenerator`) aligns what it read with the ``block1``
    features.

    As the official module, the TPS saves its constants, so that the state
    dict is the authors' (1,102 entries with the defaults).

    The guidance blocks' channel gate spans the whole LR map: the network
    takes LR images of ``lr_hw`` only (the data pipeline and the
    inferencer resize crops to it, as the authors' loader does).

    Args:
        in_channels (int): 4 with the mask channel. Defaults to 4.
        scale_factor (int): Defaults to 2.
        lr_hw (Sequence[int]): (H, W) of the LR input. Defaults to (16, 64).
        num_blocks (int): Residual blocks (``--srb``). Defaults to 5.
        hidden_channels (int): Feature channels. Defaults to 64.
        use_stn (bool): TPS rectification while training. Defaults to True.
        max_length (int): Characters + end token read by the guidance
            branch. Defaults to 26.
        num_classes (int): Its classes (null first). Defaults to 37.
        init_cfg (dict, optional): E.g. the authors' weights:
            ``dict(type='StrictPretrained',
            checkpoint='checkpoints/LEMMA-release.pth')`` (their
            ``state_dict_G``, loaded as it is).
    """

    def __init__(self,
                 in_channels: int = 4,
                 scale_factor: int = 2,
                 lr_hw: Sequence[int] = (16, 64),
                 num_blocks: int = 5,
                 hidden_channels: int = 64,
                 use_stn: bool = True,
                 max_length: int = 26,
                 num_classes: int = 37,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if scale_factor != 2:
            raise ValueError('LEMMANet: the guidance branch reads the LR '
                             'image up-sampled x2, so scale_factor must be '
                             f'2, got {scale_factor}')
        self.lr_hw = tuple(lr_hw)
        self.num_blocks = num_blocks
        self.use_stn = use_stn
        self.block1 = nn.Sequential(
            nn.Conv2d(in_channels, hidden_channels, 9, padding=4),
            nn.PReLU())
        for i in range(num_blocks):
            setattr(self, f'block{i + 2}',
                    RecurrentResidualBlockAffine(hidden_channels, lr_hw))
        setattr(
            self, f'block{num_blocks + 2}',
            nn.Sequential(
                nn.Conv2d(hidden_channels, hidden_channels, 3, padding=1),
                nn.BatchNorm2d(hidden_channels)))
        setattr(
            self, f'block{num_blocks + 3}',
            nn.Sequential(UpsampleBlock(hidden_channels, 2),
                          nn.Conv2d(hidden_channels, in_channels, 9,
                                    padding=4)))
        if use_stn:
            self.tps = TPSSpatialTransformer(output_hw=self.lr_hw,
                                             saved_buffers=True)
            self.stn_head = STNHead(in_channels)
        self.position_prior = PositionAwareModule(max_length, num_classes)
        self.guidanceGen = GuidanceGenerator(max_length, num_classes,
                                             hidden_channels)

    def guidance(self, x: torch.Tensor) -> Tuple[torch.Tensor, Dict]:
        """Rectify (while training) and read LR images.

        Returns:
            tuple: The (rectified) (N, C, h, w) input and the guidance
            reader's outputs (``attn_map``, ``img_logits``,
            ``text_logits``, ``pt_lengths``).
        """
        if tuple(x.shape[-2:]) != self.lr_hw:
            raise ValueError(
                f'LEMMANet takes {self.lr_hw[0]}x{self.lr_hw[1]} LR images '
                f'(lr_hw; its guidance gate spans the whole map), got '
                f'{x.shape[-2]}x{x.shape[-1]}: resize the inputs')
        if self.use_stn and self.training:
            x = self.tps(x, self.stn_head(x))
        upsampled = F.interpolate(x[:, :3].detach(),
                                  scale_factor=2,
                                  mode='bicubic',
                                  align_corners=True)
        return x, self.position_prior(upsampled)

    def forward_with_guidance(
            self, x: torch.Tensor) -> Tuple[torch.Tensor, Dict]:
        """(N, C, h, w) LR in [0, 1] -> (N, C, H, W) SR in (-1, 1) (tanh)
        and the guidance reader's outputs (for the losses)."""
        x, prior = self.guidance(x)
        head = self.block1(x)
        guidance = self.guidanceGen(prior, head)
        body = head
        for i in range(self.num_blocks):
            body = getattr(self, f'block{i + 2}')(body, guidance)
        body = getattr(self, f'block{self.num_blocks + 2}')(body)
        sr = getattr(self, f'block{self.num_blocks + 3}')(head + body)
        return torch.tanh(sr), prior

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C, h, w) LR in [0, 1] -> (N, C, H, W) SR in (-1, 1)."""
        return self.forward_with_guidance(x)[0]
