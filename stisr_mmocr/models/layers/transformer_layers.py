"""DETR-style post-norm transformer pieces, sequence-first, with the module
names of the official files that use them (ABINet's as LEMMA carries it,
``model/transformer.py``; TATT's ``model/transformer_v2.py``). Positions,
where given, are added to the queries and keys only. The attention is
``nn.MultiheadAttention`` with its defaults (``need_weights=True``): the
official copies compute the same, with the same dropout draws."""
import copy
import math
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F


class PositionalEncoding(nn.Module):
    """Sinusoid table ``pe`` (max_len, 1, d) added to a (L, N, d) sequence,
    then dropout. The table is a saved buffer, as in the official files.

    Args:
        d_model (int): Feature size.
        dropout (float): Defaults to 0.1.
        max_len (int): Longest sequence. Defaults to 5000.
    """

    def __init__(self,
                 d_model: int,
                 dropout: float = 0.1,
                 max_len: int = 5000) -> None:
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(max_len, dtype=torch.float32)[:, None]
        freq = torch.exp(
            torch.arange(0, d_model, 2, dtype=torch.float32) *
            (-math.log(10000.0) / d_model))
        table = torch.zeros(max_len, d_model)
        table[:, 0::2] = torch.sin(position * freq)
        table[:, 1::2] = torch.cos(position * freq)
        self.register_buffer('pe', table[:, None])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(L, N, d) -> (L, N, d)."""
        return self.dropout(x + self.pe[:x.shape[0]])


class TransformerEncoderLayer(nn.Module):
    """Post-norm self-attention layer (ReLU feed-forward).

    Args:
        d_model (int): Feature size.
        nhead (int): Attention heads.
        dim_feedforward (int): Feed-forward size.
        dropout (float): Defaults to 0.1.
    """

    def __init__(self,
                 d_model: int,
                 nhead: int,
                 dim_feedforward: int,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(self,
                src: torch.Tensor,
                pos: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(L, N, d) sequence [+ (L, N, d) positions] -> (L, N, d)."""
        q = src if pos is None else src + pos
        src = self.norm1(src + self.dropout1(self.self_attn(q, q, src)[0]))
        hidden = self.linear2(self.dropout(F.relu(self.linear1(src))))
        return self.norm2(src + self.dropout2(hidden))


class TransformerDecoderLayer(nn.Module):
    """Post-norm cross-attention layer without self-attention (ABINet's
    ``TransformerDecoderLayer(self_attn=False)``, LEMMA's
    ``TransformerDecoderLayer_QKV``, TATT's ``TransformerDecoderLayer_TP``;
    the official layers build a self-attention and a first norm only where
    they use them): ``norm2(q + attn(q, k, v))``, then the feed-forward
    block and ``norm3``.

    Args:
        d_model (int): Feature size.
        nhead (int): Attention heads.
        dim_feedforward (int): Feed-forward size.
        dropout (float): Defaults to 0.1.
    """

    def __init__(self,
                 d_model: int,
                 nhead: int,
                 dim_feedforward: int,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.multihead_attn = nn.MultiheadAttention(d_model, nhead, dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)

    def forward(self,
                query: torch.Tensor,
                key: torch.Tensor,
                value: torch.Tensor,
                attn_mask: Optional[torch.Tensor] = None,
                key_padding_mask: Optional[torch.Tensor] = None,
                query_pos: Optional[torch.Tensor] = None,
                key_pos: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(L, N, d) queries, (S, N, d) keys and values [+ their positions,
        added to the queries and keys] -> (L, N, d)."""
        attended = self.multihead_attn(
            query if query_pos is None else query + query_pos,
            key if key_pos is None else key + key_pos,
            value,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask)[0]
        x = self.norm2(query + self.dropout2(attended))
        hidden = self.linear2(self.dropout(F.relu(self.linear1(x))))
        return self.norm3(x + self.dropout3(hidden))


def clones(layer: nn.Module, num: int) -> nn.ModuleList:
    """``num`` independent copies of ``layer`` (the official
    ``_get_clones``: deep copies, so equal initial weights)."""
    return nn.ModuleList([copy.deepcopy(layer) for _ in range(num)])


class TransformerEncoder(nn.Module):
    """Stack of :class:`TransformerEncoderLayer` (``layers``), no final
    norm.

    Args:
        layer (TransformerEncoderLayer): Copied ``num_layers`` times.
        num_layers (int): Depth.
    """

    def __init__(self, layer: nn.Module, num_layers: int) -> None:
        super().__init__()
        self.layers = clones(layer, num_layers)

    def forward(self, src: torch.Tensor) -> torch.Tensor:
        """(L, N, d) -> (L, N, d)."""
        for layer in self.layers:
            src = layer(src)
        return src


class TransformerDecoder(nn.Module):
    """Stack of :class:`TransformerDecoderLayer` (``layers``) over one
    memory, no final norm.

    Args:
        layer (TransformerDecoderLayer): Copied ``num_layers`` times.
        num_layers (int): Depth.
    """

    def __init__(self, layer: nn.Module, num_layers: int) -> None:
        super().__init__()
        self.layers: List[nn.Module] = clones(layer, num_layers)

    def forward(self,
                query: torch.Tensor,
                key: torch.Tensor,
                value: torch.Tensor,
                attn_mask: Optional[torch.Tensor] = None,
                key_padding_mask: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
        """(L, N, d) queries over (S, N, d) keys / values -> (L, N, d)."""
        for layer in self.layers:
            query = layer(query, key, value, attn_mask, key_padding_mask)
        return query
