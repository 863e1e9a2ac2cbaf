from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmocr.registry import MODELS


@MODELS.register_module()
class LinguisticClue(nn.Module):
    """Linguistic clue of C3-STISR: a language model corrects the
    recognizer's distribution into p_LM, which a projection network and a
    DSTA block turn into h_ling.

    Args:
        language_model (dict): Config of the language model, e.g.
            ``CTCLanguageModel``, with a ``correct`` method.
        num_classes (int): K, classes of the distribution.
        clue_channels (int): C'. Defaults to 32.
        lr_hw (Sequence[int]): (H, W) of the LR image. Defaults to
            (16, 64).
        processing (dict): Extra ``DistributionClue`` arguments. Defaults to
            ``dict()``.
    """

    def __init__(
        self,
        language_model: dict,
        num_classes: int,
        clue_channels: int = 32,
        lr_hw: Sequence[int] = (16, 64),
        processing: dict = dict()
    ) -> None:
        super().__init__()
        self.language_model = MODELS.build(language_model)
        self.processing = MODELS.build(
            dict(
                type='DistributionClue',
                num_classes=num_classes,
                clue_channels=clue_channels,
                lr_hw=lr_hw,
                **processing))

    def forward(self,
                logits: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Correct (N, T, K) recognizer logits.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: h_ling (N, C', H, W) and the
            language model logits (N, T, K).
        """
        lm_logits = self.language_model.correct(logits)
        return self.processing(lm_logits.softmax(-1)), lm_logits
