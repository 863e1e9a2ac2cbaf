from typing import Dict, List, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmocr.models.common.dictionary import Dictionary
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample


@MODELS.register_module()
class VisualClue(nn.Module):
    """Visual clue of C3-STISR (Eq. 4): the recognizer's distribution is
    decoded to strings (f_de, MMOCR's CTC greedy decoding), drawn by the
    skeleton painter (f_sp), aligned by a deformable convolution guided by
    h_rec and masked by a DSTA block (f_vis).

    Args:
        dictionary (dict or Dictionary): The recognizer's dictionary (CTC
            blank at its padding index).
        clue_channels (int): C'. Defaults to 32.
        lr_hw (Sequence[int]): (H, W) of the LR image. Defaults to
            (16, 64).
        painter (dict): Extra ``SkeletonPainter`` arguments (``font``,
            ``font_size``, ``cases``). Defaults to ``dict()``.
        alignment (dict): Extra ``DeformableAlignment`` arguments. Defaults
            to ``dict()``.
        dsta (dict): Extra ``DSTA`` arguments. Defaults to ``dict()``.
    """

    def __init__(
        self,
        dictionary: Union[Dict, Dictionary],
        clue_channels: int = 32,
        lr_hw: Sequence[int] = (16, 64),
        painter: dict = dict(),
        alignment: dict = dict(),
        dsta: dict = dict()
    ) -> None:
        super().__init__()
        self.postprocessor = MODELS.build(
            dict(type='CTCPostProcessor', dictionary=dictionary))
        self.painter = MODELS.build(
            dict(type='SkeletonPainter', out_hw=lr_hw, **painter))
        self.alignment = MODELS.build(
            dict(
                type='DeformableAlignment',
                in_channels=self.painter.num_channels,
                guide_channels=clue_channels,
                out_channels=clue_channels,
                **alignment))
        self.dsta = MODELS.build(
            dict(type='DSTA', channels=clue_channels, **dsta))

    def decode(self, probs: torch.Tensor) -> List[str]:
        """CTC greedy decoding of (N, T, K) distributions into N strings."""
        samples = [TextRecogDataSample() for _ in range(probs.shape[0])]
        samples = self.postprocessor(probs, samples)
        return [sample.pred_text.item for sample in samples]

    def forward(self, probs: torch.Tensor,
                guide: torch.Tensor) -> Tuple[torch.Tensor, List[str]]:
        """Compute h_vis.

        Args:
            probs (torch.Tensor): (N, T, K) recognizer distributions.
            guide (torch.Tensor): (N, C', H, W) recognition clue h_rec.

        Returns:
            tuple[torch.Tensor, list[str]]: h_vis (N, C', H, W) and the
            decoded strings.
        """
        texts = self.decode(probs)
        skeletons = self.painter(texts, device=guide.device)
        return self.dsta(self.alignment(skeletons, guide)), texts
