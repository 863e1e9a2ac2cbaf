from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmocr.registry import MODELS

from stisr_mmocr.engine.strict_load import load_checkpoint_strictly
from .base_text_sr import BaseTextSR, OptSampleList, SampleList

#: ABINet's characters (``dataset/charset_36.txt``); class k + 1 is
#: ``ABINET_CHARS[k]``, class 0 the null / end label.
ABINET_CHARS = 'abcdefghijklmnopqrstuvwxyz1234567890'


def abinet_labels(texts: Sequence[str], max_length: int = 26) -> torch.Tensor:
    """(N, max_length) class ids of labels as LEMMA's loop makes them
    (``CharsetMapper.get_labels`` of the lower-cased label): characters
    outside :data:`ABINET_CHARS` and the positions after the word are the
    null class 0; longer words are cut."""
    rows: List[List[int]] = []
    for text in texts:
        ids = [ABINET_CHARS.find(c) + 1 for c in text.lower()][:max_length]
        rows.append(ids + [0] * (max_length - len(ids)))
    return torch.tensor(rows, dtype=torch.long)


@MODELS.register_module()
class LEMMA(BaseTextSR):
    """LEMMA (IJCAI'23, ``csguoh/LEMMA``): the SR network
    :class:`LEMMANet` (``generator``) trained with the text focus loss and
    the guidance branch's recognition loss
    (``interfaces/super_resolution.py``):

        loss_weight x (MSE + 0.5 x (10 x attention L1 + 5e-4 x weighted
        CE) + guidance_weight x (CE_vision + CE_language))

    as ``loss_text_focus`` (:class:`TextFocusLoss` with the weights
    multiplied out) and ``loss_guidance``. The guidance terms are the
    official ones: ``cross_entropy`` of the *softmax* of ABINet's vision
    and language logits (a double softmax) against the lower-cased labels
    in ABINet's classes (:func:`abinet_labels`).

    Args:
        generator (dict): :class:`LEMMANet` config; its ``init_cfg`` takes
            the authors' ``LEMMA-release.pth``.
        text_focus_loss (dict): Defaults to ``TextFocusLoss(mse_weight=1,
            attention_weight=5, recognition_weight=2.5e-4)`` (set its
            ``recognizer_checkpoint`` / ``confusion_file``).
        guidance_weight (float): Defaults to 0.01.
        loss_weight (float): Defaults to 100.
        vision_checkpoint (str, optional): ABINet's pretrained vision model
            (``torch.load(f)['model']`` of ``FangShancheng/ABINet``), loaded
            strictly into ``generator.position_prior.vision`` by
            :meth:`init_weights` (training from scratch).
        language_checkpoint (str, optional): ABINet's pretrained language
            model, into ``generator.position_prior.language``.
        data_preprocessor (dict, optional): See :class:`BaseTextSR`.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 generator: dict,
                 text_focus_loss: dict = dict(type='TextFocusLoss',
                                              mse_weight=1.,
                                              attention_weight=5.,
                                              recognition_weight=2.5e-4),
                 guidance_weight: float = 0.01,
                 loss_weight: float = 100.,
                 vision_checkpoint: Optional[str] = None,
                 language_checkpoint: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        if generator.get('init_cfg') and (vision_checkpoint
                                          or language_checkpoint):
            raise ValueError(
                'LEMMA: generator.init_cfg loads the whole network; '
                'vision_checkpoint / language_checkpoint would overwrite '
                'its ABINet parts: give one or the other')
        self.generator = MODELS.build(generator)
        self.text_focus_loss = MODELS.build(text_focus_loss)
        self.guidance_weight = guidance_weight
        self.loss_weight = loss_weight
        self.vision_checkpoint = vision_checkpoint
        self.language_checkpoint = language_checkpoint

    def init_weights(self) -> None:
        """Initialise, then load ABINet's pretrained parts strictly."""
        super().init_weights()
        prior = self.generator.position_prior
        for part, checkpoint in ((prior.vision, self.vision_checkpoint),
                                 (prior.language, self.language_checkpoint)):
            if checkpoint:
                load_checkpoint_strictly(part, checkpoint)

    def _forward(self,
                 inputs: torch.Tensor,
                 data_samples: OptSampleList = None) -> torch.Tensor:
        """(N, C, 16, 64) LR -> (N, C, 32, 128) SR (raw ``tanh`` output)."""
        return self.generator(inputs)

    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """LEMMA's training losses of a batch.

        Args:
            inputs (torch.Tensor): (N, C, 16, 64) LR images in [0, 1].
            data_samples (list[TextSRDataSample]): With ``gt_img`` and
                ``gt_text``.

        Returns:
            dict: ``loss_text_focus`` and ``loss_guidance``.
        """
        sr, prior = self.generator.forward_with_guidance(inputs)
        texts = [s.gt_text.item for s in data_samples]
        hr = self.stack_gt_img(data_samples)
        labels = abinet_labels(texts,
                               prior['img_logits'].shape[1]).to(sr.device)
        guidance = sum(
            F.cross_entropy(prior[key].softmax(-1).flatten(0, 1),
                            labels.flatten())
            for key in ('img_logits', 'text_logits'))
        return dict(
            loss_text_focus=self.loss_weight *
            self.text_focus_loss(sr, hr, texts),
            loss_guidance=self.loss_weight * self.guidance_weight * guidance)
