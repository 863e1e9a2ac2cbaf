"""Plain-torch reference of one official LEMMA training step (IJCAI'23,
``csguoh/LEMMA``, Apache-2.0), written from the official code for parity
tests of the loss, the gradient clipping and the optimiser.

What it covers (file:line of the official code, ``third_party/LEMMA``):

- the body of the training loop, ``interfaces/super_resolution.py``
  L138-157 (:func:`lemma_train_step`, :func:`lemma_update`): every LEMMA
  parameter set to ``requires_grad=True``, the labels made by
  ``Lable2Tensor.getlabletensor``, ``sr, pos_prior = lemma(lr)``,
  ``TextFocusLoss`` (``loss/text_focus_loss.py`` L540-600),
  ``loss.mean() * 100``, ``zero_grad``, ``backward``,
  ``clip_grad_norm_(lemma.parameters(), 0.25)`` (one norm over every
  parameter, ABINet and STN included), ``step``;
- the optimiser of ``interfaces/base.py`` ``optimizer_init`` (L156-169,
  :func:`lemma_optimizer`): ``Adam([{parameters whose name lacks
  'position_prior'}, {the 'position_prior' ones, lr=lr_position}],
  lr=1e-3, betas=(0.5, 0.999))`` (``--learning_rate 1e-3``,
  ``--lr_position 1e-4``, yaml ``beta1 0.5``; eps 1e-8, no weight decay);
- the labels (``dataset/dataset.py`` L27-60, :func:`lemma_labels`): the
  ABINet fine-tune targets (``lemma_reference.abinet_labels``) and the
  text-focus recognizer's teacher-forcing inputs / targets / lengths of
  ``label_encoder`` on ``utils/util.py`` ``str_filt(label, 'lower') +
  '-'`` (:func:`str_filt`, :func:`stt_labels`);
- the text focus loss: Scene Text Telescope's recognizer ``Transformer``
  (``loss/text_focus_loss.py`` L70-445, :class:`Transformer`, with the
  official module names, construction order and initialisation: the
  official ``pretrain_transformer.pth``, a bare state dict, loads with
  ``strict=True``, and so it does into the project's ``STTTransformer``),
  ``to_gray_tensor`` (L449-454, Python-float weights), the confusion
  weight table (``load_confuse_matrix`` L29-52,
  :func:`official_confusion_weights`) and ``weight_cross_entropy`` (L56-65,
  :func:`weight_cross_entropy`, same operations in the same order);
- the fine-tune term, ``lemma_reference.abinet_finetune_loss``
  (``CrossEntropyLoss`` of the *softmax* of the vision and language logits,
  L594-596).

The loss, in the official expression order (L599)::

    loss = (1 * mse) + 0.5 * (attention * 10 + recognition * 0.0005)
           + finetune * 0.01
    total = 0. + loss.mean() * 100

Dropout: only LEMMA draws (63 draws, ``notes_lemma.md`` 2.8); the
recognizer is in eval mode (``build_up_transformer``), so with the same
``torch.manual_seed`` before the step both sides draw the same masks. The
HR reading runs under ``torch.no_grad()`` here (the official one keeps a
graph that only reaches the frozen recognizer's parameters: same values).

Not covered: ``DataParallel`` (``ngpu: 2``; a single device sees the whole
batch), the learning-rate schedule (``StepLR(400, 0.5)`` per epoch), the
logging, validation and checkpoints, ``TextFocusLossSTT`` and the
``attention_map`` / ``test=True`` paths of the recognizer beyond their
plain form.

``.dev_scripts/check_lemma_step_reference.py`` checks this file against
the official code in ``third_party/LEMMA`` (git-ignored).
"""
import copy
import math
import pickle
import string
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from tests.test_models.lemma_reference import abinet_labels

__all__ = [
    'ALPHABET', 'STANDARD_ALPHABET', 'str_filt', 'stt_labels',
    'lemma_labels', 'official_confusion_weights', 'subsequent_mask',
    'attention', 'MultiHeadedAttention', 'ResNet', 'BasicBlock',
    'PositionalEncoding', 'LayerNorm', 'PositionwiseFeedForward',
    'Generator', 'Embeddings', 'Decoder', 'Encoder', 'Transformer',
    'to_gray_tensor', 'weight_cross_entropy', 'read_text_focus',
    'text_focus_terms', 'combine_losses', 'lemma_train_step',
    'lemma_optimizer', 'lemma_update'
]

