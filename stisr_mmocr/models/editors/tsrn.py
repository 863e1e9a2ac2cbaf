from typing import Dict, Optional

import torch
from mmocr.registry import MODELS

from ..networks import TSRNNet
from .base_text_sr import BaseTextSR, OptSampleList, SampleList


@MODELS.register_module()
class TSRN(BaseTextSR):
    """TSRN (TextZoom, ECCV'20): the :class:`TSRNNet` network (``generator``)
    trained with TextZoom's image loss.

    Args:
        loss (dict): Pixel loss config. Defaults to
            ``TextImageLoss(mse_weight=1, gradient_weight=1e-4)``.
        data_preprocessor (dict, optional): See :class:`BaseTextSR`.
        init_cfg (dict, optional): Initialisation config.
        **network: :class:`TSRNNet` arguments (``in_channels``,
            ``scale_factor``, ``lr_hw``, ``num_blocks``,
            ``hidden_channels``, ``use_stn``).
    """

    def __init__(self,
                 loss: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 **network) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.generator = TSRNNet(**network)
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
