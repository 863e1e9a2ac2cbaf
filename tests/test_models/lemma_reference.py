"""Plain-torch reference of the LEMMA network (IJCAI'23, ``csguoh/LEMMA``,
Apache-2.0), written from the official code for parity tests.

What it covers (file:line of the official code, ``third_party/LEMMA``):

- ``LEMMA`` (``model/lemma.py`` L67-158) as ``generator_init`` builds it
  (``interfaces/base.py`` L121-123: ``scale_factor=2, width=128,
  height=32, STN=True, mask=True, srb_nums=5, cfg=config``), with
  ``AffineModulate`` (L18-64), ``RecurrentResidualBlockAffine``
  (L186-214, ``SHUT_BN = False``), the GRU-only ``GruBlock`` (L246-260;
  TPGSR's has a 1x1 conv in front), ``UpsampleBLock`` (L219-232) and
  ``mish`` (L235-243).
- ``PositionAwareModule`` (``model/Position_aware_module.py`` L227-255)
  with ``Model`` (L21-61), ``BaseVision`` (L63-99; ``backbone
  'transformer'``, ``attention 'position'``), ``BCNLanguage`` (L102-155;
  ``use_self_attn False``), ``encoder_layer`` / ``decoder_layer``
  (L158-170) and ``PositionAttention`` (L173-224);
  ``Location_enhancement_Multimodal_alignment`` (L259-331).
- ``ResTranformer`` (``model/backbone.py`` L13-39), ``resnet45`` with
  ``BasicBlock`` (``model/resnet.py`` L18-103).
- from ``model/transformer.py``: ``TransformerEncoder`` (L580-622),
  ``TransformerDecoder`` (L625-677), ``TransformerEncoderLayer``
  (L734-798), ``TransformerDecoderLayer`` (L801-891, ``self_attn=False``
  only), ``PositionalEncoding`` (L907-948), ``TransformerDecoderLayer_QKV``
  (L951-990), ``TransformerDecoder_QKV`` (L994-1018). The official
  ``MultiheadAttention`` (L299-447, torch 1.5's module copied into the
  file) is replaced by ``torch.nn.MultiheadAttention`` (sequence-first,
  ``need_weights=True``), which has the same parameter names and
  initialisation and gives bitwise the same outputs, gradients and
  dropout draws (``docs/notes_lemma.md`` 2.5).
- ``CharsetMapper`` (``setup.py`` L14-89) for ``dataset/charset_36.txt``
  (:data:`CHARSET`), the fine-tune labels of ``Lable2Tensor.
  getlabletensor`` (``dataset/dataset.py`` L55-57, :func:`abinet_labels`)
  and the fine-tune term of ``TextFocusLoss`` (``loss/
  text_focus_loss.py`` L594-596, :func:`abinet_finetune_loss`).
- From ``tests.test_models.tpgsr_reference``, after checking that
  LEMMA's copies are the same code: ``STNHead`` (``model/stn_head.py``
  L25-106; LEMMA's file differs from TPGSR's only in comments, the unused
  ``input_size`` default, ``==`` for ``is`` in ``init_stn`` and
  ``nn.Linear(512, 512)`` written out where TPGSR has ``flatten_width *
  256`` with ``flatten_width = 2``), ``TPSSpatialTransformer``
  (``model/tps_spatial_transformer.py``, byte-identical to TPGSR's;
  ``grid_sample`` without ``align_corners``, i.e. False), ``UpsampleBLock``
  (``lemma.py`` L219-232) and ``mish`` (L235-243), the same code as
  TPGSR's ``tsrn.py`` L464-488.

Module and parameter names and the construction order are the official
ones: the official ``LEMMA(...).state_dict()`` (1,102 entries, the four
TPS buffers, the seven ``pe`` tables and the unused ``guidanceGen.
text_pos`` / ``select_pos`` included) loads with ``strict=True``, and with
the same ``torch.manual_seed`` a fresh reference gets the official initial
weights. Every dropout is drawn in the official order on tensors of the
official shapes and memory layouts (sequence-first), so the same seed
gives the same masks (63 draws per training forward, ``notes_lemma.md``
2.8).

Not covered: ABINet's other options (``backbone`` other than
``'transformer'``, ``attention 'attention'``, ``use_self_attn True``, the
``siamese`` decoder layer), ``SHUT_BN = True``, the rest of the loss
(``TextFocusLoss``'s recognizer terms) and the training loop, the
judges, DataParallel. ``GruBlock`` does not call
``gru.flatten_parameters()`` (a no-op off cuDNN).

``.dev_scripts/check_lemma_reference.py`` checks this file against the
official code in ``third_party/LEMMA`` (git-ignored).
"""
import copy
import math
from types import SimpleNamespace
from typing import Any, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from tests.test_models.tpgsr_reference import (STNHead,
                                               TPSSpatialTransformer,
                                               UpsampleBLock, mish)

__all__ = [
    # shared with TPGSR (checked identical), re-exported
    'STNHead', 'TPSSpatialTransformer', 'UpsampleBLock', 'mish',
    # charset, labels, config
    'NULL_CHAR', 'CHARSET', 'abinet_labels', 'abinet_finetune_loss',
    'lemma_config',
    # model/transformer.py
    'PositionalEncoding', 'TransformerEncoderLayer', 'TransformerEncoder',
    'TransformerDecoderLayer', 'TransformerDecoder',
    'TransformerDecoderLayer_QKV', 'TransformerDecoder_QKV',
    # model/resnet.py, model/backbone.py
    'BasicBlock', 'ResNet', 'resnet45', 'ResTranformer',
    # model/Position_aware_module.py
    'Model', 'BaseVision', 'BCNLanguage', 'encoder_layer', 'decoder_layer',
    'PositionAttention', 'PositionAwareModule',
    'Location_enhancement_Multimodal_alignment',
    # model/lemma.py
    'AffineModulate', 'GruBlock', 'RecurrentResidualBlockAffine', 'LEMMA',
    'build_lemma'
]