#: The recognizer's 37 classes (``text_focus_loss.py`` L23): '-' is the
#: start and the end token.
ALPHABET = '-0123456789abcdefghijklmnopqrstuvwxyz'
#: The 63 characters of ``Lable2Tensor.english_alphabet`` and of the
#: confusion table's columns (L24).
STANDARD_ALPHABET = ALPHABET + string.ascii_uppercase


# --------------------------------------------------------------------------
# Labels (dataset/dataset.py L27-60, utils/util.py L12-32)
# --------------------------------------------------------------------------
def str_filt(text: str, voc_type: str) -> str:
    """``utils/util.py`` ``str_filt`` (without the 'chinese' branch):
    ``'lower'`` lower-cases first, then every character outside the
    vocabulary is removed."""
    vocab = {
        'digit': string.digits,
        'lower': string.digits + string.ascii_lowercase,
        'upper': string.digits + string.ascii_letters,
        'all': string.digits + string.ascii_letters + string.punctuation,
    }[voc_type]
    if voc_type == 'lower':
        text = text.lower()
    return ''.join(c for c in text if c in vocab)


def stt_labels(label_strs: Sequence[str],
               device: Optional[torch.device] = None
               ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``getlabletensor``'s recognizer labels (``dataset.py`` L58-59 and
    ``label_encoder`` L35-53): each label becomes ``str_filt(label,
    'lower') + '-'`` (an empty word is '-' alone, length 1).

    Returns:
        ``(length_tensor, input_tensor, text_gt)``, int64: the lengths
        len + 1; (N, max length) teacher-forcing inputs, row i = 0 ('-',
        the start token) then the characters, zero padded (the end token
        is not fed); the targets, each word's characters then '-' (0),
        concatenated over the batch.
    """
    words = [str_filt(t, 'lower') + '-' for t in label_strs]
    lengths = [len(w) for w in words]
    inputs = torch.zeros(len(words), max(lengths), dtype=torch.long)
    for i, word in enumerate(words):
        for j in range(lengths[i] - 1):
            inputs[i, j + 1] = STANDARD_ALPHABET.index(word[j])
    targets = torch.tensor([STANDARD_ALPHABET.index(c)
                            for w in words for c in w], dtype=torch.long)
    lengths_t = torch.tensor(lengths, dtype=torch.long)
    return lengths_t.to(device), inputs.to(device), targets.to(device)


def lemma_labels(label_strs: Sequence[str],
                 device: Optional[torch.device] = None
                 ) -> Tuple[torch.Tensor, ...]:
    """``Lable2Tensor.getlabletensor`` (``dataset.py`` L55-60) on the
    labels as the loader gives them (``str_filt(word, 'all')``: case and
    punctuation kept).

    Returns:
        ``(label_id, length_tensor, input_tensor, text_gt)``: the (N, 26)
        ABINet targets (``lemma_reference.abinet_labels``: lower-cased,
        null (0) for punctuation and after the word, cut to 26) and
        :func:`stt_labels`.
    """
    label_id = abinet_labels(label_strs).to(device)
    return (label_id, ) + stt_labels(label_strs, device)


def official_confusion_weights(path: str) -> torch.Tensor:
    """``load_confuse_matrix`` (``text_focus_loss.py`` L29-52): the 62 x 62
    ``confuse.pkl`` (digits, upper, lower; its diagonal is 0) reordered
    to end / digits / lower / upper rows, a column of ones in front, the
    reciprocal in float64 (``inf`` -> 1), then **float32**
    (``torch.Tensor``), then each lower-case column j takes, off the
    diagonal, the maximum with its upper-case column j + 26 (in float32;
    the upper-case columns are never changed, so the official in-place
    loop is order-free), and the top-left 37 x 37 block is kept.

    Only the rows are reordered: the columns keep ``confuse.pkl``'s
    digits / upper / lower order, so "lower-case" column j reads the
    upper-case confusions and column j + 26 the lower-case ones; after
    the maximum, off the diagonal, a letter column holds max(1 / conf
    with the capital, 1 / conf with the small letter). The diagonal is
    skipped by the maximum: end and digits weigh 1 (zero counts), but a
    letter's true class weighs 1 / conf(letter, its capital) (0.51 to
    33.3 with the released ``confuse.pkl``), not 1.

    The project's ``load_confusion_weights`` takes the maxima in float64
    and rounds afterwards: rounding is monotonic, so the tables are equal
    (the check compares them bitwise).

    Returns:
        (37, 37) float32 table, row = ground truth class, column = class.
    """
    with open(path, 'rb') as f:
        data = pickle.load(f)
    number, upper, lower = data[:10], data[10:36], data[36:]
    rows = np.concatenate((np.ones((1, 62)), number, lower, upper), axis=0)
    with np.errstate(divide='ignore'):
        table = 1 / np.concatenate((np.ones((63, 1)), rows), axis=1)
    table[table == np.inf] = 1
    table = torch.Tensor(table)
    for j, char in enumerate(STANDARD_ALPHABET):
        if char in string.ascii_lowercase:
            others = torch.arange(63) != j
            table[others, j] = torch.maximum(table[others, j],
                                             table[others, j + 26])
    return table[:37, :37]


# --------------------------------------------------------------------------
# Scene Text Telescope's recognizer (loss/text_focus_loss.py L70-445)
# --------------------------------------------------------------------------
def subsequent_mask(size: int) -> torch.Tensor:
    """L70-74: (1, size, size) boolean, True on and below the diagonal."""
    mask = np.triu(np.ones((1, size, size)), k=1).astype('uint8')
    return torch.from_numpy(mask) == 0


def _clones(module: nn.Module, n: int) -> nn.ModuleList:
    """L77-79: n deep copies of one module."""
    return nn.ModuleList([copy.deepcopy(module) for _ in range(n)])


def attention(query: torch.Tensor,
              key: torch.Tensor,
              value: torch.Tensor,
              mask: Optional[torch.Tensor] = None,
              dropout: Optional[nn.Module] = None
              ) -> Tuple[torch.Tensor, torch.Tensor]:
    """L82-102 (without the given-``attention_map`` path): scores / sqrt(d),
    -inf where ``mask == 0``, softmax, dropout (a no-op in eval); returns
    the output and the (dropped-out) weights."""
    d_k = query.size(-1)
    scores = torch.matmul(query, key.transpose(-2, -1)) / math.sqrt(d_k)
    if mask is not None:
        scores = scores.masked_fill(mask == 0, float('-inf'))
    p_attn = F.softmax(scores, dim=-1)
    if dropout is not None:
        p_attn = dropout(p_attn)
    return torch.matmul(p_attn, value), p_attn


class MultiHeadedAttention(nn.Module):
    """L105-135: four (deep-copied) Linear layers, q/k/v/out;
    ``compress_attention_linear`` is unused (kept for the layout)."""

    def __init__(self, h: int, d_model: int, dropout: float = 0.1,
                 compress_attention: bool = False) -> None:
        super().__init__()
        assert d_model % h == 0
        self.d_k = d_model // h
        self.h = h
        self.linears = _clones(nn.Linear(d_model, d_model), 4)
        self.attn = None
        self.dropout = nn.Dropout(p=dropout)
        self.compress_attention = compress_attention
        self.compress_attention_linear = nn.Linear(h, 1)

    def forward(self, query: torch.Tensor, key: torch.Tensor,
                value: torch.Tensor,
                mask: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        if mask is not None:
            mask = mask.unsqueeze(1)
        nbatches = query.size(0)
        query, key, value = [
            lin(x).view(nbatches, -1, self.h, self.d_k).transpose(1, 2)
            for lin, x in zip(self.linears, (query, key, value))
        ]
        x, attention_map = attention(query, key, value, mask=mask,
                                     dropout=self.dropout)
        x = x.transpose(1, 2).contiguous().view(nbatches, -1,
                                                self.h * self.d_k)
        return self.linears[-1](x), attention_map


class BasicBlock(nn.Module):
    """L363-390: two 3x3 convs with bias, BN, ReLU, residual."""

    def __init__(self, inplanes: int, planes: int,
                 downsample: Optional[nn.Module]) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=3, stride=1,
                               padding=1)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1,
                               padding=1)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            residual = self.downsample(residual)
        return self.relu(out + residual)


class ResNet(nn.Module):
    """L138-224: (N, 1, 32, 128) -> (N, 1024, 8, 32); two 2x2 max-pools
    (after the stem and before ``layer1``), the later pools are built but
    unused."""

    def __init__(self, num_in: int, block: type,
                 layers: Sequence[int]) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(num_in, 64, kernel_size=3, stride=1,
                               padding=1)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu1 = nn.ReLU(inplace=True)
        self.pool = nn.MaxPool2d((2, 2), (2, 2))
        self.conv2 = nn.Conv2d(64, 128, kernel_size=3, stride=1, padding=1)
        self.bn2 = nn.BatchNorm2d(128)
        self.relu2 = nn.ReLU(inplace=True)
        self.layer1_pool = nn.MaxPool2d((2, 2), (2, 2))
        self.layer1 = self._make_layer(block, 128, 256, layers[0])
        self.layer1_conv = nn.Conv2d(256, 256, 3, 1, 1)
        self.layer1_bn = nn.BatchNorm2d(256)
        self.layer1_relu = nn.ReLU(inplace=True)
        self.layer2_pool = nn.MaxPool2d((2, 2), (2, 2))
        self.layer2 = self._make_layer(block, 256, 256, layers[1])
        self.layer2_conv = nn.Conv2d(256, 256, 3, 1, 1)
        self.layer2_bn = nn.BatchNorm2d(256)
        self.layer2_relu = nn.ReLU(inplace=True)
        self.layer3_pool = nn.MaxPool2d((2, 2), (2, 2))
        self.layer3 = self._make_layer(block, 256, 512, layers[2])
        self.layer3_conv = nn.Conv2d(512, 512, 3, 1, 1)
        self.layer3_bn = nn.BatchNorm2d(512)
        self.layer3_relu = nn.ReLU(inplace=True)
        self.layer4_pool = nn.MaxPool2d((2, 2), (2, 2))
        self.layer4 = self._make_layer(block, 512, 512, layers[3])
        self.layer4_conv2 = nn.Conv2d(512, 1024, 3, 1, 1)
        self.layer4_conv2_bn = nn.BatchNorm2d(1024)
        self.layer4_conv2_relu = nn.ReLU(inplace=True)

    @staticmethod
    def _make_layer(block: type, inplanes: int, planes: int,
                    blocks: int) -> nn.Sequential:
        downsample = None
        if inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes, 3, 1, 1), nn.BatchNorm2d(planes))
        layers = [block(inplanes, planes, downsample)]
        for _ in range(1, blocks):
            layers.append(block(planes, planes, downsample=None))
        return nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(self.relu1(self.bn1(self.conv1(x))))
        x = self.relu2(self.bn2(self.conv2(x)))
        x = self.layer1(self.layer1_pool(x))
        x = self.layer1_relu(self.layer1_bn(self.layer1_conv(x)))
        x = self.layer2_relu(self.layer2_bn(self.layer2_conv(self.layer2(x))))
        x = self.layer3_relu(self.layer3_bn(self.layer3_conv(self.layer3(x))))
        x = self.layer4(x)
        return self.layer4_conv2_relu(
            self.layer4_conv2_bn(self.layer4_conv2(x)))


class PositionalEncoding(nn.Module):
    """L255-275: float32 sinusoid table, buffer ``pe`` (1, max_len, d),
    added to a batch-first input, then dropout."""

    def __init__(self, d_model: int, dropout: float,
                 max_len: int = 5000) -> None:
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len).unsqueeze(1).float()
        div_term = torch.exp(
            torch.arange(0, d_model, 2).float() *
            -(math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer('pe', pe.unsqueeze(0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(x + self.pe[:, :x.size(1)])


class LayerNorm(nn.Module):
    """L278-290: ``a_2 * (x - mean) / (std + eps) + b_2`` with the
    *unbiased* standard deviation, eps 1e-6 added to the std."""

    def __init__(self, features: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.a_2 = nn.Parameter(torch.ones(features))
        self.b_2 = nn.Parameter(torch.zeros(features))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(-1, keepdim=True)
        std = x.std(-1, keepdim=True)
        return self.a_2 * (x - mean) / (std + self.eps) + self.b_2


class PositionwiseFeedForward(nn.Module):
    """L293-302: w_2(dropout(relu(w_1(x))))."""

    def __init__(self, d_model: int, d_ff: int,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.w_1 = nn.Linear(d_model, d_ff)
        self.w_2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w_2(self.dropout(F.relu(self.w_1(x))))


class Generator(nn.Module):
    """L305-315: the class projection (no softmax; ``relu`` unused)."""

    def __init__(self, d_model: int, vocab: int) -> None:
        super().__init__()
        self.proj = nn.Linear(d_model, vocab)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


class Embeddings(nn.Module):
    """L318-329: ``lut(x) * sqrt(d_model)``."""

    def __init__(self, d_model: int, vocab: int) -> None:
        super().__init__()
        self.lut = nn.Embedding(vocab, d_model)
        self.d_model = d_model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lut(x) * math.sqrt(self.d_model)


class Decoder(nn.Module):
    """L332-360: masked self-attention, cross-attention to the image
    features (the returned map), feed-forward; post-norm, 16 heads,
    d 1024."""

    def __init__(self) -> None:
        super().__init__()
        self.mask_multihead = MultiHeadedAttention(h=16, d_model=1024,
                                                   dropout=0.1)
        self.mul_layernorm1 = LayerNorm(features=1024)
        self.multihead = MultiHeadedAttention(h=16, d_model=1024,
                                              dropout=0.1,
                                              compress_attention=True)
        self.mul_layernorm2 = LayerNorm(features=1024)
        self.pff = PositionwiseFeedForward(1024, 2048)
        self.mul_layernorm3 = LayerNorm(features=1024)

    def forward(self, text: torch.Tensor, conv_feature: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        mask = subsequent_mask(text.shape[1]).to(text.device)
        result = self.mul_layernorm1(
            text + self.mask_multihead(text, text, text, mask=mask)[0])
        b, c, h, w = conv_feature.shape
        conv_feature = conv_feature.view(b, c, h * w).permute(0, 2,
                                                              1).contiguous()
        aligned, attention_map = self.multihead(result, conv_feature,
                                                conv_feature, mask=None)
        result = self.mul_layernorm2(result + aligned)
        result = self.mul_layernorm3(result + self.pff(result))
        return result, attention_map


class Encoder(nn.Module):
    """L393-401: ``cnn`` = ResNet with [1, 2, 5, 3] basic blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.cnn = ResNet(num_in=1, block=BasicBlock, layers=[1, 2, 5, 3])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cnn(x)


