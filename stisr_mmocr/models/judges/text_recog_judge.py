from typing import List, Optional, Union

import torch
import torch.nn as nn
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample

from .recognizer_reader import build_recognizer


@MODELS.register_module()
class TextRecogJudge(nn.Module):
    """A frozen MMOCR recognizer that reads SR images (for evaluation).

    Its :class:`RecognizerReader` comes from the recognizer's config file
    (its ``reader``, else its ``test_pipeline``), updated by ``reader``.

    Args:
        recognizer (str | dict): Recognizer config file (path or
            ``mmocr::...``) or model dict.
        checkpoint (str, optional): Recognizer weights. None leaves random
            weights (for smoke tests only).
        reader (dict, optional): Reader overrides, e.g. ``dict(hw=None)``
            to read 128x32 SR images as STIRER's ``test.py`` does.
    """

    def __init__(self,
                 recognizer: Union[str, dict],
                 checkpoint: Optional[str] = None,
                 reader: Optional[dict] = None) -> None:
        super().__init__()
        self.recognizer, self.reader = build_recognizer(
            recognizer, checkpoint, reader)
        self.recognizer.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> 'TextRecogJudge':
        """A judge stays in eval mode."""
        return super().train(False)

    @torch.no_grad()
    def forward(self, imgs: torch.Tensor) -> List[TextRecogDataSample]:
        """Read (N, C, H, W) SR images in [0, 1].

        Returns:
            list[TextRecogDataSample]: Samples with ``pred_text``.
        """
        return self.reader.predict(self.recognizer, imgs)
