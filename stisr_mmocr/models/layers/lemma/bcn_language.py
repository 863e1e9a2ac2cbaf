from typing import Dict

import torch
import torch.nn as nn

from .abinet_vision import predicted_lengths
from ..transformer_layers import (PositionalEncoding, TransformerDecoder,
                                  TransformerDecoderLayer)


class BCNLanguage(nn.Module):
    """ABINet's bidirectional cloze language model (``model/
    Position_aware_module.py`` ``BCNLanguage``): position queries attend to
    the embedded character distributions, each position masked from itself
    (the location mask) and from positions past the predicted length.

    Args:
        max_length (int): Characters + end token. Defaults to 26.
        num_classes (int): Defaults to 37 (null first).
        num_layers (int): Decoder layers. Defaults to 4.
    """

    def __init__(self,
                 max_length: int = 26,
                 num_classes: int = 37,
                 num_layers: int = 4) -> None:
        super().__init__()
        self.max_length = max_length
        self.proj = nn.Linear(num_classes, 512, False)
        self.token_encoder = PositionalEncoding(512, max_len=max_length)
        self.pos_encoder = PositionalEncoding(512, 0., max_length)
        self.model = TransformerDecoder(
            TransformerDecoderLayer(512, 8, 2048, 0.1), num_layers)
        self.cls = nn.Linear(512, num_classes)

    def forward(self, tokens: torch.Tensor,
                lengths: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Correct (N, T, K) distributions of (N, ) lengths (detached).

        Returns:
            dict: ``logits`` (N, T, K) and ``pt_lengths`` (N, ).
        """
        embed = self.token_encoder(self.proj(tokens.detach()).permute(1, 0,
                                                                      2))
        padding = torch.arange(self.max_length,
                               device=lengths.device)[None] >= lengths[:,
                                                                       None]
        location = torch.zeros(self.max_length,
                               self.max_length,
                               device=tokens.device)
        location.fill_diagonal_(float('-inf'))
        query = self.pos_encoder(embed.new_zeros(embed.shape))
        out = self.model(query, embed, embed, location, padding)
        logits = self.cls(out.permute(1, 0, 2))
        return dict(logits=logits, pt_lengths=predicted_lengths(logits))
