from typing import Sequence, Tuple

import torch
import torch.nn as nn

from .tp_decoder_layer import TPDecoderLayer
from .tp_encoder_layer import TPEncoderLayer


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
            TPEncoderLayer(d_model, nhead, dim_feedforward, dropout)
            for _ in range(num_encoder_layers)
        ])
        self.decoder_layers = nn.ModuleList([
            TPDecoderLayer(d_model, nhead, dim_feedforward, dropout)
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

    def query_positions(self, query_embed: torch.Tensor,
                        batch_size: int) -> torch.Tensor:
        """(HW, C) learned positions -> (HW, N, C) query positions."""
        h, w = self.feat_hw
        c = query_embed.shape[-1]
        x = query_embed.reshape(h, w, 1, c).expand(h, w, batch_size, c)
        x = x.permute(1, 2, 0, 3).reshape(w, batch_size, h * c)
        x = self.query_gru(x)[0]
        return x.reshape(w, batch_size, h, c).permute(2, 0, 1, 3).reshape(
            h * w, batch_size, c)

    def forward(self, src: torch.Tensor, pos: torch.Tensor,
                query_embed: torch.Tensor,
                tgt: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Interpret the text prior for every feature map position.

        Args:
            src (torch.Tensor): (L, N, C) embedded text prior.
            pos (torch.Tensor): (L, N, C) positions of the prior.
            query_embed (torch.Tensor): (HW, C) learned query positions.
            tgt (torch.Tensor): (HW, N, C) image features.

        Returns:
            tuple: (HW, N, C) prior features and the last decoder layer's
            (N, HW, L) attention weights.
        """
        query_pos = self.query_positions(query_embed, src.shape[1])
        memory = src
        for layer in self.encoder_layers:
            memory = layer(memory + src, pos)
        outputs, weights = [], None
        for layer in self.decoder_layers:
            tgt, weights = layer(tgt, memory, pos, query_pos)
            outputs.append(self.decoder_norm(tgt))
        return torch.stack(outputs).mean(0), weights
