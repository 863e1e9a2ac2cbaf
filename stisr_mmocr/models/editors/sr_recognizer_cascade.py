import logging
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Tuple, Union

import torch
from mmengine.logging import print_log
from mmocr.models.textrecog.decoders import BaseDecoder
from mmocr.registry import MODELS

from stisr_mmocr.structures import TextSRDataSample
from ..judges import build_recognizer, load_model_config
from .base_text_sr import BaseTextSR, OptSampleList, SampleList


def _loads_weights(part: torch.nn.Module) -> bool:
    """Whether a sub-module of ``part`` loads weights through its own
    ``init_cfg`` (a ``*Pretrained`` initializer, e.g. LEMMA's release)."""
    for module in part.modules():
        cfgs = getattr(module, 'init_cfg', None) or []
        for cfg in cfgs if isinstance(cfgs, list) else [cfgs]:
            if 'Pretrained' in str(cfg.get('type', '')):
                return True
    return False


@MODELS.register_module()
class SRRecognizerCascade(BaseTextSR):
    """An SR model in front of an MMOCR recognizer.

    The recognizer reads the SR output (N, C, H, W) in [0, 1] through its
    :class:`RecognizerReader`: what its test pipeline (or the ``reader`` of
    its config file) and its data preprocessor make of a loaded image.
    ``predict`` gives ``pred_img`` and ``pred_text`` (with scores), so
    PSNR/SSIM and MMOCR's ``WordMetric`` / ``CharMetric`` read the outputs
    unchanged.

    A frozen part has ``requires_grad=False`` and stays in eval mode; a
    frozen SR model runs without autograd. Gradients of a trainable SR model
    flow through a frozen recognizer, whose loss is computed with every layer
    in eval mode (no dropout, fixed normalisation statistics): only its
    decoders take their training branch (targets, teacher forcing).

    Args:
        recognizer (str | dict): MMOCR recognizer: a config file (its
            ``model``; ``mmocr::textrecog/...`` for MMOCR's own configs) or a
            model dict.
        generator (str | dict, optional): The SR model (a
            :class:`BaseTextSR`): config file or model dict. None: the
            recognizer reads the LR input (no SR front end).
        recognizer_checkpoint (str, optional): Recognizer weights (path or
            URL): the recognizer's ``init_cfg`` becomes a
            ``StrictPretrained`` of it, loaded by ``init_weights`` (training)
            or by the runner before testing; a checkpoint of a cascade gives
            its ``recognizer.`` weights.
        generator_checkpoint (str, optional): SR weights, likewise
            (``generator.``).
        reader (dict, optional): Overrides of the recognizer's reader
            (:meth:`RecognizerReader.from_config`): by default the
            ``reader`` of its config file, else its ``test_pipeline``, else
            the SR image as is, in colour.
        freeze_generator (bool): Defaults to False.
        freeze_recognizer (bool): Defaults to True.
        recog_loss_weight (float): Weight of the recognizer's losses.
            Defaults to 1.
        pixel_loss (dict, optional): Loss of the SR output against
            ``gt_img``, added in training when every sample carries one.
        sr_output_key (str): Key of the final SR image when the SR model's
            tensor-mode output is a dict. Defaults to 'sr'.
        **kwargs: :class:`BaseTextSR` arguments.
    """

    def __init__(self,
                 recognizer: Union[str, dict],
                 generator: Union[str, dict, None] = None,
                 recognizer_checkpoint: Optional[str] = None,
                 generator_checkpoint: Optional[str] = None,
                 reader: Optional[dict] = None,
                 freeze_generator: bool = False,
                 freeze_recognizer: bool = True,
                 recog_loss_weight: float = 1.,
                 pixel_loss: Optional[dict] = None,
                 sr_output_key: str = 'sr',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if generator is None and pixel_loss is not None:
            raise ValueError(
                'pixel_loss needs an SR model (`generator` is None)')
        self.generator = None
        if generator is not None:
            sr_cfg, _ = load_model_config(generator, 'generator')
            self.generator = self._pretrained(
                MODELS.build(sr_cfg), generator_checkpoint, 'generator')
        recognizer, self.reader = build_recognizer(recognizer, reader=reader)
        self.recognizer = self._pretrained(recognizer, recognizer_checkpoint,
                                           'recognizer')
        self.freeze_generator = freeze_generator and self.generator is not None
        self.freeze_recognizer = freeze_recognizer
        for part, frozen in self._parts():
            if frozen:
                part.requires_grad_(False)
        self.recog_loss_weight = recog_loss_weight
        self.pixel_loss = MODELS.build(pixel_loss) if pixel_loss else None
        self.sr_output_key = sr_output_key
        self.train(self.training)

    @staticmethod
    def _pretrained(part: torch.nn.Module, checkpoint: Optional[str],
                    name: str) -> torch.nn.Module:
        """Make ``part`` load ``checkpoint`` strictly when its weights are
        initialised (``init_cfg`` StrictPretrained: a checkpoint of a whole
        cascade gives the part its ``<name>.`` weights), or warn that it
        has none. The file is checked before a run starts
        (``check_run_files``) and when it loads, not when the model is
        built."""
        if checkpoint:
            part.init_cfg = dict(
                type='StrictPretrained',
                checkpoint=checkpoint,
                prefix=f'{name}.',
                optional_prefix=True)
        elif any(True for _ in part.parameters()) and not _loads_weights(
                part):
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
        if self.generator is not None:
            parts.insert(0, (self.generator, self.freeze_generator))
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

    @staticmethod
    def gt_texts(data_samples: OptSampleList) -> Optional[List[str]]:
        """The ``gt_text`` of every sample, or None unless all have one."""
        if not data_samples or not all('gt_text' in s for s in data_samples):
            return None
        return [s.gt_text.item for s in data_samples]

    def super_resolve(self,
                      inputs: torch.Tensor,
                      data_samples: OptSampleList = None) -> torch.Tensor:
        """(N, C, h, w) LR -> (N, C, H, W) SR, unclamped; the LR itself
        without an SR model."""
        if self.generator is None:
            return inputs
        with torch.set_grad_enabled(torch.is_grad_enabled()
                                    and not self.freeze_generator):
            out = self.generator(inputs, data_samples, mode='tensor')
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
        x, samples = self.reader.inputs(self.recognizer, sr,
                                        self.gt_texts(data_samples))
        return dict(sr=sr, recog=self.recognizer(x, samples, mode='tensor'))

    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """The recognizer's losses on the SR output (``gt_text``), times
        ``recog_loss_weight``, plus ``loss_pixel`` against ``gt_img`` when
        configured and present."""
        if all(frozen for _, frozen in self._parts()):
            raise RuntimeError('both the SR model and the recognizer are '
                               'frozen: set freeze_generator or '
                               'freeze_recognizer to False to train the '
                               'cascade')
        sr = self.super_resolve(inputs, data_samples)
        texts = self.gt_texts(data_samples)
        if texts is None:
            raise KeyError('the recognizer loss needs the gt_text of every '
                           'data sample')
        x, samples = self.reader.inputs(
            self.recognizer, sr, texts, training=True)
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
        if self.generator is not None:
            sr = sr.clamp(0, 1)
            self.add_pred_img(sr, data_samples)
        reads = self.reader.predict(self.recognizer, sr)
        for sample, read in zip(data_samples, reads):
            sample.pred_text = read.pred_text
        return data_samples
