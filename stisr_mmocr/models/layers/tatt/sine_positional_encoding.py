import math

import torch
import torch.nn as nn


class SinePositionalEncoding(nn.Module):
    """Sinusoidal position table added to a sequence, then dropout
    (TATT's ``PositionalEncoding``, ``model/transformer_v2.py``).

    The table is not saved (``persistent=False``): it is a function of
    ``d_model`` and ``max_len``; the converter checks the authors' copy
    against it.

    Args:
        d_model (int): Feature size (even).
        dropout (float): Dropout after the addition. Defaults to 0.1.
        max_len (int): Longest sequence. Defaults to 5000.
    """

    def __init__(self,
                 d_model: int,
                 dropout: float = 0.1,
                 max_len: int = 5000) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        position = torch.arange(max_len, dtype=torch.float32)[:, None]
        freq = torch.exp(
            torch.arange(0, d_model, 2, dtype=torch.float32) *
            (-math.log(10000.0) / d_model))
        table = torch.zeros(max_len, d_model)
        table[:, 0::2] = torch.sin(position * freq)
        table[:, 1::2] = torch.cos(position * freq)
        self.register_buffer('pe', table[None], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, L, C) -> (N, L, C): ``dropout(x + table[:L])``."""
        return self.dropout(x + self.pe[:, :x.shape[1]])
