from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


class TPDecoderLayer(nn.Module):
    """TATT's ``TransformerDecoderLayer_TP`` with ``normalize_before=False``:
    cross-attention from the image queries to the text-prior memory, then a
    feed-forward block, each post-norm. The official layer also builds a
    self-attention and a first norm that its forward never calls; they are
    not built here (the converter drops their weights).

    Args:
        d_model (int): Feature size.
        nhead (int): Attention heads.
        dim_feedforward (int): Hidden size of the feed-forward block.
        dropout (float): Dropout of the attention and the residuals.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int,
                 dropout: float) -> None:
        super().__init__()
        self.multihead_attn = nn.MultiheadAttention(d_model,
                                                    nhead,
                                                    dropout=dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

    def forward(self, tgt: torch.Tensor, memory: torch.Tensor,
                pos: torch.Tensor,
                query_pos: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Attend from the queries to the memory.

        Args:
            tgt (torch.Tensor): (HW, N, C) image features.
            memory (torch.Tensor): (L, N, C) encoded text prior.
            pos (torch.Tensor): (L, N, C) positions of the memory.
            query_pos (torch.Tensor): (HW, N, C) positions of the queries.

        Returns:
            tuple: (HW, N, C) features and (N, HW, L) attention weights
            (averaged over heads).
        """
        attended, weights = self.multihead_attn(tgt + query_pos,
                                                memory + pos, memory)
        tgt = self.norm2(tgt + self.dropout2(attended))
        hidden = self.linear2(self.dropout(F.relu(self.linear1(tgt))))
        return self.norm3(tgt + self.dropout3(hidden)), weights