class Transformer(nn.Module):
    """L404-445, Scene Text Telescope's recognizer. Construction order
    (= RNG order): ``embedding_word``, ``pe``, ``encoder``, ``decoder``,
    ``generator_word``; then every parameter with more than one dimension
    is redrawn with ``xavier_uniform_``. State dict: the official
    ``pretrain_transformer.pth`` layout (``pe.pe`` included)."""

    def __init__(self) -> None:
        super().__init__()
        n_class = len(ALPHABET)
        self.embedding_word = Embeddings(512, n_class)
        self.pe = PositionalEncoding(d_model=512, dropout=0.1, max_len=5000)
        self.encoder = Encoder()
        self.decoder = Decoder()
        self.generator_word = Generator(1024, n_class)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def forward(self, image: torch.Tensor, text_length: torch.Tensor,
                text_input: torch.Tensor, test: bool = False):
        """(N, 1, 32, 128) gray images, (N,) lengths, (N, T) inputs ->
        ``(logits, attention_map, None)``: the (sum of lengths, 37) logits
        of each sample's first ``length`` steps, concatenated, and the
        (N, 16, T, 256) cross-attention weights; ``test=True``: the
        (N, T, 37) logits only."""
        conv_feature = self.encoder(image)
        text_embedding = self.embedding_word(text_input)
        # float32 zeros + the pe buffer (of the module's dtype)
        position = self.pe(
            torch.zeros(text_embedding.shape, device=image.device))
        hidden, attention_map = self.decoder(
            torch.cat([text_embedding, position], 2), conv_feature)
        logits = self.generator_word(hidden)
        if test:
            return logits
        probs = torch.cat([
            logits[i, :int(length)] for i, length in enumerate(text_length)
        ])
        return probs, attention_map, None


