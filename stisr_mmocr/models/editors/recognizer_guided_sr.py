import copy
import logging
import re
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmocr.registry import MODELS

from ..judges import build_recognizer
from .base_text_sr import BaseTextSR, OptSampleList, SampleList

_TEACHER_KEY = re.compile(r'(^|\.)teacher\.')


def _drop_teacher_keys(module: nn.Module, state_dict: dict, prefix: str,
                       local_metadata: dict) -> None:
    """State-dict hook: the frozen teacher is not saved."""
    for key in [k for k in state_dict if k.startswith(prefix + 'teacher.')]:
        del state_dict[key]


def _allow_missing_teacher_keys(module: nn.Module, incompatible_keys) -> None:
    """Load post-hook: checkpoints carry no teacher weights."""
    missing = incompatible_keys.missing_keys
    missing[:] = [k for k in missing if not _TEACHER_KEY.search(k)]


def frozen_copy(module: nn.Module) -> nn.Module:
    """A copy of ``module`` without gradients, in eval mode (a teacher)."""
    return copy.deepcopy(module).requires_grad_(False).eval()


def drop_clues(clues: torch.Tensor, ratio: float) -> torch.Tensor:
    """Zero the clues of the first ``int(N * ratio)`` samples of a batch
    (TPGSR's prior dropout, ``drop_vec[:N // 4] = 0``).

    Args:
        clues (torch.Tensor): (N, ...) clues or priors.
        ratio (float): Fraction of the batch, from its start.

    Returns:
        torch.Tensor: The clues with those samples zeroed.
    """
    keep = clues.new_ones(clues.shape[0])
    keep[:int(clues.shape[0] * ratio)] = 0
    return clues * keep.view(-1, *([1] * (clues.dim() - 1)))