# --------------------------------------------------------------------------
# Charset, labels, configuration
# --------------------------------------------------------------------------
#: ABINet's null character (``CharsetMapper`` default ``null_char``).
NULL_CHAR = '\u2591'

#: The 37 classes of ``dataset/charset_36.txt`` as ``CharsetMapper``
#: numbers them: the file's index + 1, label 0 the null character (end,
#: padding and unknown at once): 1-26 = a-z, 27-35 = 1-9, 36 = 0.
CHARSET = NULL_CHAR + 'abcdefghijklmnopqrstuvwxyz' + '123456789' + '0'

_CHAR_TO_LABEL = {c: i for i, c in enumerate(CHARSET)}


def abinet_labels(texts: Sequence[str],
                  max_length: int = 26,
                  one_hot: bool = False) -> torch.Tensor:
    """The fine-tune targets of the guidance branch, as ``Lable2Tensor.
    getlabletensor`` makes them (``dataset.py`` L56-57) with
    ``CharsetMapper('./dataset/charset_36.txt', max_length=26).get_labels``
    (``setup.py`` L79-89): the text is lower-cased, padded with the null
    character to ``max_length`` (nothing is added when it is longer),
    lower-cased again, every character outside the charset (punctuation,
    spaces, ...) becomes 0 in place, and the list is cut to ``max_length``.

    Args:
        texts: the batch's labels as the loader gives them (the training
            loop passes ``str_filt(word, 'all')``: case and punctuation
            kept).
        max_length: 26 (25 characters + the end token).
        one_hot: return (N, T, 37) float32 one-hot rows instead.

    Returns:
        (N, T) int64 class indices (the official ``CrossEntropyLoss``
        target), or their one-hot form.
    """
    rows: List[List[int]] = []
    for text in texts:
        text = text.lower()
        text = text + NULL_CHAR * (max_length - len(text))
        text = text.lower()
        rows.append([_CHAR_TO_LABEL.get(c, 0) for c in text][:max_length])
    labels = torch.stack([torch.tensor(row) for row in rows])
    if one_hot:
        return F.one_hot(labels, len(CHARSET)).float()
    return labels


def abinet_finetune_loss(pos_prior: Dict[str, torch.Tensor],
                         labels: torch.Tensor) -> torch.Tensor:
    """``TextFocusLoss`` L594-596: ``CrossEntropyLoss`` (mean over the
    N x 26 positions, no ignore index) applied to the *softmax
    probabilities* of the vision and of the language logits (a double
    softmax), the two terms summed. The loss weights it by 0.01."""
    n_cls = len(CHARSET)
    target = labels.view(-1)
    vision = F.cross_entropy(
        F.softmax(pos_prior['img_logits'], -1).view(-1, n_cls), target)
    language = F.cross_entropy(
        F.softmax(pos_prior['text_logits'], -1).view(-1, n_cls), target)
    return vision + language


def lemma_config(vision_checkpoint: Optional[str] = None,
                 language_checkpoint: Optional[str] = None,
                 charset_path: str = './dataset/charset_36.txt'
                 ) -> SimpleNamespace:
    """The official ``config/super_resolution.yaml`` ``PositionAware``
    section (L60-78), as ``cfg.PositionAware`` of a namespace, with the
    ABINet checkpoints replaced (None: random initialisation).

    What the code reads: ``dataset_max_length`` (T = 26), the charset
    path (only the official code opens it; here :data:`CHARSET`),
    ``model_vision_attention_mode``, ``vision.backbone`` / ``.attention``
    / ``.d_model`` (sizes ``cls`` only) / ``.checkpoint`` and
    ``language.detach`` / ``.use_self_attn`` / ``.checkpoint``.
    ``backbone_ln``, ``num_layers`` and ``loss_weight`` are ignored by the
    official code (3 and 4 layers are hard-coded).
    """
    section = SimpleNamespace(
        dataset_max_length=25,
        dataset_charset_path=charset_path,
        model_vision_attention_mode='nearest',
        vision=SimpleNamespace(checkpoint=vision_checkpoint,
                               loss_weight=1.,
                               attention='position',
                               backbone='transformer',
                               backbone_ln=3,
                               d_model=512),
        language=SimpleNamespace(checkpoint=language_checkpoint,
                                 num_layers=4,
                                 loss_weight=1.,
                                 detach=True,
                                 use_self_attn=False))
    return SimpleNamespace(PositionAware=section)


def _field(node: Any, name: str, default: Any = None) -> Any:
    """Attribute (namespace, EasyDict, ConfigDict) or key (dict) access;
    a missing or None entry gives ``default`` (the official ``x if x is
    not None else default`` pattern)."""
    if isinstance(node, dict):
        value = node.get(name, None)
    else:
        value = getattr(node, name, None)
    return default if value is None else value


# --------------------------------------------------------------------------
# model/transformer.py (sequence-first, post-norm, ReLU)
# --------------------------------------------------------------------------
def _activation(name: str):
    """transformer.py ``_get_activation_fn``."""
    table = {'relu': F.relu, 'gelu': F.gelu}
    if name not in table:
        raise RuntimeError(f'activation should be relu/gelu, not {name}')
    return table[name]


def _clones(layer: nn.Module, n: int) -> nn.ModuleList:
    """n deep copies (no random draw: the copies share the prototype's
    initial weights)."""
    return nn.ModuleList([copy.deepcopy(layer) for _ in range(n)])


