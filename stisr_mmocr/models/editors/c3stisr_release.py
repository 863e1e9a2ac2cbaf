from typing import Dict, Optional, Union

import torch
from mmengine.structures import LabelData
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample

from .base_text_sr import SampleList
from .recognizer_guided_sr import RecognizerGuidedSR


@MODELS.register_module()
class C3STISRRelease(RecognizerGuidedSR):
    """C3-STISR as released by its authors (``JingyeChen/C3-STISR``:
    ``model/tsrn.py`` ``TSRN_TL`` and ``interfaces/super_resolution.py``,
    flags ``--STN --sr_share --gradient --use_distill --stu_iter=1
    --mask``).

    A student CRNN reads the LR image; its softmax is the recognition clue
    of the SR network (``generator``, :class:`C3STISRReleaseNet`). One
    training step (``super_resolution.py`` L300-500):

    - the frozen teacher CRNN (the pretrained ``crnn.pth``) reads the HR
      image (L302-304);
    - the language model corrects the student's reading of the LR image
      taken in eval mode without gradients (L322-326, L398); it learns
      from its CTC loss against the label only (L437-448), since its output
      only feeds the fused clue ``hint`` that the network never uses;
    - the student reads the LR image in training mode; its softmax, with
      the first quarter of the batch zeroed (prior dropout, L387-388,
      L455), guides the SR network;
    - losses: ``pixel_loss`` (100 x (MSE + 1e-4 x gradient profile), L461)
      + ``distill_loss`` (100 x TPGSR's ``SemanticLoss`` between the
      student's and the teacher's distributions, L381) + ``lm_loss`` (CTC,
      weight 1).

    One Adam updates the generator, the language model and the student; only
    the first two are clipped to norm 0.25 (L498-499): configure
    ``GroupClipOptimWrapper`` with ``clip_grad=False`` for ``student.``.

    It is :class:`RecognizerGuidedSR` with one stage (student, teacher,
    prior dropout, pixel and distillation losses) plus the language model
    and its loss. The teacher is a fixed asset: loaded from
    ``teacher_checkpoint`` through its ``init_cfg``, kept in eval mode and
    out of the state dict, so that a converted release checkpoint loads
    strictly without it.

    Args:
        generator (dict): Config of :class:`C3STISRReleaseNet`.
        recognizer (str or dict): Config file (with ``model`` and
            ``reader``, e.g. ``configs/judges/crnn_textzoom.py``) or
            model dict of the student and the teacher CRNN.
        language_model (dict): Config of the language model
            (``CTCLanguageModel``: ABINet's BCN over the 26 CTC frames), with
            the student's classes in the student's order.
        student_checkpoint (str, optional): Initial student weights (the
            converted ``crnn.pth``): the student's ``init_cfg`` becomes a
            ``StrictPretrained`` of it, loaded by ``init_weights``
            (training) or by the runner before testing.
        teacher_checkpoint (str, optional): Teacher weights (the converted
            ``crnn.pth``), likewise.
        reader (dict, optional): Overrides of the CRNN's reader of images
            (:meth:`RecognizerReader.from_config`); by default the config
            file's ``reader`` (TPGSR's ``parse_crnn_data``: bicubic 100x32,
            gray).
        pixel_loss (dict): Defaults to ``TextImageLoss(mse_weight=1,
            gradient_weight=1e-4, loss_weight=100)``.
        distill_loss (dict): Defaults to ``DistillationLoss(loss_weight=100)``.
        lm_loss (dict): Defaults to ``TextCTCLoss(loss_weight=1)``; built
            with the student's dictionary.
        clue_drop_ratio (float): Fraction of the batch, taken from its
            start, whose clue is zeroed while training. Defaults to 0.25.
        lm_label_len (int): Labels are cut to this many characters (before
            out-of-alphabet characters are dropped) for the CTC loss of the
            language model, as TPGSR's ``alignCollate_realWTLAMask`` does.
            Defaults to 15.
        data_preprocessor (dict, optional): Defaults to
            ``TextSRDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 generator: dict,
                 recognizer: Union[str, dict],
                 language_model: dict,
                 student_checkpoint: Optional[str] = None,
                 teacher_checkpoint: Optional[str] = None,
                 reader: Optional[dict] = None,
                 pixel_loss: dict = dict(type='TextImageLoss',
                                         mse_weight=1.,
                                         gradient_weight=1e-4,
                                         loss_weight=100.),
                 distill_loss: dict = dict(type='DistillationLoss',
                                           loss_weight=100.),
                 lm_loss: dict = dict(type='TextCTCLoss', loss_weight=1.),
                 clue_drop_ratio: float = 0.25,
                 lm_label_len: int = 15,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(generator=generator,
                         recognizer=recognizer,
                         student_checkpoint=student_checkpoint,
                         teacher_checkpoint=teacher_checkpoint,
                         reader=reader,
                         pixel_loss=pixel_loss,
                         distill_loss=distill_loss,
                         clue_drop_ratio=clue_drop_ratio,
                         data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.language_model = MODELS.build(language_model)
        self.lm_loss = MODELS.build(
            dict(dictionary=self.student.decoder.dictionary, **lm_loss))
        self.lm_label_len = lm_label_len

    def read_without_grad(self, images: torch.Tensor) -> torch.Tensor:
        """The student's (N, T, K) logits in eval mode without gradients
        (the language model's input); the student's mode is restored."""
        mode = self.student.training
        self.student.eval()
        with torch.no_grad():
            logits = self.read(self.student, images)
        self.student.train(mode)
        return logits

    def lm_targets(self, data_samples: SampleList) -> SampleList:
        """New samples whose ``gt_text`` is the label, lowercase, cut to
        ``lm_label_len`` characters."""
        targets = []
        for sample in data_samples:
            target = TextRecogDataSample()
            target.gt_text = LabelData(
                item=sample.gt_text.item.lower()[:self.lm_label_len])
            targets.append(target)
        return targets

    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """The release's training losses of a batch.

        Args:
            inputs (torch.Tensor): (N, C, h, w) LR images in [0, 1].
            data_samples (list[TextSRDataSample]): With ``gt_img`` and
                ``gt_text``.

        Returns:
            dict: ``loss_pixel``, ``loss_distill`` and ``loss_lm``.
        """
        lm_logits = self.language_model.correct(self.read_without_grad(inputs))
        losses = super().loss(inputs, data_samples)
        losses['loss_lm'] = self.lm_loss(lm_logits,
                                         self.lm_targets(data_samples))
        return losses
