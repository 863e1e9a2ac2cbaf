from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from .abinet_vision import BaseVision
from .bcn_language import BCNLanguage

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class PositionAwareModule(nn.Module):
    """LEMMA's guidance reader (``model/Position_aware_module.py``
    ``PositionAwareModule``): ABINet's vision model on ImageNet-normalised
    images, then its language model on the vision model's distributions
    (one pass each, no fusion).

    Args:
        max_length (int): Characters + end token. Defaults to 26.
        num_classes (int): Defaults to 37 (null first).
    """

    def __init__(self, max_length: int = 26, num_classes: int = 37) -> None:
        super().__init__()
        self.max_length = max_length
        self.vision = BaseVision(max_length, num_classes)
        self.language = BCNLanguage(max_length, num_classes)

    def forward(self, images: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Read (N, 3, 32, 128) RGB images in [0, 1].

        Returns:
            dict: ``attn_map`` (N, T, 16, 64) vision attention resized
            bicubically x2, ``img_logits`` and ``text_logits`` (N, T, K) of
            the vision and language models, ``pt_lengths`` (N, ) language
            lengths in [2, T], detached.
        """
        mean = images.new_tensor(IMAGENET_MEAN,
                                 dtype=torch.float32)[:, None, None]
        std = images.new_tensor(IMAGENET_STD,
                                dtype=torch.float32)[:, None, None]
        v_res = self.vision((images - mean) / std)
        lengths = v_res['pt_lengths'].clamp(2, self.max_length)
        l_res = self.language(torch.softmax(v_res['logits'], dim=-1),
                              lengths)
        attn_map = F.interpolate(v_res['attn_scores'],
                                 scale_factor=2,
                                 mode='bicubic',
                                 align_corners=True)
        return dict(attn_map=attn_map,
                    img_logits=v_res['logits'],
                    text_logits=l_res['logits'],
                    pt_lengths=l_res['pt_lengths'].clamp(
                        2, self.max_length).detach())
