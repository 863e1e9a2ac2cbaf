from typing import Dict, Optional, Sequence

import torch
from mmocr.registry import MODELS

from ..networks import TSRNNet
from .base_text_sr import BaseTextSR, OptSampleList, SampleList


@MODELS.register_module()
class TSRN(BaseTextSR):
    """TSRN (TextZoom, ECCV'20): the :class:`TSRNNet` network (``generator``)
    trained with TextZoom's image loss.

    Args:
        in_channels (int): 4 with the mask channel, else 3. Defaults to 4.
        scale_factor (int): Power of 2. Defaults to 2.
        lr_size (Sequence[int]): (H, W) of the LR input. Defaults to
            (16, 64).
        num_blocks (int): Residual blocks. Defaults to 5.
        hidden_channels (int): Feature channels. Defaults to 64.
        use_stn (bool): TPS rectification of the input (training only, as
            the official code). Defaults to True.
        loss (dict): Pixel loss config. Defaults to
            ``TextImageLoss(mse_weight=1, gradient_weight=1e-4)``.
        **kwargs: :class:`BaseTextSR` arguments.
    """

    def __init__(self,
                 in_channels: int = 4,
                 scale_factor: int = 2,
                 lr_size: Sequence[int] = (16, 64),
                 num_blocks: int = 5,
                 hidden_channels: int = 64,
                 use_stn: bool = True,
                 loss: Optional[dict] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.generator = TSRNNet(
            in_channels=in_channels,
            scale_factor=scale_factor,
            lr_size=lr_size,
            num_blocks=num_blocks,
            hidden_channels=hidden_channels,
            use_stn=use_stn)
        self.loss_module = MODELS.build(
            loss or dict(
                type='TextImageLoss', mse_weight=1., gradient_weight=1e-4))

    def _forward(self,
                 inputs: torch.Tensor,
                 data_samples: OptSampleList = None) -> torch.Tensor:
        """(N, C, h, w) LR -> (N, C, H, W) SR (raw ``tanh`` output)."""
        return self.generator(inputs)

    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """Pixel loss of the SR output against ``gt_img``."""
        sr = self._forward(inputs, data_samples)
        return dict(loss_pixel=self.loss_module(sr, self.stack_gt_img(
            data_samples)))
