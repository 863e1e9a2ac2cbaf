"""Plain-torch reference of TATT (CVPR'22, ``mjq11302010044/TATT``, MIT),
written from the official code for parity tests.

What it covers (file:line of the official code):

- ``TSRN_TL_TRANS`` (``model/tsrn.py`` L576-693) with ``TPInterpreter``
  (L155-224) and, from ``model/transformer_v2.py``, ``PositionalEncoding``
  (L22-42), ``InfoTransformer`` (L154-244), ``TransformerEncoder``
  (L248-280), ``TransformerDecoder`` (L346-392),
  ``TransformerEncoderLayer`` (L448-507) and ``TransformerDecoderLayer_TP``
  (L773-869), post-norm (``normalize_before=False``) and ReLU only, as
  ``TPInterpreter`` builds them. Official module and parameter names and
  construction order: an official state dict loads with
  ``load_state_dict(strict=True)`` (unused entries included:
  ``infoGen.fc_feature_in``, the decoder layers' ``self_attn`` and
  ``norm1``, the ``infoGen.pe.pe`` buffer), and with the same seed a fresh
  reference gets the official initial weights. The dropouts are drawn in
  the official order, with the same shapes and ops, so that with the same
  ``torch.manual_seed`` both sides draw the same masks.
- The pieces shared with TPGSR are imported from
  :mod:`tests.test_models.tpgsr_reference` after checking that TATT's
  copies are the same code: ``RecurrentResidualBlockTL`` (``tsrn.py``
  L874-911, ``SHUT_BN = False``), ``UpsampleBLock`` (L1040-1053), ``mish``
  (L1056-1064), ``GruBlock`` (L1067-1084), ``TPSSpatialTransformer``
  (``model/tps_spatial_transformer.py``, same file), ``STNHead``
  (``model/stn_head.py``: TATT writes ``nn.Linear(512, 512)`` where TPGSR
  writes ``flatten_width * 256`` with ``flatten_width = 2``: the same
  layer), ``parse_crnn_data`` (``interfaces/base.py`` L797-815),
  ``SemanticLoss`` (``loss/semantic_loss.py``, same file) and the
  optimiser (``optimizer_init``, ``base.py`` L496-563, with
  ``global_model=None``: the TPGSR one).
- ``ImageLoss(gradient=True, [1, 1e-4])`` of TATT (``loss/image_loss.py``
  L10-58): unlike TPGSR's it returns one value per sample
  (:func:`tatt_image_loss`).
- ``torch_rotate_img`` (``interfaces/super_resolution.py`` L126-157; the
  same function is ``model/__init__.py`` ``torch_distortion``) and
  ``TRI_SSIM`` (``utils/ssim_psnr.py`` L28-37, L99-128, L231-256).
- one training step of ``train_TATT.sh`` (``--arch tatt --STN --mask
  --use_distill --gradient --sr_share --stu_iter=1 --rotate_train=5
  --tssim_loss``; the other flags at their ``main.py`` defaults:
  ``y_domain``, ``for_cascading``, ``use_label``, ``results_rotate``,
  ``training_stablize``, ``learning_STN``, ``ssim_loss``, ``tpg_share``
  all False): the rotation of the batch (``super_resolution.py``
  L637-655), the ``ABLATION_SET`` branch (L770-1034) for any
  ``--stu_iter``, with or without ``--sr_share`` / ``--tpg_share``, and
  the update (L1072-1085).
- the evaluation cascade of ``model_inference`` (L285-418), run by
  ``eval`` (L1203-) with ``--rotate_test=0`` (no rotation of the
  evaluation data, ``base.py`` L230-246).

Recognizers (the students, the teacher) are passed in: any module that maps
(N, 1, 32, 100) gray images to (T, N, 37) logits, blank first (meijieru's
CRNN; ``tests/test_tools/test_crnn_converter.py`` ``OfficialCRNN``).

Not covered: ``--use_label`` (TATT's CTC term reads the *teacher's* logits,
L842-847), ``--ssim_loss``, ``--y_domain``, ``--for_cascading``,
``--results_rotate``, ``--training_stablize``, ``--learning_STN``, the
``normalize_before=True`` (pre-norm) transformer layers, ``--syn`` and
``--CHNSR``.

``.dev_scripts/check_tatt_reference.py`` checks this file against the
official modules and the official loop body (``third_party/TATT``,
git-ignored).
"""
import copy
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from tests.test_models.tpgsr_reference import (
    TPGSR_CLASSES, GruBlock, RecurrentResidualBlockTL, STNHead,
    TPSSpatialTransformer, UpsampleBLock, gradient_map, mish,
    parse_crnn_data, prior_from_probs, semantic_loss, tpgsr_optimizer,
    tpgsr_update)

