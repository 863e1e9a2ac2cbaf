import copy
from typing import List, Optional, Union

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample

from .recog_input import prepare_recog_input


def build_recognizer(recognizer: Union[str, dict],
                     checkpoint: Optional[str] = None) -> tuple:
    """Build an MMOCR recognizer from a config file or a model dict.

    Args:
        recognizer (str | dict): Path of a config with a top-level ``model``
            (and optionally ``judge_input``), or the model dict itself.
        checkpoint (str, optional): Weights, loaded strictly.

    Returns:
        tuple: (model, judge_input dict from the config file or ``{}``).
    """
    judge_input = {}
    if isinstance(recognizer, str):
        cfg = Config.fromfile(recognizer)
        if 'model' not in cfg:
            raise KeyError(f'config {recognizer} has no top-level `model`')
        judge_input = dict(cfg.get('judge_input', {}))
        recognizer = cfg.model
    model = MODELS.build(copy.deepcopy(dict(recognizer)))
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location='cpu', strict=True)
    return model, judge_input


@MODELS.register_module()
class TextRecogJudge(nn.Module):
    """A frozen MMOCR recognizer that reads SR images (for evaluation).

    Its input preparation (``size``: (W, H) to bicubic-resize to, None to
    keep the SR size; ``gray``: one gray channel) comes from ``judge_input``
    in the recognizer's config file, updated by ``judge_input`` given here;
    the recognizer's own data preprocessor then normalises it.

    Args:
        recognizer (str | dict): Recognizer config file or model dict.
        checkpoint (str, optional): Recognizer weights. None leaves random
            weights (for smoke tests only).
        judge_input (dict, optional): Overrides of the config's
            ``judge_input``, e.g. ``dict(size=None)`` to read 128x32 SR
            images as STIRER's ``test.py`` does.
    """

    def __init__(self,
                 recognizer: Union[str, dict],
                 checkpoint: Optional[str] = None,
                 judge_input: Optional[dict] = None) -> None:
        super().__init__()
        self.recognizer, cfg_input = build_recognizer(recognizer, checkpoint)
        cfg_input.update(judge_input or {})
        unknown = set(cfg_input) - {'size', 'gray'}
        if unknown:
            raise KeyError(f'unknown judge_input keys {sorted(unknown)}; '
                           "expected 'size' and 'gray'")
        size = cfg_input.get('size')
        self.input_size = tuple(size) if size is not None else None
        self.gray = bool(cfg_input.get('gray', False))
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
        x = prepare_recog_input(imgs, self.input_size, self.gray)
        samples = [
            TextRecogDataSample(
                metainfo=dict(img_shape=tuple(x.shape[-2:]), valid_ratio=1.0))
            for _ in range(x.shape[0])
        ]
        data = self.recognizer.data_preprocessor(
            dict(inputs=x, data_samples=samples), False)
        return self.recognizer.predict(data['inputs'], data['data_samples'])
