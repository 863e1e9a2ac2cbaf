from typing import Sequence

import torch
import torch.nn as nn
from mmocr.registry import MODELS


@MODELS.register_module()
class DistributionClue(nn.Module):
    """Processing network of a clue read from a character distribution:
    projection network then DSTA block (f_rec, and f_ling after the language
    model).

    Args:
        num_classes (int): K, classes of the distribution.
        clue_channels (int): C'. Defaults to 32.
        lr_hw (Sequence[int]): (H, W) of the LR image. Defaults to
            (16, 64).
        projection (dict): Extra ``ClueProjection`` arguments. Defaults to
            ``dict()``.
        dsta (dict): Extra ``DSTA`` arguments. Defaults to ``dict()``.
    """

    def __init__(
        self,
        num_classes: int,
        clue_channels: int = 32,
        lr_hw: Sequence[int] = (16, 64),
        projection: dict = dict(),
        dsta: dict = dict()
    ) -> None:
        super().__init__()
        self.projection = MODELS.build(
            dict(
                type='ClueProjection',
                num_classes=num_classes,
                out_channels=clue_channels,
                out_hw=lr_hw,
                **projection))
        self.dsta = MODELS.build(
            dict(type='DSTA', channels=clue_channels, **dsta))

    def forward(self, probs: torch.Tensor) -> torch.Tensor:
        """(N, T, K) distributions -> (N, C', H, W) clue."""
        return self.dsta(self.projection(probs))
