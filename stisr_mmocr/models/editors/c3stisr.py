import logging
from typing import Dict, Optional, Union

import torch
from mmengine.logging import print_log
from mmocr.registry import MODELS

from ..judges import build_recognizer
from ..losses.text_ctc_loss import TextCTCLoss
from .base_text_sr import BaseTextSR, OptSampleList, SampleList
from .recognizer_guided_sr import drop_clues, frozen_copy


@MODELS.register_module()
class C3STISR(BaseTextSR):
    """C3-STISR (IJCAI'22): TSRN guided by recognition, linguistic and
    visual clues generated from a recognizer's reading of the LR image.

    The recognizer R (MMOCR's CRNN in the TextZoom protocol) reads the LR
    image; the clue generator turns its output R(I_LR) into the clue h_t
    (N, C', h, w) that every residual block of the TSRN network
    (``generator``) concatenates to its features. R is trained too,
    distilled from a frozen copy of itself reading the HR image (the
    teacher, R(I_HR)).

    Loss (Eq. 7): ``pixel_loss`` (alpha1 x L2, plus the gradient profile
    loss of ``--gradient``) + ``text_focus_loss`` (alpha2, optional) +
    ``distill_loss`` (alpha3, Eq. 3) + ``linguistic_loss`` (alpha4): Eq. 5
    with a ``DistillationLoss`` (p_LM against R(I_HR)), or the released
    variant's CTC against the label with a ``TextCTCLoss``.

    Args:
        generator (dict): Config of the SR network, a ``TSRNNet`` whose
            ``clue_channels`` is C'.
        recognizer (str or dict): R: a recognizer config file (with
            ``model`` and ``reader``, e.g. ``configs/judges/crnn_textzoom.py``)
            or a model dict.
        clue_generator (dict): Config of ``C3ClueGenerator``; ``num_classes``
            and ``dictionary`` are R's.
        recognizer_checkpoint (str, optional): Weights of R (e.g. the
            converted CRNN): R's ``init_cfg`` becomes a ``StrictPretrained``
            of it, loaded by :meth:`init_weights`, which then copies R into
            the teacher.
        reader (dict, optional): Overrides of R's reader of images
            (:meth:`RecognizerReader.from_config`); by default the config
            file's ``reader``.
        pixel_loss (dict): Defaults to ``TextImageLoss(mse_weight=20,
            gradient_weight=1e-4)``.
        text_focus_loss (dict, optional): Text focus loss (alpha2, Eq. 2),
            called as ``loss(sr, hr, texts)``, e.g. ``TextFocusLoss``; None,
            or a ``TextFocusLoss`` without recognizer weights (then a
            warning is logged), switches it off.
        distill_loss (dict, optional): Distillation of R from the teacher
            (Eq. 3). Defaults to ``DistillationLoss(loss_weight=1)``; None
            drops the term (R then learns through the clues only).
        linguistic_loss (dict, optional): Loss of the language model's
            output; needs the linguistic clue. Defaults to None.
        clue_drop_ratio (float): Fraction of every training batch, from its
            start, whose clue is zeroed (TPGSR's prior dropout, which the
            C3-STISR release keeps: ``drop_vec[:N // 4] = 0``). Defaults to
            0.
        data_preprocessor (dict, optional): Defaults to
            ``TextSRDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    frozen_modules = ('teacher', )

    def __init__(self,
                 generator: dict,
                 recognizer: Union[str, dict],
                 clue_generator: dict,
                 recognizer_checkpoint: Optional[str] = None,
                 reader: Optional[dict] = None,
                 pixel_loss: dict = dict(
                     type='TextImageLoss',
                     mse_weight=20.,
                     gradient_weight=1e-4),
                 text_focus_loss: Optional[dict] = None,
                 distill_loss: Optional[dict] = dict(
                     type='DistillationLoss', loss_weight=1.),
                 linguistic_loss: Optional[dict] = None,
                 clue_drop_ratio: float = 0.,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.recognizer, self.reader = build_recognizer(
            recognizer, reader=reader)
        dictionary = self.recognizer.decoder.dictionary
        self.clue_generator = MODELS.build(
            dict(
                num_classes=dictionary.num_classes,
                dictionary=dictionary,
                **clue_generator))
        if not 0 <= clue_drop_ratio <= 1:
            raise ValueError(
                f'clue_drop_ratio must be in [0, 1], got {clue_drop_ratio}')
        self.clue_drop_ratio = clue_drop_ratio
        self.generator = MODELS.build(generator)
        clue_channels = self.generator.clue_channels
        if clue_channels != self.clue_generator.clue_channels:
            raise ValueError(
                f'generator.clue_channels ({clue_channels}) must equal '
                'clue_generator.clue_channels '
                f'({self.clue_generator.clue_channels})')

        self.pixel_loss = MODELS.build(pixel_loss)
        self.text_focus_loss = MODELS.build(
            text_focus_loss) if text_focus_loss else None
        if not getattr(self.text_focus_loss, 'enabled', True):
            print_log(
                'C3STISR: the text focus loss (alpha2) is off: its frozen '
                'transformer recognizer has no weights (set '
                'model.text_focus_loss.recognizer_checkpoint to STT\'s '
                'pretrain_transformer.pth)',
                logger='current',
                level=logging.WARNING)
            self.text_focus_loss = None
        self.distill_loss = MODELS.build(
            distill_loss) if distill_loss else None
        self.linguistic_loss = MODELS.build(
            linguistic_loss) if linguistic_loss else None
        if (self.linguistic_loss is not None
                and self.clue_generator.linguistic is None):
            raise ValueError('linguistic_loss needs the linguistic clue '
                             '(clue_generator.linguistic)')
        needs_teacher = self.distill_loss is not None or (
            self.linguistic_loss is not None
            and not isinstance(self.linguistic_loss, TextCTCLoss))
        self.teacher = None
        if needs_teacher:
            self.teacher = frozen_copy(self.recognizer)
        if recognizer_checkpoint:
            self.recognizer.init_cfg = dict(
                type='StrictPretrained', checkpoint=recognizer_checkpoint)
        else:
            print_log(
                'C3STISR: no recognizer_checkpoint, the recognizer R starts '
                'from random weights',
                logger='current',
                level=logging.WARNING)

    def init_weights(self) -> None:
        """Initialise (R loads ``recognizer_checkpoint`` strictly through
        its ``init_cfg``), then copy R into the teacher."""
        super().init_weights()
        if self.teacher is not None:
            self.teacher.load_state_dict(self.recognizer.state_dict())

    def recognize(self, recognizer: torch.nn.Module,
                  images: torch.Tensor) -> torch.Tensor:
        """Read images with R (or its teacher).

        Args:
            recognizer (nn.Module): ``self.recognizer`` or ``self.teacher``.
            images (torch.Tensor): (N, C, H, W) RGB(+mask) in [0, 1].

        Returns:
            torch.Tensor: (N, T, K) logits, with gradients.
        """
        return self.reader.logits(recognizer, images)

    def generate(self, inputs: torch.Tensor) -> Dict[str, object]:
        """Read the LR images, generate the clue and super-resolve.

        Args:
            inputs (torch.Tensor): (N, C, h, w) LR images in [0, 1].

        Returns:
            dict: ``sr`` (N, C, H, W), ``logits`` R(I_LR) (N, T, K), and the
            clue generator's outputs (``clue``, ``clues``, ``weights``,
            ``lm_logits``, ``texts``); ``clue`` is before the training-time
            prior dropout.
        """
        logits = self.recognize(self.recognizer, inputs)
        out = self.clue_generator(inputs, logits)
        out['logits'] = logits
        clue = out['clue']
        if self.training and self.clue_drop_ratio:
            clue = drop_clues(clue, self.clue_drop_ratio)
        out['sr'] = self.generator(inputs, clue)
        return out

    def _forward(self,
                 inputs: torch.Tensor,
                 data_samples: OptSampleList = None) -> torch.Tensor:
        """(N, C, h, w) LR -> (N, C, H, W) SR."""
        return self.generate(inputs)['sr']

    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """Losses of Eq. 7 (the terms that are configured).

        Returns:
            dict: ``loss_pixel`` and, when configured, ``loss_text_focus``,
            ``loss_distill``, ``loss_ling``.
        """
        out = self.generate(inputs)
        hr = self.stack_gt_img(data_samples)
        losses = dict(loss_pixel=self.pixel_loss(out['sr'], hr))
        if self.text_focus_loss is not None:
            losses['loss_text_focus'] = self.text_focus_loss(
                out['sr'], hr, [s.gt_text.item for s in data_samples])
        teacher_logits = None
        if self.teacher is not None:
            with torch.no_grad():
                teacher_logits = self.recognize(self.teacher, hr)
        if self.distill_loss is not None:
            losses['loss_distill'] = self.distill_loss(out['logits'],
                                                       teacher_logits)
        if self.linguistic_loss is not None:
            target = data_samples if isinstance(
                self.linguistic_loss, TextCTCLoss) else teacher_logits
            losses['loss_ling'] = self.linguistic_loss(out['lm_logits'],
                                                       target)
        return losses
