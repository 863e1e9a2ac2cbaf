from typing import Dict, Sequence, Union

import torch
from mmocr.models.common.dictionary import Dictionary
from mmocr.models.textrecog.module_losses import CTCModuleLoss
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample


@MODELS.register_module()
class TextCTCLoss(CTCModuleLoss):
    """MMOCR's CTC loss of frame logits against ``gt_text``, weighted and
    returned as a tensor.

    C3-STISR's released variant trains the linguistic clue with it (alpha4
    x CTC of p_LM against the label), and the language model pretraining
    uses it to recover mutated spellings. Characters of a label that are
    not in the dictionary are dropped.

    Args:
        dictionary (dict or Dictionary): Dictionary with the CTC blank at its
            padding index.
        loss_weight (float): Weight of the loss. Defaults to 1.
        letter_case (str): 'unchanged', 'upper' or 'lower'. Defaults to
            'lower'.
        zero_infinity (bool): Zero infinite losses (labels longer than the
            frames can align). Defaults to True.
        **kwargs: Other :class:`CTCModuleLoss` arguments.
    """

    def __init__(self,
                 dictionary: Union[Dict, Dictionary],
                 loss_weight: float = 1.,
                 letter_case: str = 'lower',
                 zero_infinity: bool = True,
                 **kwargs) -> None:
        super().__init__(
            dictionary=dictionary,
            letter_case=letter_case,
            zero_infinity=zero_infinity,
            **kwargs)
        self.loss_weight = loss_weight
        self._chars = set(self.dictionary.dict)

    def get_targets(
        self, data_samples: Sequence[TextRecogDataSample]
    ) -> Sequence[TextRecogDataSample]:
        """Write ``gt_text.indexes`` of the in-dictionary characters."""
        for sample in data_samples:
            text = sample.gt_text.item
            if self.letter_case in ('upper', 'lower'):
                text = getattr(text, self.letter_case)()
            text = ''.join(c for c in text if c in self._chars)
            sample.gt_text.indexes = torch.IntTensor(
                self.dictionary.str2idx(text))
        return data_samples

    def forward(self, outputs: torch.Tensor,
                data_samples: Sequence[TextRecogDataSample]) -> torch.Tensor:
        """Weighted CTC loss of (N, T, K) logits against the samples'
        ``gt_text``."""
        self.get_targets(data_samples)
        return self.loss_weight * super().forward(outputs,
                                                  data_samples)['loss_ctc']