# --------------------------------------------------------------------------
# The text focus loss (loss/text_focus_loss.py L56-65, L449-454, L540-600)
# --------------------------------------------------------------------------
def to_gray_tensor(tensor: torch.Tensor) -> torch.Tensor:
    """L449-454: ``0.299 R + 0.587 G + 0.114 B`` with Python floats (exact
    doubles in a float64 run), left to right."""
    r, g, b = tensor[:, 0:1], tensor[:, 1:2], tensor[:, 2:3]
    return 0.299 * r + 0.587 * g + 0.114 * b


def weight_cross_entropy(pred: torch.Tensor, gt: torch.Tensor,
                         weight_table: torch.Tensor) -> torch.Tensor:
    """L56-65, the same operations in the same order: ``w = table[gt]``
    (float32 in the official code, promoted by the product), ``pw = w *
    exp(pred)``, then ``loss -= log(pw[i, gt_i] / pw.sum(1)[i])`` for each
    character in turn from the Python int 0, divided by the number of
    characters. (Mathematically ``-mean(log_softmax(pred + log w)[gt])``,
    not bitwise.)"""
    weight = weight_table.to(pred.device)[gt]
    pred_exp_weight = weight * torch.exp(pred)
    terms = torch.log(
        pred_exp_weight.gather(1, gt[:, None])[:, 0] /
        torch.sum(pred_exp_weight, 1))
    loss = 0
    for i in range(len(gt)):
        loss = loss - terms[i]
    return loss / gt.shape[0]


