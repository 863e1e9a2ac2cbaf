from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmocr.models.common.dictionary import Dictionary
from mmocr.registry import MODELS

from stisr_mmocr.utils import reject_extra_args


@MODELS.register_module()
class C3ClueGenerator(nn.Module):
    """Clue generator f_CG of C3-STISR: the extraction branch turns the
    recognizer's output into the recognition, linguistic and visual clues;
    the fusion branch fuses them into h_t.

    A clue whose config is None is switched off and has no parameters. The
    visual clue is aligned by h_rec (Eq. 4), so it needs ``recognition``;
    ``fuse_recognition=False`` keeps h_rec as the visual clue's guide only.
    With a single fused clue there is no fusion branch (h_t is that clue).

    Args:
        num_classes (int): K, classes of the recognizer.
        dictionary (dict or Dictionary, optional): The recognizer's
            dictionary, given to the visual clue for decoding.
        clue_channels (int): C'. Defaults to 32.
        lr_hw (Sequence[int]): (H, W) of the LR image. Defaults to
            (16, 64).
        image_channels (int): Channels of the LR image. Defaults to 4.
        recognition (dict, optional): Config of f_rec. Defaults to
            ``dict(type='DistributionClue')``.
        linguistic (dict, optional): Config of the linguistic clue, e.g.
            ``dict(type='LinguisticClue', language_model=...)``.
        visual (dict, optional): Config of the visual clue, e.g.
            ``dict(type='VisualClue')``.
        fuse_recognition (bool): Fuse h_rec into h_t. Defaults to True.
        fusion (dict): Config of the fusion branch. Defaults to
            ``dict(type='GatedFusion')``.
        **extra: Rejected with a ``TypeError`` that names the new name of
            an old size argument (``lr_size`` -> ``lr_hw``).
    """

    def __init__(
        self,
        num_classes: int,
        dictionary: Optional[Union[Dict, Dictionary]] = None,
        clue_channels: int = 32,
        lr_hw: Sequence[int] = (16, 64),
        image_channels: int = 4,
        recognition: Optional[dict] = dict(type='DistributionClue'),
        linguistic: Optional[dict] = None,
        visual: Optional[dict] = None,
        fuse_recognition: bool = True,
        fusion: dict = dict(type='GatedFusion'),
        **extra
    ) -> None:
        super().__init__()
        reject_extra_args('C3ClueGenerator', extra)
        if visual is not None and recognition is None:
            raise ValueError('the visual clue is aligned by h_rec: configure '
                             '`recognition` too (fuse_recognition=False to '
                             'use it as guide only)')
        self.clue_channels = clue_channels
        common = dict(
            num_classes=num_classes,
            clue_channels=clue_channels,
            lr_hw=lr_hw)
        self.recognition = None if recognition is None else MODELS.build({
            **common,
            **recognition
        })
        self.linguistic = None if linguistic is None else MODELS.build({
            **common,
            **linguistic
        })
        self.visual = None
        if visual is not None:
            visual = {**common, **visual}
            visual.pop('num_classes')
            if 'dictionary' not in visual:
                if dictionary is None:
                    raise ValueError('the visual clue decodes with the '
                                     "recognizer's dictionary: pass "
                                     '`dictionary`')
                visual['dictionary'] = dictionary
            self.visual = MODELS.build(visual)
        self.fuse_recognition = fuse_recognition and recognition is not None
        self.clue_names = tuple(name
                                for name, on in (('rec',
                                                  self.fuse_recognition),
                                                 ('ling',
                                                  linguistic is not None),
                                                 ('vis', visual is not None))
                                if on)
        if not self.clue_names:
            raise ValueError('C3ClueGenerator needs at least one fused clue')
        self.fusion = None
        if len(self.clue_names) > 1:
            self.fusion = MODELS.build({
                'clue_names': self.clue_names,
                'channels': clue_channels,
                'image_channels': image_channels,
                **fusion
            })

    def forward(self, image: torch.Tensor,
                logits: torch.Tensor) -> Dict[str, object]:
        """Generate the clue h_t.

        Args:
            image (torch.Tensor): (N, C_img, H, W) LR image.
            logits (torch.Tensor): (N, T, K) recognizer logits R(I_LR).

        Returns:
            dict: ``clue`` h_t (N, C', H, W); ``clues``, the fused clues by
            name ('rec', 'ling', 'vis'); ``weights`` (N, K, C', H, W), in
            the order of ``clue_names``, or None without fusion;
            ``lm_logits`` (N, T, K) with the linguistic clue; ``texts`` (the
            decoded strings) with the visual clue.
        """
        probs = logits.softmax(-1)
        out: Dict[str, object] = dict()
        clues = dict()
        h_rec = None
        if self.recognition is not None:
            h_rec = self.recognition(probs)
            if self.fuse_recognition:
                clues['rec'] = h_rec
        if self.linguistic is not None:
            clues['ling'], out['lm_logits'] = self.linguistic(logits)
        if self.visual is not None:
            clues['vis'], out['texts'] = self.visual(probs, h_rec)
        if self.fusion is None:
            out['clue'], out['weights'] = clues[self.clue_names[0]], None
        else:
            out['clue'], out['weights'] = self.fusion(clues, image)
        out['clues'] = clues
        return out