__all__ = [
    # shared with TPGSR (checked identical), re-exported
    'GruBlock', 'RecurrentResidualBlockTL', 'STNHead',
    'TPSSpatialTransformer', 'UpsampleBLock', 'gradient_map', 'mish',
    'parse_crnn_data', 'prior_from_probs', 'semantic_loss',
    # TATT
    'TATT_CLASSES', 'PositionalEncoding', 'TransformerEncoderLayer',
    'TransformerEncoder', 'TransformerDecoderLayer_TP', 'TransformerDecoder',
    'InfoTransformer', 'TPInterpreter', 'TSRN_TL_TRANS',
    'build_tsrn_tl_trans', 'tatt_image_loss', 'torch_rotate_img',
    'draw_rotation', 'tri_ssim', 'tatt_train_step', 'tatt_optimizer',
    'tatt_update', 'tatt_eval_cascade', 'tatt_eval_forward'
]

#: The same 37 classes as TPGSR (``main.py`` ``opt['character']``).
TATT_CLASSES = TPGSR_CLASSES


# --------------------------------------------------------------------------
# Transformer pieces: model/transformer_v2.py
# --------------------------------------------------------------------------
def _activation(name: str):
    """transformer_v2.py L1130-1138 (relu and gelu)."""
    table = {'relu': F.relu, 'gelu': F.gelu}
    if name not in table:
        raise ValueError(f'unsupported activation {name!r}')
    return table[name]


def _stack_copies(layer: nn.Module, n: int) -> nn.ModuleList:
    """transformer_v2.py L1052-1053: n deep copies (no RNG drawn: every copy
    starts with the prototype's weights until the owner re-initialises)."""
    return nn.ModuleList(copy.deepcopy(layer) for _ in range(n))