def read_text_focus(stt: nn.Module, gray: torch.Tensor,
                    length_tensor: torch.Tensor, input_tensor: torch.Tensor
                    ) -> Tuple[torch.Tensor, torch.Tensor]:
    """The recognizer's cut logits and attention map. :class:`Transformer`
    is called with the official signature; any other module (the
    project's ``STTTransformer``) as ``stt(image, text_input) -> ((N, T,
    37) logits, map)``, cut to the lengths here."""
    if isinstance(stt, Transformer):
        probs, attn, _ = stt(gray, length_tensor, input_tensor)
        return probs, attn
    logits, attn = stt(gray, input_tensor)
    return torch.cat([logits[i, :int(n)]
                      for i, n in enumerate(length_tensor)]), attn


def text_focus_terms(stt: nn.Module, sr: torch.Tensor, hr: torch.Tensor,
                     length_tensor: torch.Tensor, input_tensor: torch.Tensor,
                     text_gt: torch.Tensor,
                     weight_table: torch.Tensor) -> Dict[str, torch.Tensor]:
    """``TextFocusLoss.forward`` L584-593: MSE over all channels (the mask
    included), the L1 between the recognizer's cross-attention maps on the
    gray HR and SR images (before its weights), the weighted CE of its
    reading of the SR image (before its weights)."""
    mse = F.mse_loss(sr, hr)
    with torch.no_grad():
        _, attn_hr = read_text_focus(stt, to_gray_tensor(hr), length_tensor,
                                     input_tensor)
    probs_sr, attn_sr = read_text_focus(stt, to_gray_tensor(sr),
                                        length_tensor, input_tensor)
    attention_loss = F.l1_loss(attn_hr, attn_sr)
    recognition = weight_cross_entropy(probs_sr, text_gt, weight_table)
    return dict(mse=mse, attention=attention_loss, recognition=recognition,
                stt_logits=probs_sr)


