from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..transformer_layers import (TransformerDecoderLayer,
                                  TransformerEncoderLayer)


def repeated_input_gru(gru: nn.GRU, x: torch.Tensor,
                       steps: int) -> torch.Tensor:
    """A one-layer bidirectional ``batch_first`` GRU on a sequence that
    repeats one input ``steps`` times, computed without repeating it.

    The same as ``gru(x[:, None].expand(B, steps, I))[0]`` (PyTorch's GRU
    equations, zero initial states), but the input projection is computed
    once instead of once per step.

    Args:
        gru (nn.GRU): One layer, bidirectional, ``batch_first``.
        x (torch.Tensor): (B, I) input of every step.
        steps (int): Sequence length.

    Returns:
        torch.Tensor: (B, steps, 2 x hidden) outputs of both directions.
    """
    outputs = []
    for suffix in ('', '_reverse'):
        gates_x = F.linear(x, getattr(gru, 'weight_ih_l0' + suffix),
                           getattr(gru, 'bias_ih_l0' + suffix)).chunk(3, 1)
        weight_hh = getattr(gru, 'weight_hh_l0' + suffix)
        bias_hh = getattr(gru, 'bias_hh_l0' + suffix)
        h = x.new_zeros(x.shape[0], gru.hidden_size)
        states = []
        for _ in range(steps):
            h_r, h_z, h_n = F.linear(h, weight_hh, bias_hh).chunk(3, 1)
            r = torch.sigmoid(gates_x[0] + h_r)
            z = torch.sigmoid(gates_x[1] + h_z)
            n = torch.tanh(gates_x[2] + r * h_n)
            h = (1 - z) * n + z * h
            states.append(h)
        outputs.append(torch.stack(states, 1))
    # the reverse direction's state after k steps is its output at the
    # k-th position from the end
    return torch.cat([outputs[0], outputs[1].flip(1)], -1)


class InfoTransformer(nn.Module):
    """TATT's ``InfoTransformer`` (``model/transformer_v2.py``): encodes the
    text prior, then lets every position of the image feature map attend to
    it.

    The queries' positions are learned (``query_embed``, one per feature
    map position) and passed through a bidirectional GRU (``query_gru``)
    the way the official code calls it: a ``batch_first`` GRU given a
    (W, N, H x C) tensor, so it runs along the batch dimension with the W
    columns as its batch. A sample's queries therefore depend on its index
    in the batch and on the batch size; this is kept for parity (see
    ``docs/notes_tatt.md``).

    The queries' positions depend only on the weights and the batch size:
    without gradients they are computed once per batch size and kept until
    a weight changes (:meth:`query_positions`).

    Every encoder layer reads its input plus the prior (``output + src``,
    as the official ``TransformerEncoder``); the decoder's per-layer
    outputs, each normalised by ``decoder_norm``, are averaged.

    Official name -> name here: ``encoder.layers`` -> ``encoder_layers``,
    ``decoder.layers`` -> ``decoder_layers``, ``decoder.norm`` ->
    ``decoder_norm``, ``gru_encoding`` -> ``query_gru``.

    Args:
        d_model (int): Feature size. Defaults to 64.
        nhead (int): Attention heads. Defaults to 4.
        dim_feedforward (int): Feed-forward size. Defaults to 64.
        num_encoder_layers (int): Defaults to 1.
        num_decoder_layers (int): Defaults to 2.
        dropout (float): Defaults to 0.1.
        feat_hw (Sequence[int]): (H, W) of the image feature map. Defaults
            to (16, 64).
    """

    def __init__(self,
                 d_model: int = 64,
                 nhead: int = 4,
                 dim_feedforward: int = 64,
                 num_encoder_layers: int = 1,
                 num_decoder_layers: int = 2,
                 dropout: float = 0.1,
                 feat_hw: Sequence[int] = (16, 64)) -> None:
        super().__init__()
        self.feat_hw = tuple(feat_hw)
        self.encoder_layers = nn.ModuleList([
            TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout)
            for _ in range(num_encoder_layers)
        ])
        self.decoder_layers = nn.ModuleList([
            TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout)
            for _ in range(num_decoder_layers)
        ])
        self.decoder_norm = nn.LayerNorm(d_model)
        height = self.feat_hw[0]
        self.query_gru = nn.GRU(d_model * height,
                                d_model * height // 2,
                                bidirectional=True,
                                batch_first=True)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        self._query_cache: Optional[tuple] = None

    def query_positions(self, query_embed: torch.Tensor,
                        batch_size: int) -> torch.Tensor:
        """(HW, C) learned positions -> (HW, N, C) query positions.

        The GRU reads, for each of the W columns, the column's H x C
        positions once per sample of the batch (its sequence is the batch).
        Without gradients the result is reused while the batch size, the
        tensors and their versions (in-place updates) stay the same.
        """
        if torch.is_grad_enabled():
            return self._query_positions(query_embed, batch_size)
        tensors = (query_embed, *self.query_gru.parameters())
        key = (batch_size, ) + tuple(
            (t.data_ptr(), t._version, t.dtype, t.device) for t in tensors)
        if self._query_cache is None or self._query_cache[0] != key:
            self._query_cache = (key, self._query_positions(
                query_embed, batch_size))
        return self._query_cache[1]

    def _query_positions(self, query_embed: torch.Tensor,
                         batch_size: int) -> torch.Tensor:
        h, w = self.feat_hw
        c = query_embed.shape[-1]
        columns = query_embed.reshape(h, w, c).permute(1, 0, 2).reshape(
            w, h * c)
        x = repeated_input_gru(self.query_gru, columns, batch_size)
        return x.reshape(w, batch_size, h, c).permute(2, 0, 1, 3).reshape(
            h * w, batch_size, c)

    def forward(self, src: torch.Tensor, pos: torch.Tensor,
                query_embed: torch.Tensor,
                tgt: torch.Tensor) -> torch.Tensor:
        """Interpret the text prior for every feature map position.

        Args:
            src (torch.Tensor): (L, N, C) embedded text prior.
            pos (torch.Tensor): (L, N, C) positions of the prior.
            query_embed (torch.Tensor): (HW, C) learned query positions.
            tgt (torch.Tensor): (HW, N, C) image features.

        Returns:
            torch.Tensor: (HW, N, C) prior features.
        """
        query_pos = self.query_positions(query_embed, src.shape[1])
        memory = src
        for layer in self.encoder_layers:
            memory = layer(memory + src, pos)
        outputs = []
        for layer in self.decoder_layers:
            tgt = layer(tgt, memory, memory, query_pos=query_pos,
                        key_pos=pos)
            outputs.append(self.decoder_norm(tgt))
        return torch.stack(outputs).mean(0)