@MODELS.register_module()
class RecognizerGuidedSR(BaseTextSR):
    """An SR network guided by a text prior, as in the TPGSR code base
    (TPGSR, TATT, the C3-STISR release: ``interfaces/super_resolution.py``,
    ``--arch tsrn_tl_cascade``).

    A student recognizer reads the image of its stage; its per-position
    class probabilities (N, T, K) are the text prior of the SR network
    (``generator``), which always reads the LR image. Stage 0's student
    reads the LR image, stage i's the SR output of stage i - 1 (not
    detached, so later stages' losses reach earlier ones). While training,
    the prior of the first ``clue_drop_ratio`` x N samples is zeroed (prior
    dropout) and a frozen teacher (the pretrained recognizer, eval mode, not
    saved) reads the HR image. Losses, per stage: ``pixel_loss(SR_i, HR)``
    and ``distill_loss(student_i, teacher)``; with one stage they are
    ``loss_pixel`` and ``loss_distill``, with more ``loss_pixel_s{i}`` and
    ``loss_distill_s{i}``. The prediction is the last stage's SR image.

    Args:
        generator (dict): Config of the SR network, called as
            ``generator(lr, probs)`` with (N, T, K) probabilities.
        recognizer (str or dict): Config file (with ``model`` and
            ``reader``, e.g. ``configs/judges/crnn_textzoom.py``) or model
            dict of the students and the teacher.
        num_stages (int): Refinement stages (``--stu_iter``). Defaults to 1.
        share_generator (bool): One SR network for every stage
            (``--sr_share``); else ``generator`` is a list of
            ``num_stages`` networks. Defaults to True.
        share_student (bool): One student for every stage (``--tpg_share``);
            else ``student`` is a list of ``num_stages`` students when
            ``num_stages > 1``. Defaults to False.
        student_checkpoint (str, optional): Initial weights of every
            student (the converted ``crnn.pth``), loaded strictly through
            their ``init_cfg``.
        teacher_checkpoint (str, optional): Teacher weights, likewise.
        reader (dict, optional): Overrides of the recognizer's reader of
            images (:meth:`RecognizerReader.from_config`); by default the
            config file's ``reader`` (TPGSR's ``parse_crnn_data``: bicubic
            100x32, gray).
        pixel_loss (dict): Defaults to ``TextImageLoss(mse_weight=1,
            gradient_weight=1e-4, loss_weight=100)``.
        distill_loss (dict, optional): Defaults to
            ``DistillationLoss(loss_weight=100)`` (TPGSR's ``SemanticLoss``
            x100); None drops it and the teacher.
        clue_drop_ratio (float): Fraction of the batch, from its start,
            whose prior is zeroed while training. Defaults to 0.25.
        prior_grad (bool): Whether the SR losses reach the students through
            the prior (TPGSR); False detaches it, so the students learn from
            the distillation only (TATT). Defaults to True.
        stage_input_grad (bool): Whether stage i's student reads stage
            i - 1's SR output with its graph (TPGSR); False detaches it
            (TATT). Defaults to True.
        stage_weight_step (float): Stage i's pixel loss is weighted
            ``1 + stage_weight_step * i`` (TATT: 0.5). Defaults to 0.
        data_preprocessor (dict, optional): Defaults to
            ``TextSRDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    frozen_modules = ('teacher', )

    def __init__(self,
                 generator: dict,
                 recognizer: Union[str, dict],
                 num_stages: int = 1,
                 share_generator: bool = True,
                 share_student: bool = False,
                 student_checkpoint: Optional[str] = None,
                 teacher_checkpoint: Optional[str] = None,
                 reader: Optional[dict] = None,
                 pixel_loss: dict = dict(type='TextImageLoss',
                                         mse_weight=1.,
                                         gradient_weight=1e-4,
                                         loss_weight=100.),
                 distill_loss: Optional[dict] = dict(type='DistillationLoss',
                                                     loss_weight=100.),
                 clue_drop_ratio: float = 0.25,
                 prior_grad: bool = True,
                 stage_input_grad: bool = True,
                 stage_weight_step: float = 0.,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if num_stages < 1:
            raise ValueError(f'num_stages must be >= 1, got {num_stages}')
        if not 0 <= clue_drop_ratio <= 1:
            raise ValueError(
                f'clue_drop_ratio must be in [0, 1], got {clue_drop_ratio}')
        self.num_stages = num_stages
        self.clue_drop_ratio = clue_drop_ratio
        self.prior_grad = prior_grad
        self.stage_input_grad = stage_input_grad
        self.stage_weight_step = stage_weight_step
        student, self.reader = build_recognizer(recognizer, reader=reader)
        self.teacher = None
        if distill_loss is not None:
            self.teacher = frozen_copy(student)
            self._pretrained(self.teacher, teacher_checkpoint, 'teacher')
        self._pretrained(student, student_checkpoint, 'student')
        num_students = 1 if share_student else num_stages
        self.student = student if num_students == 1 else nn.ModuleList(
            [student] + [copy.deepcopy(student)
                         for _ in range(num_students - 1)])
        self.generator = MODELS.build(generator) if (
            share_generator or num_stages == 1) else nn.ModuleList(
                [MODELS.build(generator) for _ in range(num_stages)])
        self.pixel_loss = MODELS.build(pixel_loss)
        self.distill_loss = MODELS.build(
            distill_loss) if distill_loss else None
        self.register_state_dict_post_hook(_drop_teacher_keys)
        self.register_load_state_dict_post_hook(_allow_missing_teacher_keys)

    @staticmethod
    def _pretrained(recognizer: nn.Module, checkpoint: Optional[str],
                    name: str) -> None:
        """Load ``checkpoint`` into ``recognizer`` strictly with its weights
        (``init_cfg``), or warn that it keeps random ones."""
        if checkpoint:
            recognizer.init_cfg = dict(type='StrictPretrained',
                                       checkpoint=checkpoint)
        else:
            print_log(
                f'RecognizerGuidedSR: no {name}_checkpoint, the {name} '
                'keeps random weights',
                logger='current',
                level=logging.WARNING)

    def stage_modules(self, stage: int) -> tuple:
        """(student, generator) of a stage."""
        student = self.student[stage % len(self.student)] if isinstance(
            self.student, nn.ModuleList) else self.student
        generator = self.generator[stage] if isinstance(
            self.generator, nn.ModuleList) else self.generator
        return student, generator

    def read(self, recognizer: nn.Module,
             images: torch.Tensor) -> torch.Tensor:
        """(N, T, K) logits of a recognizer reading (N, C, H, W) images, with
        gradients."""
        return self.reader.logits(recognizer, images)

    def drop_clues(self, probs: torch.Tensor) -> torch.Tensor:
        """Zero the (N, T, K) priors of the first ``clue_drop_ratio`` x N
        samples."""
        return drop_clues(probs, self.clue_drop_ratio)

    def cascade(self, inputs: torch.Tensor) -> List[Dict[str, torch.Tensor]]:
        """Run every stage on (N, C, h, w) LR images.

        Returns:
            list[dict]: Per stage, ``logits`` (N, T, K) of its student,
            ``probs`` (N, T, K), the prior its SR network read (dropped
            while training, detached without ``prior_grad``), and ``sr``
            (N, C, H, W).
        """
        outputs, image = [], inputs
        for stage in range(self.num_stages):
            student, generator = self.stage_modules(stage)
            if not self.stage_input_grad:
                image = image.detach()
            logits = self.read(student, image)
            probs = logits.softmax(-1)
            if self.training and self.clue_drop_ratio:
                probs = self.drop_clues(probs)
            if not self.prior_grad:
                probs = probs.detach()
            image = generator(inputs, probs)
            outputs.append(dict(logits=logits, probs=probs, sr=image))
        return outputs

    def _forward(self,
                 inputs: torch.Tensor,
                 data_samples: OptSampleList = None) -> torch.Tensor:
        """(N, C, h, w) LR -> (N, C, H, W) SR of the last stage."""
        return self.cascade(inputs)[-1]['sr']

    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """Per-stage pixel and distillation losses of a batch.

        Args:
            inputs (torch.Tensor): (N, C, h, w) LR images in [0, 1].
            data_samples (list[TextSRDataSample]): With ``gt_img``.

        Returns:
            dict: ``loss_pixel`` (and ``loss_distill``) for one stage,
            ``loss_pixel_s{i}`` (and ``loss_distill_s{i}``) for several.
        """
        return self.guided_losses(inputs,
                                  self.stack_gt_img(data_samples))[0]

    def stage_suffix(self, stage: int) -> str:
        """Suffix of a stage's loss names: '' with one stage, else
        ``_s{stage}``."""
        return f'_s{stage}' if self.num_stages > 1 else ''

    def guided_losses(self, inputs: torch.Tensor,
                      hr: torch.Tensor) -> Tuple[dict, List[dict]]:
        """Per-stage pixel and distillation losses of LR / HR pairs.

        Args:
            inputs (torch.Tensor): (N, C, h, w) LR images.
            hr (torch.Tensor): (N, C, H, W) HR images.

        Returns:
            tuple: The losses and the :meth:`cascade` outputs.
        """
        teacher_logits = None
        if self.teacher is not None:
            with torch.no_grad():
                teacher_logits = self.read(self.teacher, hr)
        losses = {}
        outputs = self.cascade(inputs)
        for stage, out in enumerate(outputs):
            suffix = self.stage_suffix(stage)
            weight = 1 + self.stage_weight_step * stage
            losses[f'loss_pixel{suffix}'] = weight * self.pixel_loss(
                out['sr'], hr)
            if self.distill_loss is not None:
                losses[f'loss_distill{suffix}'] = self.distill_loss(
                    out['logits'], teacher_logits)
        return losses, outputs