def combine_losses(mse: torch.Tensor, attention_loss: torch.Tensor,
                   recognition: torch.Tensor,
                   finetune: torch.Tensor) -> torch.Tensor:
    """L599 then ``super_resolution.py`` L148-152, in the official order
    (pre-multiplied weights 5 and 2.5e-4 round differently)."""
    loss = (1 * mse) + 0.5 * (attention_loss * 10 +
                              recognition * 0.0005) + finetune * 0.01
    loss_img = 0.
    loss_img = loss_img + loss.mean() * 100
    return loss_img


def lemma_train_step(net: nn.Module,
                     stt: nn.Module,
                     images_lr: torch.Tensor,
                     images_hr: torch.Tensor,
                     label_strs: Sequence[str],
                     confusion_weights: Optional[torch.Tensor] = None
                     ) -> Dict[str, torch.Tensor]:
    """The losses of one official training step (``super_resolution.py``
    L138-150), without the update (:func:`lemma_update`).

    Args:
        net: ``lemma_reference.LEMMA`` (or the official one, or anything
            with its forward: ``lr -> (sr, pos_prior)`` with
            ``img_logits`` / ``text_logits``), in train mode: its 63
            dropout draws happen here, seed the RNG before the call.
        stt: the frozen recognizer, :class:`Transformer` or the project's
            ``STTTransformer``, in eval mode, same dtype as ``net``.
        images_lr: (N, 4, 16, 64) LR images (RGB + mask).
        images_hr: (N, 4, 32, 128) HR images.
        label_strs: labels as the loader gives them (``str_filt(word,
            'all')``).
        confusion_weights: (37, 37) table (:func:`official_confusion_
            weights`; keep it float32 as officially); None: ones (a plain
            CE).

    Returns:
        dict: ``mse``, ``attention`` (L1, before weights), ``recognition``
        (weighted CE, before weights), ``finetune`` (vision + language CE,
        before the 0.01), ``finetune_vision``, ``finetune_language``,
        ``loss`` (the total that is back-propagated), ``sr``,
        ``pos_prior``, ``stt_logits`` and the labels.
    """
    for p in net.parameters():
        p.requires_grad = True
    device = images_lr.device
    label_id, length_tensor, input_tensor, text_gt = lemma_labels(
        label_strs, device)
    if confusion_weights is None:
        confusion_weights = torch.ones(len(ALPHABET), len(ALPHABET))
    sr, pos_prior = net(images_lr)
    terms = text_focus_terms(stt, sr, images_hr, length_tensor,
                             input_tensor, text_gt, confusion_weights)
    n_cls = pos_prior['img_logits'].shape[-1]
    target = label_id.view(-1)
    ft_v = F.cross_entropy(
        F.softmax(pos_prior['img_logits'], -1).view(-1, n_cls), target)
    ft_t = F.cross_entropy(
        F.softmax(pos_prior['text_logits'], -1).view(-1, n_cls), target)
    finetune = ft_v + ft_t  # = lemma_reference.abinet_finetune_loss
    loss = combine_losses(terms['mse'], terms['attention'],
                          terms['recognition'], finetune)
    return dict(mse=terms['mse'], attention=terms['attention'],
                recognition=terms['recognition'], finetune=finetune,
                finetune_vision=ft_v, finetune_language=ft_t, loss=loss,
                sr=sr, pos_prior=pos_prior, stt_logits=terms['stt_logits'],
                label_id=label_id, length_tensor=length_tensor,
                input_tensor=input_tensor, text_gt=text_gt)


