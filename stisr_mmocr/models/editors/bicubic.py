from typing import Dict

import torch
import torch.nn.functional as F
from mmocr.registry import MODELS

from .base_text_sr import BaseTextSR, OptSampleList, SampleList


@MODELS.register_module()
class Bicubic(BaseTextSR):
    """Bicubic up-sampling, the parameter-free baseline.

    Args:
        scale_factor (int): Up-sampling factor. Defaults to 2.
        **kwargs: :class:`BaseTextSR` arguments.
    """

    def __init__(self, scale_factor: int = 2, **kwargs) -> None:
        super().__init__(**kwargs)
        self.scale_factor = scale_factor

    def _forward(self,
                 inputs: torch.Tensor,
                 data_samples: OptSampleList = None) -> torch.Tensor:
        """(N, C, h, w) -> (N, C, h * s, w * s)."""
        return F.interpolate(
            inputs,
            scale_factor=self.scale_factor,
            mode='bicubic',
            align_corners=False)

    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        raise RuntimeError('Bicubic has no parameters to train; use it in '
                           'test or val only')
