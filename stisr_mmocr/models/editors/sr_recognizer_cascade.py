import copy
import logging
import math
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.logging import print_log
from mmengine.runner.checkpoint import _load_checkpoint, load_state_dict
from mmengine.structures import LabelData
from mmocr.models.textrecog.decoders import BaseDecoder
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample

from stisr_mmocr.structures import TextSRDataSample
from ..judges import build_recognizer, prepare_recog_input
from .base_text_sr import BaseTextSR, OptSampleList, SampleList

# Transforms of a recognizer's test pipeline that do not touch the pixels.
_NEUTRAL_TRANSFORMS = ('LoadOCRAnnotations', 'PackTextRecogInputs')
_LOADERS = ('LoadImageFromFile', 'LoadImageFromNDArray', 'InferencerLoader')


def load_model_config(cfg: Union[str, dict],
                      field: str) -> Tuple[dict, Optional[Config]]:
    """The model dict of a config file, or the given model dict.

    Args:
        cfg (str | dict): A config file with a top-level ``model``
            (``pkg::path`` for the configs of an installed OpenMMLab package,
            e.g. ``mmocr::textrecog/crnn/crnn_mini-vgg_5e_mj.py``), or a
            model dict.
        field (str): The cascade argument, named in errors.

    Returns:
        tuple: (model dict, the loaded config or None).
    """
    if not isinstance(cfg, str):
        return copy.deepcopy(cfg), None
    full = get_config(cfg) if '::' in cfg else Config.fromfile(cfg)
    if 'model' not in full:
        raise KeyError(f'config {cfg} given as `{field}` has no top-level '
                       '`model`')
    return copy.deepcopy(full.model), full


def recog_input_from_pipeline(pipeline: Sequence[dict]) -> dict:
    """Read how a recognizer prepares a loaded image from its test pipeline.

    Understands MMOCR's loaders (``color_type``), ``Resize`` (fixed
    ``scale``), ``RescaleToHeight`` and ``PadToWidth``; transforms that only
    load annotations or pack are skipped.

    Args:
        pipeline (Sequence[dict]): The ``test_pipeline`` of a recognizer
            config.

    Returns:
        dict: ``gray`` and either ``size`` (W, H) or ``height`` (with
        ``min_width``, ``max_width``, ``width_divisor``), and ``pad_width``
        when the pipeline pads.

    Raises:
        ValueError: For a transform the cascade cannot reproduce on SR
            images; set ``recog_input`` in the cascade config instead.
    """
    spec: dict = dict(gray=False)
    for transform in pipeline:
        kind = transform['type'].split('.')[-1]
        if kind in _LOADERS:
            spec['gray'] = transform.get('color_type') == 'grayscale'
        elif kind == 'Resize':
            if transform.get('keep_ratio', False) or 'scale' not in transform:
                raise ValueError(
                    f'test_pipeline transform {transform} keeps the ratio; '
                    'set `recog_input=dict(size=(W, H))` in the cascade')
            spec['size'] = tuple(transform['scale'])
        elif kind == 'RescaleToHeight':
            spec.update(
                height=transform['height'],
                min_width=transform.get('min_width'),
                max_width=transform.get('max_width'),
                width_divisor=transform.get('width_divisor', 1))
        elif kind == 'PadToWidth':
            spec['pad_width'] = transform['width']
        elif kind not in _NEUTRAL_TRANSFORMS:
            raise ValueError(
                f'cannot reproduce test_pipeline transform {kind} of the '
                'recognizer on SR images; set `recog_input` in the cascade')
    return spec


