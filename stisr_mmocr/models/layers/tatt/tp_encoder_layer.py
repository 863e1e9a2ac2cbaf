from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


class TPEncoderLayer(nn.Module):
    """Post-norm transformer encoder layer with the position added to the
    queries and keys (DETR's layer, as TATT's ``TransformerEncoderLayer``
    with ``normalize_before=False``).

    Args:
        d_model (int): Feature size.
        nhead (int): Attention heads.
        dim_feedforward (int): Hidden size of the feed-forward block.
        dropout (float): Dropout of the attention and the residuals.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int,
                 dropout: float) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model,
                                               nhead,
                                               dropout=dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self, src: torch.Tensor,
                pos: Optional[torch.Tensor]) -> torch.Tensor:
        """(L, N, C) sequence and (L, N, C) positions -> (L, N, C)."""
        q = src if pos is None else src + pos
        attended = self.self_attn(q, q, src)[0]
        src = self.norm1(src + self.dropout1(attended))
        hidden = self.linear2(self.dropout(F.relu(self.linear1(src))))
        return self.norm2(src + self.dropout2(hidden))
