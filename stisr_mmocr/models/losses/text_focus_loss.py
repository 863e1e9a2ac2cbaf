import pickle
from typing import List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmocr.registry import MODELS

from stisr_mmocr.engine.safe_checkpoint import (checkpoint_state_dict,
                                                read_checkpoint)
from stisr_mmocr.structures import filter_text
from stisr_mmocr.utils import tensor_rgb_to_gray
from ..layers.stirer.stt_transformer import STT_ALPHABET, STTTransformer


def load_confusion_weights(path: str) -> torch.Tensor:
    """Class weights of the weighted cross-entropy from Scene Text
    Telescope's ``confuse.pkl`` (a 62 x 62 confusion table over digits,
    upper and lower case), rearranged as its ``weight_ce_loss.py`` does.

    Returns:
        torch.Tensor: (37, 37) positive weights, row = ground truth.
    """
    with open(path, 'rb') as f:
        data = np.asarray(pickle.load(f), dtype=np.float64)
    rows = np.concatenate((np.ones(
        (1, 62)), data[:10], data[36:], data[10:36]))
    table = 1. / np.concatenate((np.ones((63, 1)), rows), axis=1)
    table[np.isinf(table)] = 1.
    full = '-0123456789abcdefghijklmnopqrstuvwxyz'
    for j, c in enumerate(full):
        if c.isalpha():
            others = np.arange(63) != j
            table[others, j] = np.maximum(table[others, j], table[others,
                                                                  j + 26])
    return torch.from_numpy(table[:37, :37]).float()


@MODELS.register_module()
class TextFocusLoss(nn.Module):
    """Text focus loss (Scene Text Telescope, CVPR'21) as STIRER's stage 2
    uses it: ``mse_weight * MSE(SR, HR)`` + ``attention_weight * L1``
    between the frozen recognizer's cross-attention maps on the gray HR and
    SR images + ``recognition_weight * weighted CE`` of its reading of SR.

    The recognizer (``pretrain_transformer.pth``) is kept out of the model's
    module tree: it is frozen, never saved with the model, and moved to the
    device of the images on use. Without ``recognizer_checkpoint`` only the
    MSE term is computed and a warning says so.

    Args:
        recognizer_checkpoint (str, optional): Path of
            ``pretrain_transformer.pth``.
        confusion_file (str, optional): Path of ``confuse.pkl`` for the
            character weights of the CE; uniform weights (plain CE) when
            None.
        mse_weight (float): Defaults to 1.
        attention_weight (float): Defaults to 10.
        recognition_weight (float): Defaults to 5e-4.
    """

    def __init__(self,
                 recognizer_checkpoint: Optional[str] = None,
                 confusion_file: Optional[str] = None,
                 mse_weight: float = 1.,
                 attention_weight: float = 10.,
                 recognition_weight: float = 5e-4) -> None:
        super().__init__()
        self.mse_weight = mse_weight
        self.attention_weight = attention_weight
        self.recognition_weight = recognition_weight
        logger = MMLogger.get_current_instance()
        self._recognizer: List[STTTransformer] = []
        if recognizer_checkpoint is None:
            logger.warning(
                'TextFocusLoss: no recognizer_checkpoint '
                '(pretrain_transformer.pth) given, so the attention and '
                'recognition terms are off; only '
                f'{mse_weight} x MSE is used.')
        else:
            self._recognizer.append(
                self.build_recognizer(recognizer_checkpoint))
        weights = torch.ones(len(STT_ALPHABET), len(STT_ALPHABET))
        if confusion_file is not None:
            weights = load_confusion_weights(confusion_file)
        elif recognizer_checkpoint is not None:
            logger.warning('TextFocusLoss: no confusion_file (confuse.pkl) '
                           'given; the recognition term is a plain CE.')
        self.register_buffer('class_weights', weights, persistent=False)

    @staticmethod
    def build_recognizer(checkpoint: str) -> STTTransformer:
        """The frozen recognizer, loaded strictly (a ``module.`` prefix from
        ``DataParallel`` is dropped)."""
        state = checkpoint_state_dict(read_checkpoint(checkpoint), checkpoint)
        recognizer = STTTransformer()
        result = recognizer.load_state_dict(state, strict=False)
        if result.missing_keys or result.unexpected_keys:
            raise RuntimeError(
                f'{checkpoint} is not a text focus recognizer: missing keys '
                f'{result.missing_keys}, unexpected keys '
                f'{result.unexpected_keys}')
        recognizer.eval().requires_grad_(False)
        return recognizer

    @property
    def enabled(self) -> bool:
        """Whether the recognizer terms are computed."""
        return bool(self._recognizer)

    @staticmethod
    def encode(texts: Sequence[str], device: torch.device):
        """Texts -> (B, T) teacher-forcing inputs (start '-' then the
        characters), (sum T_i,) targets (characters then '-') and lengths
        T_i = len + 1."""
        words = [filter_text(t, 'lower') + '-' for t in texts]
        lengths = [len(w) for w in words]
        inputs = torch.zeros(len(words), max(lengths), dtype=torch.long)
        for i, w in enumerate(words):
            ids = [STT_ALPHABET.index(c) for c in w[:-1]]
            inputs[i, 1:len(w)] = torch.tensor(ids, dtype=torch.long)
        targets = torch.tensor(
            [STT_ALPHABET.index(c) for w in words for c in w],
            dtype=torch.long)
        return inputs.to(device), targets.to(device), lengths

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                texts: Sequence[str]) -> torch.Tensor:
        """Loss of (N, C, H, W) SR images against HR images, C >= 3.

        Args:
            pred (torch.Tensor): SR images.
            target (torch.Tensor): HR images.
            texts (list[str]): Labels.

        Returns:
            torch.Tensor: Scalar loss.
        """
        loss = self.mse_weight * F.mse_loss(pred, target)
        if not self.enabled:
            return loss
        recognizer = self._recognizer[0].to(pred.device)
        inputs, targets, lengths = self.encode(texts, pred.device)
        with torch.no_grad():
            _, attn_hr = recognizer(tensor_rgb_to_gray(target, torch.float32),
                                    inputs)
        logits, attn_sr = recognizer(tensor_rgb_to_gray(pred, torch.float32),
                                     inputs)
        keep = torch.arange(inputs.shape[1], device=pred.device)[None] < \
            torch.tensor(lengths, device=pred.device)[:, None]
        logits = logits[keep].float()
        log_w = self.class_weights.to(pred.device)[targets].log()
        weighted = (logits + log_w).log_softmax(-1)
        recognition = -weighted.gather(1, targets[:, None]).mean()
        return loss + self.attention_weight * F.l1_loss(
            attn_sr, attn_hr) + self.recognition_weight * recognition