@MODELS.register_module()
class SRRecognizerCascade(BaseTextSR):
    """An SR model in front of an MMOCR recognizer.

    The SR output (N, C, H, W) in [0, 1] becomes what the recognizer's test
    pipeline makes of a loaded image (``recog_input``: resize, gray, pad, on
    the 0-255 scale via :func:`prepare_recog_input`); the recognizer's own
    data preprocessor then normalises it. ``predict`` gives ``pred_img`` and
    ``pred_text`` (with scores), so PSNR/SSIM and MMOCR's ``WordMetric`` /
    ``CharMetric`` read the outputs unchanged.

    A frozen part has ``requires_grad=False`` and stays in eval mode; a
    frozen SR model runs without autograd. Gradients of a trainable SR model
    flow through a frozen recognizer, whose loss is computed with every layer
    in eval mode (no dropout, fixed normalisation statistics): only its
    decoders take their training branch (targets, teacher forcing).

    Args:
        recognizer (str | dict): MMOCR recognizer: a config file (its
            ``model``; ``mmocr::textrecog/...`` for MMOCR's own configs) or a
            model dict.
        sr (str | dict, optional): SR model (a :class:`BaseTextSR`): config
            file or model dict. None: the recognizer reads the LR input (no
            SR front end).
        recognizer_checkpoint (str, optional): Recognizer weights (path or
            URL), loaded strictly when the cascade is built; a checkpoint of
            a cascade gives its ``recognizer.`` weights.
        sr_checkpoint (str, optional): SR weights, likewise (``sr.``).
        recog_input (dict, optional): Recognizer input preparation, keys as
            returned by :func:`recog_input_from_pipeline`. Defaults to the
            ``judge_input`` of the recognizer config file, else its
            ``test_pipeline``, else the SR image as is, in colour.
        freeze_sr (bool): Defaults to False.
        freeze_recognizer (bool): Defaults to True.
        recog_loss_weight (float): Weight of the recognizer's losses.
            Defaults to 1.
        pixel_loss (dict, optional): Loss of the SR output against
            ``gt_img``, added in training when every sample carries one.
        sr_output_key (str): Key of the final SR image when the SR model's
            ``_forward`` returns a dict. Defaults to 'sr'.
        **kwargs: :class:`BaseTextSR` arguments.
    """

    def __init__(self,
                 recognizer: Union[str, dict],
                 sr: Union[str, dict, None] = None,
                 recognizer_checkpoint: Optional[str] = None,
                 sr_checkpoint: Optional[str] = None,
                 recog_input: Optional[dict] = None,
                 freeze_sr: bool = False,
                 freeze_recognizer: bool = True,
                 recog_loss_weight: float = 1.,
                 pixel_loss: Optional[dict] = None,
                 sr_output_key: str = 'sr',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if sr is None and pixel_loss is not None:
            raise ValueError('pixel_loss needs an SR model (`sr` is None)')
        self.sr = None
        if sr is not None:
            sr_cfg, _ = load_model_config(sr, 'sr')
            self.sr = self._load(MODELS.build(sr_cfg), sr_checkpoint, 'sr')
        recog_cfg, recog_file = load_model_config(recognizer, 'recognizer')
        self.recognizer = self._load(
            build_recognizer(recog_cfg)[0], recognizer_checkpoint,
            'recognizer')
        if recog_input is None and recog_file is not None:
            if 'judge_input' in recog_file:
                recog_input = recog_file.judge_input
            elif 'test_pipeline' in recog_file:
                recog_input = recog_input_from_pipeline(
                    recog_file.test_pipeline)
        self.recog_input = dict(recog_input or {})
        self.freeze_sr = freeze_sr and self.sr is not None
        self.freeze_recognizer = freeze_recognizer
        for part, frozen in self._parts():
            if frozen:
                part.requires_grad_(False)
        self.recog_loss_weight = recog_loss_weight
        self.pixel_loss = MODELS.build(pixel_loss) if pixel_loss else None
        self.sr_output_key = sr_output_key
        self.train(self.training)

    @staticmethod
    def _load(part: torch.nn.Module, checkpoint: Optional[str],
              name: str) -> torch.nn.Module:
        """Load weights strictly into a part (then ``init_weights`` leaves
        it alone), or warn that it has none. A checkpoint of a whole cascade
        gives the part its ``<name>.`` weights."""
        if checkpoint:
            state = _load_checkpoint(checkpoint, map_location='cpu')
            state = state.get('state_dict', state)
            prefix = f'{name}.'
            if all(k.startswith(('sr.', 'recognizer.')) for k in state):
                state = {
                    k[len(prefix):]: v
                    for k, v in state.items() if k.startswith(prefix)
                }
            load_state_dict(part, state, strict=True)
            part._is_init = True
        elif any(True for _ in part.parameters()):
            print_log(
                f'SRRecognizerCascade: no `{name}_checkpoint`; the {name} '
                'keeps its initial weights unless a checkpoint of the whole '
                'cascade is loaded',
                logger='current',
                level=logging.WARNING)
        return part

    def _parts(self) -> List[Tuple[torch.nn.Module, bool]]:
        """(module, frozen) of the SR model (when present) and recognizer."""
        parts = [(self.recognizer, self.freeze_recognizer)]
        if self.sr is not None:
            parts.insert(0, (self.sr, self.freeze_sr))
        return parts

    def train(self, mode: bool = True) -> 'SRRecognizerCascade':
        """Set the mode; frozen parts stay in eval mode."""
        super().train(mode)
        for part, frozen in self._parts():
            if frozen:
                part.eval()
        return self

    @contextmanager
    def _decoders_in_training_branch(self) -> Iterator[None]:
        """Flag the recognizer's decoders (not their layers) as training,
        so an eval-mode recognizer builds targets and teacher-forces."""
        flipped = [
            m for m in self.recognizer.modules()
            if isinstance(m, BaseDecoder) and not m.training
        ]
        for module in flipped:
            module.training = True
        try:
            yield
        finally:
            for module in flipped:
                module.training = False

    def recog_size(self, height: int, width: int) -> Optional[Tuple[int, int]]:
        """(W, H) the recognizer reads an (H, W) image at; None keeps it."""
        spec = self.recog_input
        if spec.get('size'):
            return tuple(spec['size'])
        if not spec.get('height'):
            return None
        new_w = math.ceil(spec['height'] / height * width)
        if spec.get('min_width'):
            new_w = max(spec['min_width'], new_w)
        if spec.get('max_width'):
            new_w = min(spec['max_width'], new_w)
        divisor = spec.get('width_divisor') or 1
        if new_w % divisor:
            new_w = round(new_w / divisor) * divisor
        return new_w, spec['height']

    def to_recog_inputs(self,
                        imgs: torch.Tensor,
                        data_samples: OptSampleList = None,
                        training: bool = False
                        ) -> Tuple[torch.Tensor, List[TextRecogDataSample]]:
        """Turn images into the recognizer's normalised batch.

        Args:
            imgs (torch.Tensor): (N, C>=3, H, W) RGB(+mask) in [0, 1].
            data_samples (list[TextSRDataSample], optional): Their
                ``gt_text`` is passed on (for the recognizer's loss).
            training (bool): Passed to the recognizer's data preprocessor.

        Returns:
            tuple: Inputs (N, 1 or 3, H', W') as the recognizer's data
            preprocessor outputs them, and one recognition sample per image.
        """
        size = self.recog_size(*imgs.shape[-2:])
        x = prepare_recog_input(imgs, size,
                                self.recog_input.get('gray', False))
        height, width = x.shape[-2:]
        pad_width = self.recog_input.get('pad_width') or 0
        if pad_width > width:
            x = F.pad(x, (0, pad_width - width))
        samples = []
        for i in range(x.shape[0]):
            sample = TextRecogDataSample(
                metainfo=dict(img_shape=(height, width), valid_ratio=1.0))
            if data_samples is not None and 'gt_text' in data_samples[i]:
                sample.gt_text = LabelData(item=data_samples[i].gt_text.item)
            samples.append(sample)
        data = self.recognizer.data_preprocessor(
            dict(inputs=x, data_samples=samples), training)
        return data['inputs'], data['data_samples']

    def super_resolve(self,
                      inputs: torch.Tensor,
                      data_samples: OptSampleList = None) -> torch.Tensor:
        """(N, C, h, w) LR -> (N, C, H, W) SR, unclamped; the LR itself
        without an SR model."""
        if self.sr is None:
            return inputs
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.freeze_sr):
            out = self.sr._forward(inputs, data_samples)
        if isinstance(out, dict):
            if self.sr_output_key not in out:
                raise KeyError(f'SR output has no {self.sr_output_key!r} '
                               f'(keys: {sorted(out)}); set `sr_output_key`')
            out = out[self.sr_output_key]
        return out

    def _forward(self,
                 inputs: torch.Tensor,
                 data_samples: OptSampleList = None) -> Dict[str, object]:
        """Raw outputs: ``sr`` (N, C, H, W) and ``recog`` (the recognizer's
        tensor-mode output)."""
        sr = self.super_resolve(inputs, data_samples)
        x, samples = self.to_recog_inputs(sr, data_samples)
        return dict(sr=sr, recog=self.recognizer._forward(x, samples))

    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """The recognizer's losses on the SR output (``gt_text``), times
        ``recog_loss_weight``, plus ``loss_pixel`` against ``gt_img`` when
        configured and present."""
        if all(frozen for _, frozen in self._parts()):
            raise RuntimeError('both the SR model and the recognizer are '
                               'frozen: set freeze_sr or freeze_recognizer '
                               'to False to train the cascade')
        sr = self.super_resolve(inputs, data_samples)
        x, samples = self.to_recog_inputs(sr, data_samples, training=True)
        with self._decoders_in_training_branch():
            losses = {
                k: v * self.recog_loss_weight if 'loss' in k else v
                for k, v in self.recognizer.loss(x, samples).items()
            }
        if self.pixel_loss is not None and all('gt_img' in s
                                               for s in data_samples):
            losses['loss_pixel'] = self.pixel_loss(
                sr, self.stack_gt_img(data_samples))
        return losses

    def predict(self,
                inputs: torch.Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """Super-resolve and read a batch.

        Returns:
            list[TextSRDataSample]: With ``pred_img`` (C, H, W) in [0, 1]
            (unless there is no SR model) and ``pred_text`` (``item``,
            ``score``); the recognizer reads exactly ``pred_img``.
        """
        if data_samples is None:
            data_samples = [TextSRDataSample() for _ in range(len(inputs))]
        sr = self.super_resolve(inputs, data_samples)
        if self.sr is not None:
            sr = sr.clamp(0, 1)
            self.add_pred_img(sr, data_samples)
        x, samples = self.to_recog_inputs(sr, data_samples)
        for sample, read in zip(data_samples,
                                self.recognizer.predict(x, samples)):
            sample.pred_text = read.pred_text
        return data_samples