def lemma_optimizer(net: nn.Module,
                    lr: float = 1e-3,
                    lr_position: float = 1e-4,
                    beta1: float = 0.5) -> torch.optim.Adam:
    """``optimizer_init`` (``base.py`` L156-169): two groups split on the
    substring ``'position_prior'`` in the parameter name (the STN,
    ``guidanceGen`` and the SR body at ``lr``; ABINet at ``lr_position``),
    trainable parameters only, betas (beta1, 0.999), Adam's defaults
    otherwise (eps 1e-8, no weight decay, no amsgrad)."""
    named = list(net.named_parameters())
    groups: List[dict] = [
        dict(params=[p for n, p in named
                     if 'position_prior' not in n and p.requires_grad]),
        dict(params=[p for n, p in named
                     if 'position_prior' in n and p.requires_grad],
             lr=lr_position),
    ]
    return torch.optim.Adam(groups, lr=lr, betas=(beta1, 0.999))


def lemma_update(loss: torch.Tensor, net: nn.Module,
                 optimizer: torch.optim.Optimizer,
                 max_norm: float = 0.25) -> torch.Tensor:
    """``super_resolution.py`` L153-157: ``zero_grad`` (gradients set to
    None), ``backward``, ``clip_grad_norm_(net.parameters(), 0.25)`` (one
    L2 norm over every parameter with a gradient), ``step``. Returns the
    norm before clipping."""
    optimizer.zero_grad()
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm)
    optimizer.step()
    return norm
