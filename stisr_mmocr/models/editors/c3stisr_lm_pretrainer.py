from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample

SampleList = List[TextRecogDataSample]


@MODELS.register_module()
class C3LMPretrainer(BaseModel):
    """Stage 1 of C3-STISR's multi-stage training: the language model of the
    linguistic clue learns to recover mutated spellings.

    Each input is a CTC alignment of a mutated word (see ``MutateSpelling``
    and ``SampleCTCPath``); it is turned into recognizer-like logits (the
    path's class raised by a random confidence, plus Gaussian noise while
    training) that the language model corrects; a CTC loss against the clean
    word trains it. The checkpoint keeps the model under
    ``language_model.``, which ``CTCLanguageModel(checkpoint=...,
    checkpoint_prefix='language_model.')`` loads in the later stages.

    Args:
        language_model (dict): Config of ``CTCLanguageModel``.
        dictionary (dict): The recognizer's dictionary (CTC blank at the
            padding index), for the loss and the decoding.
        loss (dict): Loss config, called as ``loss(logits, data_samples)``.
            Defaults to ``TextCTCLoss``.
        confidence (Sequence[float]): Range of the logit given to the
            path's class while training; the middle is used in evaluation.
            Defaults to (1, 6).
        noise_std (float): Std of the Gaussian noise on the logits while
            training. Defaults to 1.
        data_preprocessor (dict, optional): Defaults to mmengine's
            ``BaseDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 language_model: dict,
                 dictionary: dict,
                 loss: Optional[dict] = None,
                 confidence: Sequence[float] = (1., 6.),
                 noise_std: float = 1.,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.language_model = MODELS.build(language_model)
        self.loss_module = MODELS.build(
            loss or dict(type='TextCTCLoss', dictionary=dictionary))
        self.postprocessor = MODELS.build(
            dict(type='CTCPostProcessor', dictionary=dictionary))
        self.confidence: Tuple[float, float] = tuple(confidence)
        self.noise_std = noise_std

    def simulate(self, paths: torch.Tensor) -> torch.Tensor:
        """(N, T) class paths -> (N, T, K) recognizer-like logits."""
        one_hot = F.one_hot(paths.long(),
                            self.language_model.dictionary.num_classes)
        low, high = self.confidence
        if not self.training:
            return one_hot.float() * (low + high) / 2
        scale = torch.empty(paths.shape[0], 1, 1, device=paths.device)
        logits = one_hot.float() * scale.uniform_(low, high)
        return logits + self.noise_std * torch.randn_like(logits)

    def forward(
        self,
        inputs: Union[torch.Tensor, Sequence[torch.Tensor]],
        data_samples: Optional[SampleList] = None,
        mode: str = 'tensor'
    ) -> Union[Dict[str, torch.Tensor], SampleList, torch.Tensor]:
        """Correct the simulated readings of (N, T) CTC paths.

        Args:
            inputs (Tensor or list[Tensor]): (N, T) paths or N (T, ) paths.
            data_samples (list[TextRecogDataSample], optional): With the
                clean words as ``gt_text`` for ``loss``.
            mode (str): 'loss' (``loss_ctc``), 'predict' (samples with
                ``pred_text``) or 'tensor' ((N, T, K) logits).
        """
        if not isinstance(inputs, torch.Tensor):
            inputs = torch.stack(list(inputs))
        logits = self.language_model.correct(self.simulate(inputs))
        if mode == 'tensor':
            return logits
        if mode == 'loss':
            return dict(loss_ctc=self.loss_module(logits, data_samples))
        if mode == 'predict':
            if data_samples is None:
                data_samples = [
                    TextRecogDataSample() for _ in range(logits.shape[0])
                ]
            return self.postprocessor(logits.softmax(-1), data_samples)
        raise RuntimeError(f'Invalid mode "{mode}". '
                           'Only supports loss, predict and tensor mode')