class PositionalEncoding(nn.Module):
    """transformer_v2.py L22-42: the sinusoid table (built in float32) is
    the buffer ``pe`` (1, max_len, d_model); forward adds its first
    ``x.size(1)`` rows to ``x`` and applies dropout to the sum."""

    def __init__(self, d_model: int, dropout: float,
                 max_len: int = 5000) -> None:
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        rows = torch.arange(0, max_len).unsqueeze(1).float()
        rates = torch.exp(
            torch.arange(0, d_model, 2).float() *
            -(math.log(10000.0) / d_model))
        angles = rows * rates
        table = torch.zeros(max_len, d_model)
        table[:, 0::2] = torch.sin(angles)
        table[:, 1::2] = torch.cos(angles)
        self.register_buffer('pe', table.unsqueeze(0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(x + self.pe[:, :x.size(1)])


class TransformerEncoderLayer(nn.Module):
    """transformer_v2.py L448-507, post-norm path (``forward_post``,
    L470-484). Dropout draws, in order: the attention weights inside
    ``self_attn``, ``dropout1``, ``dropout`` (feed-forward), ``dropout2``.
    """

    def __init__(self,
                 d_model: int,
                 nhead: int,
                 dim_feedforward: int = 2048,
                 dropout: float = 0.1,
                 activation: str = 'relu',
                 normalize_before: bool = False) -> None:
        super().__init__()
        if normalize_before:
            raise NotImplementedError('only the post-norm layer is covered')
        # registration order = official construction order (RNG, keys)
        self.self_attn = nn.MultiheadAttention(d_model, nhead,
                                               dropout=dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.activation = _activation(activation)
        self.normalize_before = normalize_before

    def forward(self,
                src: torch.Tensor,
                src_key_padding_mask: Optional[torch.Tensor] = None,
                pos: Optional[torch.Tensor] = None) -> torch.Tensor:
        qk = src if pos is None else src + pos
        attended = self.self_attn(qk, qk, src, attn_mask=None,
                                  key_padding_mask=src_key_padding_mask)[0]
        src = self.norm1(src + self.dropout1(attended))
        hidden = self.dropout(self.activation(self.linear1(src)))
        return self.norm2(src + self.dropout2(self.linear2(hidden)))


class TransformerEncoder(nn.Module):
    """transformer_v2.py L248-280 (tensor input): every layer reads
    ``output + src``, so the first one reads ``2 * src``."""

    def __init__(self,
                 encoder_layer: nn.Module,
                 num_layers: int,
                 norm: Optional[nn.Module] = None) -> None:
        super().__init__()
        self.layers = _stack_copies(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self,
                src: torch.Tensor,
                src_key_padding_mask: Optional[torch.Tensor] = None,
                pos: Optional[torch.Tensor] = None) -> torch.Tensor:
        out = src
        for layer in self.layers:
            out = layer(out + src, src_key_padding_mask, pos)
        return out if self.norm is None else self.norm(out)


class TransformerDecoderLayer_TP(nn.Module):  # noqa: N801 (official name)
    """transformer_v2.py L773-869, post-norm path (``forward_post``,
    L806-833): cross-attention only. ``self_attn`` and ``norm1`` are built
    (and in the state dict) but unused; ``dropout1`` is never called.
    Dropout draws, in order: the attention weights inside
    ``multihead_attn``, ``dropout2``, ``dropout``, ``dropout3``.

    Returns the output and ``multihead_attn``'s head-averaged weights
    (N, L_query, L_memory), taken after the attention dropout.
    """

    def __init__(self,
                 d_model: int,
                 nhead: int,
                 dim_feedforward: int = 2048,
                 dropout: float = 0.1,
                 activation: str = 'relu',
                 normalize_before: bool = False) -> None:
        super().__init__()
        if normalize_before:
            raise NotImplementedError('only the post-norm layer is covered')
        self.d_model = d_model
        self.self_attn = nn.MultiheadAttention(d_model, nhead,
                                               dropout=dropout)
        self.multihead_attn = nn.MultiheadAttention(d_model, nhead,
                                                    dropout=dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.activation = _activation(activation)
        self.normalize_before = normalize_before

    def forward(self,
                tgt: torch.Tensor,
                memory: torch.Tensor,
                memory_key_padding_mask: Optional[torch.Tensor] = None,
                pos: Optional[torch.Tensor] = None,
                query_pos: Optional[torch.Tensor] = None):
        query = tgt if query_pos is None else tgt + query_pos
        key = memory if pos is None else memory + pos
        attended, weights = self.multihead_attn(
            query, key, memory, attn_mask=None,
            key_padding_mask=memory_key_padding_mask)
        tgt = self.norm2(tgt + self.dropout2(attended))
        hidden = self.dropout(self.activation(self.linear1(tgt)))
        tgt = self.norm3(tgt + self.dropout3(self.linear2(hidden)))
        return tgt, weights


class TransformerDecoder(nn.Module):
    """transformer_v2.py L346-392. With ``return_intermediate`` it returns
    the stack of every layer's output after the shared final ``norm``
    (L x Q x N x C) and the last layer's attention weights."""

    def __init__(self,
                 decoder_layer: nn.Module,
                 num_layers: int,
                 norm: Optional[nn.Module] = None,
                 return_intermediate: bool = False) -> None:
        super().__init__()
        self.layers = _stack_copies(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.return_intermediate = return_intermediate

    def forward(self,
                tgt: torch.Tensor,
                memory: torch.Tensor,
                memory_key_padding_mask: Optional[torch.Tensor] = None,
                pos: Optional[torch.Tensor] = None,
                query_pos: Optional[torch.Tensor] = None):
        out, weights, stages = tgt, None, []
        for layer in self.layers:
            out, weights = layer(out, memory, memory_key_padding_mask, pos,
                                 query_pos)
            if self.return_intermediate:
                stages.append(self.norm(out))
        if self.norm is not None:
            out = self.norm(out)
            if self.return_intermediate:
                stages[-1] = out
        if self.return_intermediate:
            return torch.stack(stages), weights
        return out, weights


class InfoTransformer(nn.Module):
    """transformer_v2.py L154-244: encoder over the prior sequence, decoder
    whose queries are the image features (``tgt``) plus positional queries
    made from ``query_embed`` (the (H W, C) ``init_factor`` table) by
    ``gru_encoding``.

    ``gru_encoding`` is ``batch_first``, but the official code feeds it a
    (W, N, H C) tensor: it reads the W = 64 columns as the batch and the N
    samples of the batch as the sequence. The table is the same for every
    sample, so the queries differ only by the sample's position in the
    batch and depend on the batch size. Kept as is.

    After building, every parameter with more than one dimension is redrawn
    with ``xavier_uniform_`` (L193-196), in ``parameters()`` order.
    """

    def __init__(self,
                 d_model: int = 1024,
                 nhead: int = 8,
                 num_encoder_layers: int = 3,
                 num_decoder_layers: int = 3,
                 dim_feedforward: int = 2048,
                 dropout: float = 0.1,
                 activation: str = 'relu',
                 normalize_before: bool = False,
                 return_intermediate_dec: bool = False,
                 feat_height: int = 16,
                 feat_width: int = 64) -> None:
        super().__init__()
        enc_layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward,
                                            dropout, activation,
                                            normalize_before)
        self.encoder = TransformerEncoder(
            enc_layer, num_encoder_layers,
            nn.LayerNorm(d_model) if normalize_before else None)
        dec_layer = TransformerDecoderLayer_TP(d_model, nhead,
                                               dim_feedforward, dropout,
                                               activation, normalize_before)
        dec_norm = nn.LayerNorm(d_model)
        self.decoder = TransformerDecoder(
            dec_layer, num_decoder_layers, dec_norm,
            return_intermediate=return_intermediate_dec)
        self.gru_encoding = nn.GRU(d_model * feat_height,
                                   d_model * feat_height // 2,
                                   bidirectional=True,
                                   batch_first=True)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        self.d_model = d_model
        self.nhead = nhead
        self.feat_size = (feat_height, feat_width)

    def forward(self,
                src: torch.Tensor,
                mask: torch.Tensor,
                query_embed: torch.Tensor,
                pos_embed: torch.Tensor,
                tgt: Optional[torch.Tensor] = None):
        """src / pos_embed (L, N, C), mask (N, L), query_embed (H W, C),
        tgt (H W, N, C)."""
        n = src.shape[1]
        h, w = self.feat_size
        queries = query_embed.unsqueeze(1).repeat(1, n, 1)
        c = queries.shape[-1]
        columns = queries.reshape(h, w, n, c).permute(1, 2, 0, 3).reshape(
            w, n, h * c)
        columns, _ = self.gru_encoding(columns)
        queries = columns.reshape(w, n, h, c).permute(2, 0, 1, 3).reshape(
            h * w, n, c)
        if tgt is None:
            tgt = torch.zeros_like(queries)
        memory = self.encoder(src, src_key_padding_mask=mask, pos=pos_embed)
        return self.decoder(tgt, memory, memory_key_padding_mask=mask,
                            pos=pos_embed, query_pos=queries)


# --------------------------------------------------------------------------
# Network: model/tsrn.py
# --------------------------------------------------------------------------
class TPInterpreter(nn.Module):
    """tsrn.py L155-224: the prior (N, 37, 1, T) -> ``fc_in`` + PReLU ->
    T tokens of ``d_model = out_text_channels``; positional encodings are
    the ``pe`` table with dropout (drawn on zeros + table, (N, T, C)); the
    InfoTransformer's decoder queries are the image features (N, C, H, W)
    flattened to (H W, N, C); the mean over the decoder layers is the
    (N, C, H, W) text-prior map. ``fc_feature_in`` is built but unused.
    """

    def __init__(self,
                 t_emb: int,
                 out_text_channels: int,
                 output_size: Tuple[int, int] = (16, 64),
                 feature_in: int = 64,
                 t_encoder_num: int = 1,
                 t_decoder_num: int = 2) -> None:
        super().__init__()
        d_model = out_text_channels
        self.fc_in = nn.Linear(t_emb, d_model)
        self.fc_feature_in = nn.Linear(feature_in, d_model)
        self.activation = nn.PReLU()
        self.transformer = InfoTransformer(
            d_model=d_model,
            dropout=0.1,
            nhead=4,
            dim_feedforward=d_model,
            num_encoder_layers=t_encoder_num,
            num_decoder_layers=t_decoder_num,
            normalize_before=False,
            return_intermediate_dec=True,
            feat_height=output_size[0],
            feat_width=output_size[1])
        self.pe = PositionalEncoding(d_model=d_model, dropout=0.1,
                                     max_len=5000)
        self.output_size = tuple(output_size)
        self.seq_len = output_size[0] * output_size[1]
        self.init_factor = nn.Embedding(self.seq_len, d_model)

    def forward(self, image_feature: torch.Tensor,
                tp_input: torch.Tensor):
        n_img, c_img, h, w = image_feature.shape
        feats = image_feature.reshape(n_img, c_img, h * w).permute(2, 0, 1)
        # (N, 37, 1, T) -> (N, T, 37)
        tokens = tp_input.permute(0, 3, 1, 2).squeeze(-1)
        tokens = self.activation(self.fc_in(tokens))
        n, length, c = tokens.shape
        # official: torch.zeros((N, L, C)) (float32) + the buffer
        pos = self.pe(tokens.new_zeros((n, length, c))).permute(1, 0, 2)
        pad_mask = torch.zeros((n, length), dtype=torch.bool,
                               device=tokens.device)
        stages, weights = self.transformer(tokens.permute(1, 0, 2), pad_mask,
                                           self.init_factor.weight, pos,
                                           tgt=feats)
        prior_map = stages.mean(0).permute(1, 2, 0).reshape(n, c, h, w)
        return prior_map, weights


class TSRN_TL_TRANS(nn.Module):  # noqa: N801 (official name)
    """tsrn.py L576-693, as ``generator_init`` builds it for ``--arch tatt``
    (``base.py`` L294-298): ``scale_factor`` = yaml ``down_sample_scale``
    (2), ``width``/``height`` = yaml 128/32, ``STN`` = ``--STN``, ``mask``
    = ``--mask`` (4 input planes), ``srb_nums`` = ``--srb`` (5),
    ``hidden_units`` = ``--hd_u`` (32: 64 feature channels);
    ``text_emb`` 37 and ``out_text_channels`` 64 (the TP map's channels
    and the transformer width) keep their defaults.

    The residual blocks numbered 2 .. srb_nums + 1 get the TP map
    (``block_range``, L642); ``infoGen`` reads ``block1``'s output (after
    the STN in training), so the LR must be (H/scale, W/scale) = 16 x 64
    (the decoder adds H W = 1024 positional queries).

    Unused official constructor arguments (``word_vec_d``,
    ``feature_rotate``, ``rotate_train``) and forward arguments
    (``text_emb_gt``, ``feature_arcs``, ``rand_offs``) are left out.
    """

    def __init__(self,
                 scale_factor: int = 2,
                 width: int = 128,
                 height: int = 32,
                 STN: bool = False,  # noqa: N803 (official name)
                 srb_nums: int = 5,
                 mask: bool = True,
                 hidden_units: int = 32,
                 text_emb: int = 37,
                 out_text_channels: int = 64,
                 tps_align_corners: bool = False) -> None:
        super().__init__()
        in_planes = 4 if mask else 3
        assert math.log(scale_factor, 2) % 1 == 0
        upsample_block_num = int(math.log(scale_factor, 2))
        self.block1 = nn.Sequential(
            nn.Conv2d(in_planes, 2 * hidden_units, 9, padding=4), nn.PReLU())
        self.srb_nums = srb_nums
        for i in range(srb_nums):
            setattr(self, f'block{i + 2}',
                    RecurrentResidualBlockTL(2 * hidden_units,
                                             out_text_channels))
        self.infoGen = TPInterpreter(
            text_emb,
            out_text_channels,
            output_size=(height // scale_factor, width // scale_factor))
        self.emb_cls = text_emb
        setattr(
            self, f'block{srb_nums + 2}',
            nn.Sequential(
                nn.Conv2d(2 * hidden_units, 2 * hidden_units, 3, padding=1),
                nn.BatchNorm2d(2 * hidden_units)))
        tail = [
            UpsampleBLock(2 * hidden_units, 2)
            for _ in range(upsample_block_num)
        ]
        tail.append(nn.Conv2d(2 * hidden_units, in_planes, 9, padding=4))
        setattr(self, f'block{srb_nums + 3}', nn.Sequential(*tail))
        self.tps_inputsize = [height // scale_factor, width // scale_factor]
        self.stn = STN
        if STN:
            self.tps = TPSSpatialTransformer(tuple(self.tps_inputsize), 20,
                                             (0.05, 0.05), tps_align_corners)
            self.stn_head = STNHead(in_planes, 20)
        self.block_range = list(range(2, srb_nums + 2))

    def forward(self, x: torch.Tensor,
                text_emb: Optional[torch.Tensor] = None):
        """L646-693.

        Args:
            x: (N, 4, 16, 64) LR images in [0, 1].
            text_emb: (N, 37, 1, T) prior (:func:`prior_from_probs`). None:
                zeros (N, 37, 1, 26) in ``x``'s dtype (the official makes
                (1, 37, 1, 26) float32 zeros, L653-654, which fail for
                N > 1).

        Returns:
            training: (SR (N, 4, 32, 128) ``tanh``, dict ``pr_weights``
            (N, H W, T), ``pr_weights_gt`` None, ``spatial_t_emb`` (the TP
            map, N x 64 x 16 x 64), ``spatial_t_emb_gt`` None,
            ``in_feat`` (``block1``'s output), ``trans_feat`` (the TP
            map)); eval: (SR, ``pr_weights``), as L677-693.
        """
        if self.stn and self.training:
            _, ctrl_points_x = self.stn_head(x)
            x, _ = self.tps(x, ctrl_points_x)
        feat = self.block1(x)
        if text_emb is None:
            text_emb = x.new_zeros((x.shape[0], self.emb_cls, 1, 26))
        tp_map, pr_weights = self.infoGen(feat, text_emb)
        h = feat
        for i in range(self.srb_nums + 1):
            blk = getattr(self, f'block{i + 2}')
            h = blk(h, tp_map) if i + 2 in self.block_range else blk(h)
        out = getattr(self, f'block{self.srb_nums + 3}')(feat + h)
        output = torch.tanh(out)
        if self.training:
            return output, dict(pr_weights=pr_weights,
                                pr_weights_gt=None,
                                spatial_t_emb=tp_map,
                                spatial_t_emb_gt=None,
                                in_feat=feat,
                                trans_feat=tp_map)
        return output, pr_weights


def build_tsrn_tl_trans(**kwargs) -> TSRN_TL_TRANS:
    """``TSRN_TL_TRANS`` as ``train_TATT.sh`` builds it (``--STN --mask``,
    srb 5, hd_u 32, yaml scale 2, 128 x 32, 64 TP channels)."""
    cfg = dict(scale_factor=2, width=128, height=32, STN=True, mask=True,
               srb_nums=5, hidden_units=32, text_emb=37,
               out_text_channels=64)
    cfg.update(kwargs)
    return TSRN_TL_TRANS(**cfg)


# --------------------------------------------------------------------------
# Losses and the rotation
# --------------------------------------------------------------------------
def tatt_image_loss(out: torch.Tensor,
                    target: torch.Tensor,
                    weights: Sequence[float] = (1., 1e-4)) -> torch.Tensor:
    """loss/image_loss.py ``ImageLoss(gradient=True, [1, 1e-4])`` of TATT
    (L10-58): one value per sample, (N,): w0 x the sample's MSE over all 4
    channels + w1 x the sample's L1 between the RGB gradient maps (the
    means taken one axis at a time, as the official). The loop takes
    ``.mean()`` over the batch."""
    sq = F.mse_loss(out, target, reduction='none')
    mse = sq.mean(1).mean(1).mean(1)
    grad = F.l1_loss(gradient_map(out[:, :3]), gradient_map(target[:, :3]),
                     reduction='none')
    return weights[0] * mse + weights[1] * grad.mean(1).mean(1).mean(1)


def torch_rotate_img(images: torch.Tensor,
                     arcs: torch.Tensor,
                     rand_offs: torch.Tensor,
                     off_range: float = 0.2) -> torch.Tensor:
    """super_resolution.py L126-157: rotate each image by ``arcs[n]``
    (radians) with an aspect-corrected affine map,

        [[cos a, sin a * r, 0], [-sin a / r, cos a, 0]],
        r = H / W + 2 off_range rand_offs[n] - off_range,

    sampled bilinearly with zero padding (``affine_grid`` / ``grid_sample``
    with their defaults, ``align_corners=False``).

    Computed in ``images``' dtype and device: the official builds the matrix
    in the dtype of ``arcs`` (float32 in the loop, L643-645) and would fail
    on float64 images with float32 angles.
    """
    arcs = arcs.to(device=images.device, dtype=images.dtype)
    rand_offs = rand_offs.to(device=images.device, dtype=images.dtype)
    n, _, h, w = images.shape
    ratio = h / float(w) + (rand_offs.unsqueeze(1) * off_range * 2) \
        - off_range
    cos, sin = torch.cos(arcs).unsqueeze(1), torch.sin(arcs).unsqueeze(1)
    zero = torch.zeros_like(cos)
    theta = torch.cat([cos, sin * ratio, zero, -sin / ratio, cos, zero],
                      dim=1).reshape(n, 2, 3)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, align_corners=False)


def draw_rotation(batch_size: int,
                  max_angle: float,
                  dtype: torch.dtype = torch.float64):
    """The angles and offsets of ``--rotate_train=max_angle`` (L639-645),
    drawn with torch instead of numpy (same distribution): angles uniform
    in [-max_angle, max_angle) degrees, returned in radians, offsets
    uniform in [0, 1). One ``torch.rand(2, batch_size)`` call.

    Returns:
        tuple: ``arcs`` (N,), ``rand_offs`` (N,).
    """
    u = torch.rand(2, batch_size, dtype=dtype)
    arcs = (u[0] * 2 * max_angle - max_angle) / 180 * math.pi
    rand_offs = u[1]
    return arcs, rand_offs


def _gauss_window(window_size: int, channels: int, dtype: torch.dtype,
                  device, official: bool) -> torch.Tensor:
    """ssim_psnr.py L28-37: normalised 1-D gaussian (sigma 1.5), outer
    product, one copy per channel: (C, 1, k, k). ``official``: computed in
    float32 and then cast (``TRI_SSIM`` caches a float32 window and
    ``type_as``-es it, L246-251); else in ``dtype``."""
    work = torch.float32 if official else dtype
    centre = window_size // 2
    values = [
        math.exp(-(x - centre)**2 / float(2 * 1.5**2))
        for x in range(window_size)
    ]
    g = torch.tensor(values, dtype=work)
    g = (g / g.sum()).unsqueeze(1)
    win = g.mm(g.t()).unsqueeze(0).unsqueeze(0)
    win = win.expand(channels, 1, window_size, window_size).contiguous()
    return win.to(device=device, dtype=dtype)


def tri_ssim(img1: torch.Tensor,
             img2: torch.Tensor,
             img3: torch.Tensor,
             window_size: int = 11,
             official_window: bool = True) -> torch.Tensor:
    """ssim_psnr.py ``TRI_SSIM()`` (``_tri_ssim``, L99-128, size_average):
    the three-image SSIM over every channel (4 here: RGB + mask), gaussian
    window (sigma 1.5, zero padding k // 2, ``groups`` = channels),
    C1 = 0.01^2, C2 = 0.03^2,

        ((m1 m2 + m2 m3 + m3 m1 + C1) (s12 + s23 + s31 + C2))
        / ((m1^2 + m2^2 + m3^2 + C1) (s1^2 + s2^2 + s3^2 + C2)),

    averaged over everything (a scalar).

    Args:
        official_window: build the window in float32 and cast it, as the
            official (exact parity in float64); False builds it in the
            images' dtype.
    """
    ch = img1.shape[1]
    win = _gauss_window(window_size, ch, img1.dtype, img1.device,
                        official_window)
    pad = window_size // 2

    def blur(x):
        return F.conv2d(x, win, padding=pad, groups=ch)

    mu1, mu2, mu3 = blur(img1), blur(img2), blur(img3)
    mu1_sq, mu2_sq, mu3_sq = mu1.pow(2), mu2.pow(2), mu3.pow(2)
    mu12, mu23, mu31 = mu1 * mu2, mu2 * mu3, mu3 * mu1
    var1 = blur(img1 * img1) - mu1_sq
    var2 = blur(img2 * img2) - mu2_sq
    var3 = blur(img3 * img3) - mu3_sq
    cov12 = blur(img1 * img2) - mu12
    cov23 = blur(img2 * img3) - mu23
    cov31 = blur(img3 * img1) - mu31
    c1, c2 = 0.01**2, 0.03**2
    num = (mu12 + mu23 + mu31 + c1) * (cov12 + cov23 + cov31 + c2)
    den = (mu1_sq + mu2_sq + mu3_sq + c1) * (var1 + var2 + var3 + c2)
    return (num / den).mean()


# --------------------------------------------------------------------------
# Training step, optimiser, evaluation (interfaces/super_resolution.py)
# --------------------------------------------------------------------------
def tatt_train_step(sr_nets: Sequence[nn.Module],
                    students: Sequence[nn.Module],
                    teacher: nn.Module,
                    images_lr: torch.Tensor,
                    images_hr: torch.Tensor,
                    arcs: Optional[torch.Tensor],
                    rand_offs: Optional[torch.Tensor],
                    *,
                    sr_share: bool = True,
                    tpg_share: bool = False,
                    stu_iter: int = 1,
                    rotate: bool = True,
                    tssim: bool = True) -> Dict[str, torch.Tensor]:
    """The losses of one ``--arch tatt`` step, modules in the modes the loop
    keeps them in (SR networks and students train, the teacher eval).

    ``rotate`` (``--rotate_train``, L637-655): LR and HR are rotated by
    ``arcs`` (:func:`torch_rotate_img`), and ``images_lr_ret`` is the
    rotated LR rotated back by ``-arcs``. The teacher reads the rotated HR
    (L772-774, softmax detached).

    Stage i (L780-1031): ``cascade = cascade.detach()`` (stage 0: the
    rotated LR, stage i > 0: stage i - 1's SR output); the student
    ``students[0 if tpg_share else i]`` reads it; its softmax, detached,
    guides ``sr_nets[0 if sr_share else i]``, which reads the rotated LR
    (no prior dropout). Terms:

    - ``loss_distill_{i}`` = ``semantic_loss(student_i, teacher)`` x 100
      (``--use_distill``; the students' only gradient);
    - ``loss_img_pixel_{i}`` = ``tatt_image_loss(SR_i, HR).mean()`` x 100,
      added to the total with weight (1 + 0.5 i);
    - ``loss_tssim_{i}`` (``tssim``, L910-914) = (1 - ``tri_ssim``(
      rotate(SR net(``images_lr_ret``, same prior), arcs), SR_i, HR)) x
      10, the SR network run a second time (its own STN and dropout
      draws).

    Returns:
        dict: ``loss_total`` (L1034 ``loss_im`` = ``loss_img`` +
        ``loss_recog_distill``), ``loss_img`` (pixel and TSSIM terms, the
        official ``loss_img``), ``loss_img_pixel`` (sum of the weighted
        pixel terms), ``loss_tssim`` (sum over stages; the official variable
        keeps the last stage's), ``loss_recog_distill``, the per-stage terms
        above, ``sr_{i}`` and ``sr`` (the last stage's output),
        ``images_lr`` / ``images_hr`` (the rotated batch) and
        ``images_lr_ret``.
    """
    if tssim and not rotate:
        raise ValueError('--tssim_loss needs --rotate_train (the official '
                         'step reads images_lr_ret)')
    out: Dict[str, torch.Tensor] = {}
    lr, hr = images_lr, images_hr
    lr_ret = None
    if rotate:
        lr = torch_rotate_img(images_lr, arcs, rand_offs)
        hr = torch_rotate_img(images_hr, arcs, rand_offs)
        lr_ret = torch_rotate_img(lr.clone(), -arcs, rand_offs)
        out['images_lr_ret'] = lr_ret
    out['images_lr'], out['images_hr'] = lr, hr

    teacher_probs = F.softmax(teacher(parse_crnn_data(hr[:, :3])),
                              -1).detach()
    cascade = lr
    loss_img, loss_pixel, loss_tssim, loss_distill = 0., 0., 0., 0.
    for i in range(stu_iter):
        cascade = cascade.detach()
        student = students[0 if tpg_share else i]
        probs = F.softmax(student(parse_crnn_data(cascade[:, :3])), -1)
        prior = prior_from_probs(probs).detach()
        net = sr_nets[0 if sr_share else i]
        cascade, _ = net(lr, prior)
        distill = semantic_loss(probs, teacher_probs) * 100
        out[f'loss_distill_{i}'] = distill
        loss_distill = loss_distill + distill
        pixel = tatt_image_loss(cascade, hr).mean() * 100
        out[f'loss_img_pixel_{i}'] = pixel
        loss_img = loss_img + pixel * (1 + i * 0.5)
        loss_pixel = loss_pixel + pixel * (1 + i * 0.5)
        if tssim:
            sr_ret, _ = net(lr_ret, prior)
            back = torch_rotate_img(sr_ret, arcs, rand_offs)
            each = (1 - tri_ssim(back, cascade, hr).mean()) * 10.
            out[f'loss_tssim_{i}'] = each
            loss_img = loss_img + each
            loss_tssim = loss_tssim + each
        out[f'sr_{i}'] = cascade
    out.update(loss_total=loss_img + loss_distill,
               loss_img=loss_img,
               loss_img_pixel=loss_pixel,
               loss_recog_distill=loss_distill,
               sr=cascade)
    if tssim:
        out['loss_tssim'] = loss_tssim
    return out


def tatt_optimizer(sr_nets: Sequence[nn.Module],
                   students: Sequence[nn.Module],
                   lr: float = 1e-3,
                   beta1: float = 0.5) -> torch.optim.Adam:
    """base.py L496-528 with ``global_model=None`` (TATT's loop passes
    none): TPGSR's optimiser, one Adam over the SR networks' parameters
    then every student's, betas (yaml ``beta1`` 0.5, 0.999). lr =
    ``--learning_rate`` (``main.py`` overwrites the yaml's: 1e-3 in
    ``train_TATT.sh``, 2e-4 in its fine-tuning line)."""
    return tpgsr_optimizer(sr_nets, students, lr=lr, beta1=beta1)


def tatt_update(loss: torch.Tensor, sr_nets: Sequence[nn.Module],
                optimizer: torch.optim.Optimizer) -> None:
    """L1072-1085, as TPGSR's: zero_grad, backward, each SR network clipped
    on its own to norm 0.25 (the students not), one step."""
    tpgsr_update(loss, sr_nets, optimizer)


@torch.no_grad()
def tatt_eval_cascade(sr_nets: Sequence[nn.Module],
                      students: Sequence[nn.Module],
                      images_lr: torch.Tensor,
                      stu_iter: int = 1,
                      sr_share: bool = True,
                      tpg_share: bool = False) -> List[torch.Tensor]:
    """``model_inference`` L285-418 (modules in eval mode, L1116-1131: no
    STN, no dropout; ``--rotate_test=0``: the evaluation batch is not
    rotated): stage i's student reads the previous stage's SR output (the
    LR at stage 0), the SR network reads the LR with the detached prior.
    The reported metrics are those of the last stage."""
    cascade, images_sr = images_lr, []
    for i in range(stu_iter):
        student = students[0 if tpg_share else i]
        probs = F.softmax(student(parse_crnn_data(cascade[:, :3])), -1)
        net = sr_nets[0 if sr_share else i]
        cascade, _ = net(images_lr, prior_from_probs(probs).detach())
        images_sr.append(cascade)
    return images_sr


def tatt_eval_forward(sr_net: nn.Module, student: nn.Module,
                      images_lr: torch.Tensor) -> torch.Tensor:
    """The evaluation of ``test_TATT.sh`` (``--stu_iter=1``, eval mode):
    the student reads the LR, the SR network reads the LR and the detached
    prior. Returns the SR images (N, 4, 32, 128)."""
    return tatt_eval_cascade([sr_net], [student], images_lr)[-1]
