from collections import OrderedDict
from typing import Dict, Optional, Union

import torch
import torch.nn as nn
from mmocr.models.common.dictionary import Dictionary
from mmocr.models.textrecog.decoders import ABILanguageDecoder
from mmocr.registry import MODELS

from stisr_mmocr.engine.safe_checkpoint import read_checkpoint

#: Where MMOCR's ABINet checkpoints keep the language model.
ABINET_PREFIX = 'decoder.language_decoder.'


def extract_weights(state_dict: Dict[str, torch.Tensor], prefix: str,
                    module: nn.Module) -> 'OrderedDict[str, torch.Tensor]':
    """Take the weights of ``module`` stored under ``prefix``, strictly.

    Args:
        state_dict (dict): A state dict (e.g. of a whole ABINet).
        prefix (str): Key prefix of the module's weights, e.g.
            ``'decoder.language_decoder.'``; '' for a module's own layout.
        module (nn.Module): The module the weights are for.

    Returns:
        OrderedDict: The weights with the prefix removed.

    Raises:
        KeyError: Listing the missing and unexpected keys when the keys
            under ``prefix`` are not exactly those of ``module``.
    """
    weights = OrderedDict((k[len(prefix):], v) for k, v in state_dict.items()
                          if k.startswith(prefix))
    expected = set(module.state_dict())
    missing = sorted(expected - set(weights))
    unexpected = sorted(set(weights) - expected)
    if missing or unexpected:
        raise KeyError(
            f'weights under prefix {prefix!r} do not match '
            f'{type(module).__name__}: missing keys {missing}, unexpected '
            f'keys {unexpected}')
    return weights


@MODELS.register_module()
class CTCLanguageModel(ABILanguageDecoder):
    """ABINet's bidirectional cloze language model (MMOCR's
    :class:`ABILanguageDecoder`) over CTC frame distributions.

    C3-STISR corrects the distribution R(I_LR) of the CTC recognizer (one
    distribution per frame, T = ``max_seq_len`` frames) into p_LM. All T
    frames are attended to (no end-token padding mask, since the class that
    ABINet's dictionary uses as end token is the CTC blank here); each
    output frame is predicted from all others (cloze mask). The parameter
    names are ABINet's, so MMOCR's ABINet checkpoints load as they are.

    Args:
        dictionary (dict or Dictionary): ABINet's dictionary (with an end
            token); its K classes must be the recognizer's, in the same
            order, the end token at the recognizer's CTC blank.
        max_seq_len (int): T, frames of the recognizer. Defaults to 26
            (CRNN on 100x32 inputs, and ABINet's own length).
        checkpoint (str, optional): Weights loaded strictly by
            :meth:`init_weights`: an MMOCR ABINet checkpoint or one written
            by the LM pretraining stage.
        checkpoint_prefix (str): Key prefix of the LM in ``checkpoint``.
            Defaults to ``'decoder.language_decoder.'`` (MMOCR's ABINet).
        **kwargs: Other :class:`ABILanguageDecoder` arguments (``d_model``,
            ``n_head``, ``d_inner``, ``n_layers``, ``dropout``,
            ``detach_tokens``, ...).
    """

    def __init__(self,
                 dictionary: Union[Dict, Dictionary],
                 max_seq_len: int = 26,
                 checkpoint: Optional[str] = None,
                 checkpoint_prefix: str = ABINET_PREFIX,
                 **kwargs) -> None:
        super().__init__(
            dictionary=dictionary, max_seq_len=max_seq_len, **kwargs)
        self.checkpoint = checkpoint
        self.checkpoint_prefix = checkpoint_prefix

    def init_weights(self) -> None:
        """Initialise, then load ``checkpoint`` (strict) if given."""
        super().init_weights()
        if self.checkpoint:
            ckpt = read_checkpoint(self.checkpoint)
            state_dict = ckpt.get('state_dict', ckpt)
            self.load_state_dict(
                extract_weights(state_dict, self.checkpoint_prefix, self))

    def _get_length(self, logit: torch.Tensor, dim: int = -1) -> torch.Tensor:
        """Every frame is valid: (N, T, K) -> (N, ) lengths T."""
        return logit.new_full((logit.size(0), ),
                              logit.size(1),
                              dtype=torch.long)

    def correct(self, logits: torch.Tensor) -> torch.Tensor:
        """Correct a recognizer's output.

        Args:
            logits (torch.Tensor): (N, T, K) recognizer logits (the softmax
                is taken inside).

        Returns:
            torch.Tensor: (N, T, K) corrected logits.
        """
        if logits.shape[1:] != (self.max_seq_len, self.dictionary.num_classes):
            raise ValueError(
                f'CTCLanguageModel expects (N, {self.max_seq_len}, '
                f'{self.dictionary.num_classes}) logits (max_seq_len, '
                f'dictionary classes), got {tuple(logits.shape)}')
        return self.forward_train(None, logits)['logits']