class PositionalEncoding(nn.Module):
    """transformer.py L907-948: the float32 sinusoid table is the buffer
    ``pe`` (max_len, 1, d_model); forward adds ``pe[:L]`` to an (L, N, d)
    input and applies ``Dropout(dropout)`` to the sum."""

    def __init__(self,
                 d_model: int,
                 dropout: float = 0.1,
                 max_len: int = 5000) -> None:
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        positions = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        freqs = torch.exp(
            torch.arange(0, d_model, 2).float() *
            (-math.log(10000.0) / d_model))
        table = torch.zeros(max_len, d_model)
        table[:, 0::2] = torch.sin(positions * freqs)
        table[:, 1::2] = torch.cos(positions * freqs)
        self.register_buffer('pe', table.unsqueeze(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(x + self.pe[:x.size(0), :])


class TransformerEncoderLayer(nn.Module):
    """transformer.py L734-798, post-norm. Draws, in order: attention
    weights (N heads, L, L), ``dropout1``, ``dropout`` (feed-forward),
    ``dropout2``."""

    def __init__(self,
                 d_model: int,
                 nhead: int,
                 dim_feedforward: int = 2048,
                 dropout: float = 0.1,
                 activation: str = 'relu') -> None:
        super().__init__()
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

    def forward(self,
                src: torch.Tensor,
                src_mask: Optional[torch.Tensor] = None,
                src_key_padding_mask: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
        attended = self.self_attn(src, src, src, attn_mask=src_mask,
                                  key_padding_mask=src_key_padding_mask)[0]
        src = self.norm1(src + self.dropout1(attended))
        hidden = self.dropout(self.activation(self.linear1(src)))
        return self.norm2(src + self.dropout2(self.linear2(hidden)))


class TransformerEncoder(nn.Module):
    """transformer.py L580-622: the layers in turn, optional final norm
    (None everywhere in LEMMA)."""

    def __init__(self,
                 encoder_layer: nn.Module,
                 num_layers: int,
                 norm: Optional[nn.Module] = None) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self,
                src: torch.Tensor,
                mask: Optional[torch.Tensor] = None,
                src_key_padding_mask: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
        out = src
        for layer in self.layers:
            out = layer(out, src_mask=mask,
                        src_key_padding_mask=src_key_padding_mask)
        return out if self.norm is None else self.norm(out)


class TransformerDecoderLayer(nn.Module):
    """transformer.py L801-891 with ``self_attn=False`` (ABINet's language
    model): cross-attention and feed-forward only; no ``self_attn``,
    ``norm1``, ``dropout1``. Draws: attention weights, ``dropout2``,
    ``dropout``, ``dropout3``."""

    def __init__(self,
                 d_model: int,
                 nhead: int,
                 dim_feedforward: int = 2048,
                 dropout: float = 0.1,
                 activation: str = 'relu',
                 self_attn: bool = True,
                 siamese: bool = False) -> None:
        super().__init__()
        if self_attn or siamese:
            raise NotImplementedError(
                'only self_attn=False, siamese=False is covered')
        self.has_self_attn, self.siamese = self_attn, siamese
        self.multihead_attn = nn.MultiheadAttention(d_model, nhead,
                                                    dropout=dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self,
                tgt: torch.Tensor,
                memory: torch.Tensor,
                tgt_mask: Optional[torch.Tensor] = None,
                memory_mask: Optional[torch.Tensor] = None,
                tgt_key_padding_mask: Optional[torch.Tensor] = None,
                memory_key_padding_mask: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
        # tgt_mask / tgt_key_padding_mask only feed the (absent) self_attn
        attended = self.multihead_attn(
            tgt, memory, memory, attn_mask=memory_mask,
            key_padding_mask=memory_key_padding_mask)[0]
        tgt = self.norm2(tgt + self.dropout2(attended))
        hidden = self.dropout(self.activation(self.linear1(tgt)))
        return self.norm3(tgt + self.dropout3(self.linear2(hidden)))


class TransformerDecoder(nn.Module):
    """transformer.py L625-677 (``memory2`` and the siamese masks left
    out: LEMMA passes none)."""

    def __init__(self,
                 decoder_layer: nn.Module,
                 num_layers: int,
                 norm: Optional[nn.Module] = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self,
                tgt: torch.Tensor,
                memory: torch.Tensor,
                tgt_mask: Optional[torch.Tensor] = None,
                memory_mask: Optional[torch.Tensor] = None,
                tgt_key_padding_mask: Optional[torch.Tensor] = None,
                memory_key_padding_mask: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
        out = tgt
        for layer in self.layers:
            out = layer(out, memory, tgt_mask=tgt_mask,
                        memory_mask=memory_mask,
                        tgt_key_padding_mask=tgt_key_padding_mask,
                        memory_key_padding_mask=memory_key_padding_mask)
        return out if self.norm is None else self.norm(out)


class TransformerDecoderLayer_QKV(nn.Module):  # noqa: N801 (official)
    """transformer.py L951-990: cross-attention with separate key and
    value (``query + dropout2(attn(query, key, value))``, ``norm2``), then
    the feed-forward (``dropout``, ``dropout3``, ``norm3``). The official
    constructor's ``self_attn`` flag builds nothing."""

    def __init__(self,
                 d_model: int,
                 nhead: int,
                 dim_feedforward: int = 2048,
                 dropout: float = 0.1,
                 activation: str = 'relu',
                 self_attn: bool = True) -> None:
        super().__init__()
        self.has_self_attn = self_attn
        self.multihead_attn = nn.MultiheadAttention(d_model, nhead,
                                                    dropout=dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.activation = _activation(activation)

    def forward(self,
                query: torch.Tensor,
                key: torch.Tensor,
                value: torch.Tensor,
                memory_mask: Optional[torch.Tensor] = None,
                memory_key_padding_mask: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
        attended = self.multihead_attn(
            query, key, value, attn_mask=memory_mask,
            key_padding_mask=memory_key_padding_mask)[0]
        tgt = self.norm2(query + self.dropout2(attended))
        hidden = self.dropout(self.activation(self.linear1(tgt)))
        return self.norm3(tgt + self.dropout3(self.linear2(hidden)))


class TransformerDecoder_QKV(nn.Module):  # noqa: N801 (official name)
    """transformer.py L994-1018: every layer reads the same key and
    value."""

    def __init__(self,
                 decoder_layer: nn.Module,
                 num_layers: int,
                 norm: Optional[nn.Module] = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self,
                query: torch.Tensor,
                key: torch.Tensor,
                value: torch.Tensor,
                memory_mask: Optional[torch.Tensor] = None,
                memory_key_padding_mask: Optional[torch.Tensor] = None
                ) -> torch.Tensor:
        out = query
        for layer in self.layers:
            out = layer(out, key, value, memory_mask=memory_mask,
                        memory_key_padding_mask=memory_key_padding_mask)
        return out if self.norm is None else self.norm(out)


# --------------------------------------------------------------------------
# model/resnet.py, model/backbone.py
# --------------------------------------------------------------------------
def _conv1x1(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride,
                     bias=False)


def _conv3x3(in_planes: int, out_planes: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride,
                     padding=1, bias=False)


class BasicBlock(nn.Module):
    """resnet.py L18-47: 1x1 conv, BN, ReLU, 3x3 conv (carrying the
    stride), BN, + shortcut, ReLU; no conv biases. ``downsample`` is
    built by the caller *before* the block (RNG order) but registered
    last (key order)."""
    expansion = 1

    def __init__(self,
                 inplanes: int,
                 planes: int,
                 stride: int = 1,
                 downsample: Optional[nn.Module] = None) -> None:
        super().__init__()
        self.conv1 = _conv1x1(inplanes, planes)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes, stride)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += x if self.downsample is None else self.downsample(x)
        return self.relu(out)


class ResNet(nn.Module):
    """resnet.py L50-103 (ABINet's ResNet-45 body): stem conv 3->32 (no
    bias), BN, ReLU; five stages of 32, 64, 128, 256, 512 channels with
    first-block strides 2, 1, 2, 1, 1 (32 x 128 -> 8 x 32). Convs are
    redrawn N(0, sqrt(2 / (k k out))), BNs 1 / 0, in ``modules()``
    order."""

    def __init__(self, block: type, layers: Sequence[int]) -> None:
        self.inplanes = 32
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, kernel_size=3, stride=1, padding=1,
                               bias=False)
        self.bn1 = nn.BatchNorm2d(32)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(block, 32, layers[0], stride=2)
        self.layer2 = self._make_layer(block, 64, layers[1], stride=1)
        self.layer3 = self._make_layer(block, 128, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 256, layers[3], stride=1)
        self.layer5 = self._make_layer(block, 512, layers[4], stride=1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                m.weight.data.normal_(0, math.sqrt(2. / fan))
            elif isinstance(m, nn.BatchNorm2d):
                m.weight.data.fill_(1)
                m.bias.data.zero_()

    def _make_layer(self, block: type, planes: int, blocks: int,
                    stride: int = 1) -> nn.Sequential:
        width = planes * block.expansion
        downsample = None
        if stride != 1 or self.inplanes != width:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, width, kernel_size=1,
                          stride=stride, bias=False), nn.BatchNorm2d(width))
        stage = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = width
        for _ in range(1, blocks):
            stage.append(block(self.inplanes, planes))
        return nn.Sequential(*stage)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))
        for stage in (self.layer1, self.layer2, self.layer3, self.layer4,
                      self.layer5):
            x = stage(x)
        return x


def resnet45() -> ResNet:
    """resnet.py L142-143: [3, 4, 6, 6, 3] basic blocks."""
    return ResNet(BasicBlock, [3, 4, 6, 6, 3])


class ResTranformer(nn.Module):  # official spelling
    """backbone.py L13-39: ResNet-45, then the (N, 512, 8, 32) map as a
    (256, N, 512) sequence + ``PositionalEncoding(512, max_len=256)``
    (dropout 0.1) through 3 post-norm encoder layers (8 heads, 2048,
    dropout 0.1, ReLU; the yaml's ``backbone_ln`` is ignored), and back
    to (N, 512, 8, 32)."""

    def __init__(self, config: Any = None) -> None:
        super().__init__()
        self.resnet = resnet45()
        self.d_model = 512
        self.pos_encoder = PositionalEncoding(self.d_model, max_len=8 * 32)
        layer = TransformerEncoderLayer(d_model=self.d_model, nhead=8,
                                        dim_feedforward=2048, dropout=0.1,
                                        activation='relu')
        self.transformer = TransformerEncoder(layer, 3)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        feature = self.resnet(images)
        n, c, h, w = feature.shape
        feature = feature.view(n, c, -1).permute(2, 0, 1)
        feature = self.transformer(self.pos_encoder(feature))
        return feature.permute(1, 2, 0).view(n, c, h, w)


# --------------------------------------------------------------------------
# model/Position_aware_module.py
# --------------------------------------------------------------------------
class Model(nn.Module):
    """Position_aware_module.py L21-61: the ABINet base (T = max length
    + 1, the charset, checkpoint loading and the length / mask helpers).
    Holds no state."""

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.max_length = _field(config, 'dataset_max_length') + 1
        self.null_label = 0
        self.num_classes = len(CHARSET)

    def load(self, source: str, device: Any = None,
             strict: bool = True) -> None:
        """L28-30: an ABINet (fastai) checkpoint's ``['model']``."""
        state = torch.load(source, map_location=device, weights_only=False)
        self.load_state_dict(state['model'], strict=strict)

    def _get_length(self, logit: torch.Tensor, dim: int = -1
                    ) -> torch.Tensor:
        """L32-39: 1 + the first position whose argmax is the null label;
        T when there is none. int64, no gradient."""
        is_null = logit.argmax(dim=-1) == self.null_label
        found = is_null.any(dim)
        first = ((is_null.cumsum(dim) == 1) & is_null).max(dim)[1] + 1
        return torch.where(found, first, first.new_tensor(logit.shape[1]))

    @staticmethod
    def _get_padding_mask(length: torch.Tensor,
                          max_length: int) -> torch.Tensor:
        """L41-45: True where position >= length, (N, T)."""
        grid = torch.arange(0, max_length, device=length.device)
        return grid.unsqueeze(0) >= length.unsqueeze(-1)

    @staticmethod
    def _get_location_mask(sz: int, device: Any = None) -> torch.Tensor:
        """L57-61: float32 (sz, sz), -inf on the diagonal, 0 elsewhere
        (float32 whatever the model's dtype)."""
        eye = torch.eye(sz, device=device)
        return eye.float().masked_fill(eye == 1, float('-inf'))


class BaseVision(Model):
    """Position_aware_module.py L63-99 (``backbone 'transformer'``,
    ``attention 'position'``): backbone features (N, 512, 8, 32) ->
    position attention -> ``cls`` (``vision.d_model`` -> 37)."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        vision = _field(config, 'vision')
        self.out_channels = _field(vision, 'd_model', 512)
        if _field(vision, 'backbone') != 'transformer':
            raise NotImplementedError('only backbone "transformer"')
        self.backbone = ResTranformer(config)
        if _field(vision, 'attention') != 'position':
            raise NotImplementedError('only attention "position"')
        self.attention = PositionAttention(
            max_length=_field(config, 'dataset_max_length') + 1,
            mode=_field(config, 'model_vision_attention_mode', 'nearest'))
        self.cls = nn.Linear(self.out_channels, self.num_classes)
        checkpoint = _field(vision, 'checkpoint')
        if checkpoint is not None:
            self.load(checkpoint)

    def forward(self, images: torch.Tensor) -> Dict[str, Any]:
        features = self.backbone(images)
        attn_vecs, attn_scores = self.attention(features)
        logits = self.cls(attn_vecs)
        return {'feature': attn_vecs, 'logits': logits,
                'pt_lengths': self._get_length(logits),
                'attn_scores': attn_scores, 'name': 'vision',
                'backbone_feature': features}


class BCNLanguage(Model):
    """Position_aware_module.py L102-155: ABINet's language model (4
    cross-attention-only decoder layers, 512 wide, 8 heads, 2048, dropout
    0.1; the yaml's ``num_layers`` is ignored). Queries are positional
    encodings of zeros (no dropout); keys/values are the projected
    (detached) tokens with ``token_encoder`` (dropout 0.1); the memory
    mask hides each query's own position, the padding mask the positions
    >= length."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        language = _field(config, 'language')
        d_model, nhead, d_inner, dropout = 512, 8, 2048, 0.1
        self.d_model = d_model
        self.detach = _field(language, 'detach', True)
        self.use_self_attn = _field(language, 'use_self_attn', False)
        self.max_length = _field(config, 'dataset_max_length') + 1
        self.proj = nn.Linear(self.num_classes, d_model, False)
        self.token_encoder = PositionalEncoding(d_model,
                                                max_len=self.max_length)
        self.pos_encoder = PositionalEncoding(d_model, dropout=0,
                                              max_len=self.max_length)
        layer = TransformerDecoderLayer(d_model, nhead, d_inner, dropout,
                                        'relu', self_attn=self.use_self_attn)
        self.model = TransformerDecoder(layer, 4)
        self.cls = nn.Linear(d_model, self.num_classes)
        checkpoint = _field(language, 'checkpoint')
        if checkpoint is not None:
            self.load(checkpoint)

    def forward(self, tokens: torch.Tensor,
                lengths: torch.Tensor) -> Dict[str, Any]:
        """tokens (N, T, 37) probabilities, lengths (N,) int64."""
        if self.detach:
            tokens = tokens.detach()
        embed = self.token_encoder(self.proj(tokens).permute(1, 0, 2))
        padding_mask = self._get_padding_mask(lengths, self.max_length)
        query = self.pos_encoder(embed.new_zeros(*embed.shape))
        location_mask = self._get_location_mask(self.max_length,
                                                tokens.device)
        output = self.model(query, embed,
                            tgt_key_padding_mask=padding_mask,
                            memory_mask=location_mask,
                            memory_key_padding_mask=padding_mask)
        logits = self.cls(output.permute(1, 0, 2))
        return {'feature': output.permute(1, 0, 2), 'logits': logits,
                'pt_lengths': self._get_length(logits), 'name': 'language'}


def encoder_layer(in_c: int, out_c: int, k: int = 3, s: Any = 2,
                  p: int = 1) -> nn.Sequential:
    """Position_aware_module.py L158-161: conv (with bias), BN, ReLU."""
    return nn.Sequential(nn.Conv2d(in_c, out_c, k, s, p),
                         nn.BatchNorm2d(out_c), nn.ReLU(True))


def decoder_layer(in_c: int, out_c: int, k: int = 3, s: int = 1,
                  p: int = 1, mode: str = 'nearest',
                  scale_factor: Optional[float] = None,
                  size: Optional[Tuple[int, int]] = None) -> nn.Sequential:
    """Position_aware_module.py L164-170: upsample, conv (with bias), BN,
    ReLU."""
    corners = None if mode == 'nearest' else True
    return nn.Sequential(
        nn.Upsample(size=size, scale_factor=scale_factor, mode=mode,
                    align_corners=corners), nn.Conv2d(in_c, out_c, k, s, p),
        nn.BatchNorm2d(out_c), nn.ReLU(True))


class PositionAttention(nn.Module):
    """Position_aware_module.py L173-224: keys from a mini U-Net over the
    features (encoders: strides (1, 2), 2, 2, 2; decoders: x2, x2, x2,
    then size (h, w), with skips from encoders 2, 1, 0), queries =
    ``project`` of the position table (dropout 0), scores =
    softmax(q k^T / sqrt(E)) over the h w positions, values = the
    features. Returns (N, T, E) vectors and (N, T, h, w) scores."""

    def __init__(self,
                 max_length: int,
                 in_channels: int = 512,
                 num_channels: int = 64,
                 h: int = 8,
                 w: int = 32,
                 mode: str = 'nearest') -> None:
        super().__init__()
        self.max_length = max_length
        self.k_encoder = nn.Sequential(
            encoder_layer(in_channels, num_channels, s=(1, 2)),
            encoder_layer(num_channels, num_channels, s=(2, 2)),
            encoder_layer(num_channels, num_channels, s=(2, 2)),
            encoder_layer(num_channels, num_channels, s=(2, 2)))
        self.k_decoder = nn.Sequential(
            decoder_layer(num_channels, num_channels, scale_factor=2,
                          mode=mode),
            decoder_layer(num_channels, num_channels, scale_factor=2,
                          mode=mode),
            decoder_layer(num_channels, num_channels, scale_factor=2,
                          mode=mode),
            decoder_layer(num_channels, in_channels, size=(h, w),
                          mode=mode))
        self.pos_encoder = PositionalEncoding(in_channels, dropout=0,
                                              max_len=max_length)
        self.project = nn.Linear(in_channels, in_channels)

    def forward(self, x: torch.Tensor):
        n, e, h, w = x.size()
        skips = []
        k = x
        for stage in self.k_encoder:
            k = stage(k)
            skips.append(k)
        depth = len(self.k_decoder)
        for i in range(depth - 1):
            k = self.k_decoder[i](k) + skips[depth - 2 - i]
        k = self.k_decoder[-1](k)
        q = self.pos_encoder(x.new_zeros((self.max_length, n, e)))
        q = self.project(q.permute(1, 0, 2))
        scores = torch.bmm(q, k.flatten(2, 3)) / (e**0.5)
        scores = torch.softmax(scores, dim=-1)
        v = x.permute(0, 2, 3, 1).view(n, -1, e)
        return torch.bmm(scores, v), scores.view(n, -1, h, w)


class PositionAwareModule(nn.Module):
    """Position_aware_module.py L227-255: ImageNet normalisation ->
    vision -> softmax tokens + vision lengths (clamped in place to
    [2, T]) -> language -> language lengths clamped in place to [2, T];
    the vision scores bicubic x2 (``align_corners=True``).

    ``mean`` / ``std`` are plain float32 tensors (not buffers, not in the
    state dict, not cast by ``.to(dtype)``): a float64 input is
    normalised with float32-rounded constants, as officially. The
    official forward re-assigns them moved to the input's device; here
    the moved copies are local (same values).

    Returns ``{'attn_map': (N, T, 16, 64), 'img_logits': (N, T, 37)
    (vision), 'text_logits': (N, T, 37) (language), 'pt_lengths': (N,)
    int64 (the clamped language lengths, detached)}``.
    """

    def __init__(self, config: Any) -> None:
        super().__init__()
        self.vision = BaseVision(config)
        self.language = BCNLanguage(config)
        self.max_length = _field(config, 'dataset_max_length') + 1
        self.mean = torch.tensor([0.485, 0.456, 0.406])
        self.std = torch.tensor([0.229, 0.224, 0.225])

    def forward(self, images: torch.Tensor,
                normalize: bool = True) -> Dict[str, torch.Tensor]:
        if normalize:
            mean = self.mean.to(images.device)[..., None, None]
            std = self.std.to(images.device)[..., None, None]
            images = (images - mean) / std
        v_res = self.vision(images)
        tokens = torch.softmax(v_res['logits'], dim=-1)
        lengths = v_res['pt_lengths']
        lengths.clamp_(2, self.max_length)
        l_res = self.language(tokens, lengths)
        lengths_l = l_res['pt_lengths']
        lengths_l.clamp_(2, self.max_length)
        attn_map = F.interpolate(v_res['attn_scores'], scale_factor=2,
                                 mode='bicubic', align_corners=True)
        return {'attn_map': attn_map, 'img_logits': v_res['logits'],
                'text_logits': l_res['logits'],
                'pt_lengths': lengths_l.detach()}


class Location_enhancement_Multimodal_alignment(Model):  # noqa: N801
    """Position_aware_module.py L259-331 (the guidance generator, d 64, 4
    heads, feed-forward 64). After building, every parameter with more
    than one dimension is redrawn with ``xavier_uniform_`` in
    ``parameters()`` order (1-D parameters keep their defaults: the six
    QKV layers start with the same Linear biases). ``text_pos`` and
    ``select_pos`` are built (and in the state dict) but unused; ``IN``
    has no state; ``DWC`` is a full 3x3 conv with bias.

    Forward (image feature F (N, 64, 16, 64), the prior dict):

    1. ``pos_weight`` = max over t of ``attn_map`` x (t < language
       length) (float32 0/1 mask), (N, 1, 16, 64);
    2. ``attn_conv`` -> softmax over the 1024 positions per channel;
    3. ``DWC(IN(F) * weights)`` -> (1024, N, 64), + ``vision_pos`` of
       zeros (a dropped-out table, drawn once and used twice);
    4. the 500 positions of largest ``pos_weight`` (``argsort(dim=0,
       descending=True)`` on a (1024, N, 1) tensor: not stable; the
       official call is reproduced exactly) are the text decoder's keys
       and values;
    5. text = ``text_Encoder(text_proj(text logits) + attn_map @ v_pos)``
       (raw logits, no masks);
    6. ``text_key = text_decoder(text, selected, selected)``;
    7. the other 524 positions are zeroed (out of place) and
       ``sematic_decoder(sequence, text_key, text)`` -> (N, 64, 16, 64).

    Returns ``(map, None)``.
    """

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.d_model = 64
        self.nhead = 4
        self.d_inner = 64
        self.nEncoder = 2
        self.nDecoder = 3
        self.text_proj = nn.Linear(self.num_classes, self.d_model, False)
        self.vision_pos = PositionalEncoding(self.d_model, dropout=0.1,
                                             max_len=1024)
        self.text_pos = PositionalEncoding(self.d_model, dropout=0.1,
                                           max_len=40)
        enc = TransformerEncoderLayer(d_model=self.d_model, nhead=self.nhead,
                                      dim_feedforward=self.d_inner,
                                      dropout=0.1, activation='relu')
        self.text_Encoder = TransformerEncoder(enc, num_layers=self.nEncoder)
        dec = TransformerDecoderLayer_QKV(self.d_model, self.nhead,
                                          self.d_inner, dropout=0.1,
                                          activation='relu', self_attn=False)
        self.text_decoder = TransformerDecoder_QKV(dec,
                                                   num_layers=self.nDecoder)
        self.sematic_decoder = TransformerDecoder_QKV(
            dec, num_layers=self.nDecoder)
        self.IN = nn.InstanceNorm2d(self.d_model)
        self.select_num = 500
        self.select_pos = PositionalEncoding(self.d_model, dropout=0.1,
                                             max_len=self.select_num)
        self.attn_conv = nn.Sequential(
            nn.Conv2d(1, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32),
            nn.PReLU(), nn.Conv2d(32, 64, 3, 1, 1, bias=False),
            nn.BatchNorm2d(64), nn.PReLU(),
            nn.Conv2d(64, 64, 3, 1, 1, bias=False))
        self.DWC = nn.Conv2d(self.d_model, self.d_model, 3, 1, 1)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def forward(self, highlevel: Dict[str, torch.Tensor],
                image_feature: torch.Tensor):
        n, c, h, w = image_feature.size()
        attn_map = highlevel['attn_map']
        keep = ~self._get_padding_mask(highlevel['pt_lengths'],
                                       self.max_length)
        keep = keep[:, :, None, None].float()
        pos_weight = (attn_map * keep).max(dim=1, keepdim=True)[0]
        spatial = self.attn_conv(pos_weight).view(n, c, h * w)
        spatial = torch.softmax(spatial, dim=-1).view(n, c, h, w)
        seq = self.DWC(self.IN(image_feature) * spatial)
        seq = seq.view(n, c, h * w).contiguous().permute(2, 0, 1)
        v_pos = self.vision_pos(torch.zeros_like(seq))
        seq = seq + v_pos
        t = attn_map.shape[1]
        attn_map = attn_map.view(n, t, -1)
        pos_weight = pos_weight.view(n, 1, -1)
        order = pos_weight.permute(2, 0, 1).argsort(dim=0, descending=True)
        order = order.repeat(1, 1, c)
        selected = seq.gather(0, order[:self.select_num, :, :])
        text = self.text_proj(highlevel['text_logits']).permute(1, 0, 2)
        t_pos = torch.bmm(attn_map, v_pos.transpose(0, 1)).permute(1, 0, 2)
        text = self.text_Encoder(text + t_pos)
        text_key = self.text_decoder(text, selected, selected)
        seq = seq.scatter(0, order[self.select_num:, :, :], 0.)
        res = self.sematic_decoder(seq, text_key, text)
        return res.permute(1, 2, 0).view(n, c, h, w), None


# --------------------------------------------------------------------------
# model/lemma.py
# --------------------------------------------------------------------------
class AffineModulate(nn.Module):
    """lemma.py L18-64: BN the guidance map, concatenate it to the feature
    (2C channels); three 1x1 branches (conv, BN, PReLU, conv); branch 1
    -> ``channel_attn`` (a depthwise conv with kernel (16, 64) and no
    padding, i.e. one value per channel for a 16 x 64 map; 64 channels
    hard-coded; then 1x1 convs with ReLU and a sigmoid) gates branch 2,
    ``aggregation`` of the product is added to branch 3, ``BN2``."""

    def __init__(self, channel: int = 64) -> None:
        super().__init__()
        self.BN = nn.BatchNorm2d(channel)
        self.conv1x1_1 = self._branch(channel)
        self.conv1x1_2 = self._branch(channel)
        self.conv1x1_3 = self._branch(channel)
        self.channel_attn = nn.Sequential(
            nn.Conv2d(in_channels=64, out_channels=64, kernel_size=(16, 64),
                      groups=64), nn.Conv2d(channel, channel, 1),
            nn.ReLU(inplace=True), nn.Conv2d(channel, channel, 1),
            nn.ReLU(inplace=True), nn.Conv2d(channel, channel, 1),
            nn.Sigmoid())
        self.aggregation = nn.Sequential(nn.Conv2d(channel, channel, 1),
                                         nn.BatchNorm2d(channel),
                                         nn.PReLU(),
                                         nn.Conv2d(channel, channel, 1))
        self.BN2 = nn.BatchNorm2d(channel)

    @staticmethod
    def _branch(channel: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(channel * 2, channel, 1),
                             nn.BatchNorm2d(channel), nn.PReLU(),
                             nn.Conv2d(channel, channel, 1))

    def forward(self, image_feature: torch.Tensor,
                tp_map: torch.Tensor) -> torch.Tensor:
        both = torch.cat([image_feature, self.BN(tp_map)], dim=1)
        x1 = self.conv1x1_1(both)
        x2 = self.conv1x1_2(both)
        x3 = self.conv1x1_3(both)
        gate = self.channel_attn(x1)
        return self.BN2(x3 + self.aggregation(gate * x2))


class GruBlock(nn.Module):
    """lemma.py L246-260: LEMMA's GRU block has *no* 1x1 conv (names
    ``gru.*`` only): a bidirectional GRU (C -> 2 x C/2, batch-first) along
    the last axis of each row of the (N, C, H, W) map. ``in_channels`` is
    unused, as officially."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        assert out_channels % 2 == 0
        self.gru = nn.GRU(out_channels, out_channels // 2,
                          bidirectional=True, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1).contiguous()
        b = x.size()
        x, _ = self.gru(x.view(b[0] * b[1], b[2], b[3]))
        return x.view(b[0], b[1], b[2], b[3]).permute(0, 3, 1, 2)


class RecurrentResidualBlockAffine(nn.Module):
    """lemma.py L186-214 (``SHUT_BN = False``): conv, BN, mish, conv, BN,
    ``affine`` with the guidance map, ``gru1`` on the transposed map
    (sequences along H), ``gru2(BN(x + residual))`` (along W)."""

    def __init__(self, channels: int,
                 text_channel: Optional[int] = None) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(channels)
        self.gru1 = GruBlock(channels, channels)
        self.prelu = mish()
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(channels)
        self.gru2 = GruBlock(channels, channels)
        self.affine = AffineModulate(channel=channels)
        self.BN = nn.BatchNorm2d(channels)

    def forward(self, x: torch.Tensor, tp_map: torch.Tensor) -> torch.Tensor:
        residual = self.bn2(self.conv2(self.prelu(self.bn1(self.conv1(x)))))
        residual = self.affine(residual, tp_map)
        residual = self.gru1(residual.transpose(-1, -2)).transpose(-1, -2)
        return self.gru2(self.BN(x + residual))


class LEMMA(nn.Module):
    """lemma.py L67-158.

    Construction order (= RNG order and state-dict order): ``block1``
    (conv 4->64 k9, PReLU), ``block2`` .. ``block{srb+1}``
    (:class:`RecurrentResidualBlockAffine`), ``block{srb+2}`` (conv 3x3 +
    BN), ``block{srb+3}`` (:class:`UpsampleBLock` x log2(scale), conv
    64->4 k9), ``tps`` + ``stn_head`` (when ``STN``), ``position_prior``
    (:class:`PositionAwareModule`), ``guidanceGen``. ``word_vec_d``,
    ``text_emb``, ``feature_rotate`` and ``rotate_train`` are unused, as
    officially; ``cfg`` needs ``cfg.PositionAware`` (:func:`lemma_config`;
    None: that default).

    The input must be (N, 4, 16, 64) (``channel_attn``'s kernel,
    ``vision_pos``' 1024 rows, the ABINet input 32 x 128).
    """

    def __init__(self,
                 scale_factor: int = 2,
                 width: int = 128,
                 height: int = 32,
                 STN: bool = False,  # noqa: N803 (official name)
                 srb_nums: int = 5,
                 mask: bool = True,
                 hidden_units: int = 32,
                 word_vec_d: int = 300,
                 text_emb: int = 37,
                 out_text_channels: int = 64,
                 feature_rotate: bool = False,
                 rotate_train: float = 3.,
                 cfg: Any = None) -> None:
        super().__init__()
        if cfg is None:
            cfg = lemma_config()
        in_planes = 4 if mask else 3
        assert math.log(scale_factor, 2) % 1 == 0
        upsample_block_num = int(math.log(scale_factor, 2))
        channels = 2 * hidden_units
        self.block1 = nn.Sequential(
            nn.Conv2d(in_planes, channels, kernel_size=9, padding=4),
            nn.PReLU())
        self.srb_nums = srb_nums
        for i in range(srb_nums):
            setattr(self, f'block{i + 2}',
                    RecurrentResidualBlockAffine(channels, out_text_channels))
        self.feature_rotate = feature_rotate
        self.rotate_train = rotate_train
        setattr(
            self, f'block{srb_nums + 2}',
            nn.Sequential(
                nn.Conv2d(channels, channels, kernel_size=3, padding=1),
                nn.BatchNorm2d(channels)))
        tail = [UpsampleBLock(channels, 2) for _ in range(upsample_block_num)]
        tail.append(nn.Conv2d(channels, in_planes, kernel_size=9, padding=4))
        setattr(self, f'block{srb_nums + 3}', nn.Sequential(*tail))
        self.tps_inputsize = [height // scale_factor, width // scale_factor]
        self.stn = STN
        if STN:
            self.tps = TPSSpatialTransformer(tuple(self.tps_inputsize), 20,
                                             (0.05, 0.05),
                                             align_corners=False)
            self.stn_head = STNHead(in_planes, 20)
        self.block_range = list(range(2, srb_nums + 2))
        section = _field(cfg, 'PositionAware')
        self.position_prior = PositionAwareModule(section)
        self.guidanceGen = Location_enhancement_Multimodal_alignment(section)

    def forward(self, x: torch.Tensor):
        """L136-158.

        Args:
            x: (N, 4, 16, 64) LR images (RGB + mask) in [0, 1].

        Returns:
            ``(sr, pos_prior)``: (N, 4, 32, 128) ``tanh`` output (never
            clamped) and the :class:`PositionAwareModule` dict. In
            training the STN rectifies ``x`` first; the ABINet branch reads
            a detached copy of the (rectified) RGB planes, bicubic x2 with
            ``align_corners=True`` (not clamped). The intermediate maps
            are kept in ``self.block`` as officially.
        """
        if self.stn and self.training:
            _, ctrl_points = self.stn_head(x)
            x, _ = self.tps(x, ctrl_points)
        rgb = x.clone()[:, :3, :, :].detach()
        rgb = F.interpolate(rgb, scale_factor=2, mode='bicubic',
                            align_corners=True)
        pos_prior = self.position_prior(rgb)
        block = {'1': self.block1(x)}
        tp_map, _ = self.guidanceGen(pos_prior, block['1'])
        for i in range(self.srb_nums + 1):
            module = getattr(self, f'block{i + 2}')
            if i + 2 in self.block_range:
                block[str(i + 2)] = module(block[str(i + 1)], tp_map)
            else:
                block[str(i + 2)] = module(block[str(i + 1)])
        last = str(self.srb_nums + 3)
        block[last] = getattr(self, f'block{last}')(
            block['1'] + block[str(self.srb_nums + 2)])
        self.block = block
        return torch.tanh(block[last]), pos_prior


def build_lemma(**kwargs) -> LEMMA:
    """``LEMMA`` as ``generator_init`` builds it (``base.py`` L121-123):
    scale 2, 128 x 32, ``--STN`` and ``--mask`` on (both ``store_true``
    with default True), ``--srb 5``, ``cfg`` = :func:`lemma_config` (ABINet
    checkpoints None). Keyword arguments override any of these."""
    args = dict(scale_factor=2, width=128, height=32, STN=True, mask=True,
                srb_nums=5, cfg=None)
    args.update(kwargs)
    if args['cfg'] is None:
        args['cfg'] = lemma_config()
    return LEMMA(**args)
