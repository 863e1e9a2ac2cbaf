"""The frozen recognizer of the text focus loss (Scene Text Telescope's
``Transformer``, shipped as ``pretrain_transformer.pth``): a ResNet on the
gray 32x128 image and one transformer decoder layer whose cross-attention
map is the "text focus". Parameter names follow the official
``utils/transformer.py``."""
import math
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

#: Classes of the recognizer: '-' (start / end) then digits and lowercase.
STT_ALPHABET = '-0123456789abcdefghijklmnopqrstuvwxyz'


class STTMultiHeadAttention(nn.Module):
    """Scaled dot-product attention returning its weights.

    Args:
        h (int): Heads.
        d_model (int): Width.
    """

    def __init__(self, h: int, d_model: int) -> None:
        super().__init__()
        self.h = h
        self.d_k = d_model // h
        self.linears = nn.ModuleList(
            [nn.Linear(d_model, d_model) for _ in range(4)])
        # Unused by the forward pass; kept for the checkpoint layout.
        self.compress_attention_linear = nn.Linear(h, 1)

    def forward(
        self,
        query: torch.Tensor,
        key: torch.Tensor,
        value: torch.Tensor,
        mask: Optional[torch.Tensor] = None
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """(B, L, D) query, (B, S, D) key/value, optional (L, S) boolean
        mask of allowed positions -> (B, L, D) and (B, h, L, S) weights."""
        b = query.shape[0]
        q, k, v = [
            lin(x).view(b, -1, self.h, self.d_k).transpose(1, 2)
            for lin, x in zip(self.linears, (query, key, value))
        ]
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_k)
        if mask is not None:
            scores = scores.masked_fill(~mask, float('-inf'))
        attn = scores.softmax(-1)
        out = (attn @ v).transpose(1, 2).reshape(b, -1, self.h * self.d_k)
        return self.linears[-1](out), attn


class STTLayerNorm(nn.Module):
    """Normalisation by the unbiased standard deviation (eps added to the
    std), as the official recognizer."""

    def __init__(self, features: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.a_2 = nn.Parameter(torch.ones(features))
        self.b_2 = nn.Parameter(torch.zeros(features))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., D) -> (..., D)."""
        mean = x.mean(-1, keepdim=True)
        return self.a_2 * (x - mean) / (x.std(-1, keepdim=True) +
                                        self.eps) + self.b_2


class STTBasicBlock(nn.Module):
    """ResNet basic block with an optional projection shortcut."""

    def __init__(self, inplanes: int, planes: int,
                 downsample: Optional[nn.Module]) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, 1, 1)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C_in, H, W) -> (B, C_out, H, W)."""
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(out + shortcut)


def _stage(inplanes: int, planes: int, blocks: int) -> nn.Sequential:
    downsample = nn.Sequential(
        nn.Conv2d(inplanes, planes, 3, 1,
                  1), nn.BatchNorm2d(planes)) if inplanes != planes else None
    return nn.Sequential(
        STTBasicBlock(inplanes, planes, downsample),
        *[STTBasicBlock(planes, planes, None) for _ in range(1, blocks)])


class STTResNet(nn.Module):
    """(B, 1, 32, 128) gray image -> (B, 1024, 8, 32) features."""

    def __init__(self, layers=(1, 2, 5, 3)) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 3, 1, 1)
        self.bn1 = nn.BatchNorm2d(64)
        self.conv2 = nn.Conv2d(64, 128, 3, 1, 1)
        self.bn2 = nn.BatchNorm2d(128)
        self.layer1 = _stage(128, 256, layers[0])
        self.layer1_conv = nn.Conv2d(256, 256, 3, 1, 1)
        self.layer1_bn = nn.BatchNorm2d(256)
        self.layer2 = _stage(256, 256, layers[1])
        self.layer2_conv = nn.Conv2d(256, 256, 3, 1, 1)
        self.layer2_bn = nn.BatchNorm2d(256)
        self.layer3 = _stage(256, 512, layers[2])
        self.layer3_conv = nn.Conv2d(512, 512, 3, 1, 1)
        self.layer3_bn = nn.BatchNorm2d(512)
        self.layer4 = _stage(512, 512, layers[3])
        self.layer4_conv2 = nn.Conv2d(512, 1024, 3, 1, 1)
        self.layer4_conv2_bn = nn.BatchNorm2d(1024)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) -> (B, 1024, H / 4, W / 4)."""
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.relu(self.layer1_bn(self.layer1_conv(self.layer1(x))))
        x = F.relu(self.layer2_bn(self.layer2_conv(self.layer2(x))))
        x = F.relu(self.layer3_bn(self.layer3_conv(self.layer3(x))))
        return F.relu(self.layer4_conv2_bn(self.layer4_conv2(self.layer4(x))))


class STTEncoder(nn.Module):
    """Holds the ResNet under the official name ``cnn``."""

    def __init__(self) -> None:
        super().__init__()
        self.cnn = STTResNet()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cnn(x)


class STTDecoder(nn.Module):
    """Masked self-attention, cross-attention to the image features,
    feed-forward; post-norm."""

    def __init__(self,
                 d_model: int = 1024,
                 heads: int = 16,
                 d_ff: int = 2048) -> None:
        super().__init__()
        self.mask_multihead = STTMultiHeadAttention(heads, d_model)
        self.mul_layernorm1 = STTLayerNorm(d_model)
        self.multihead = STTMultiHeadAttention(heads, d_model)
        self.mul_layernorm2 = STTLayerNorm(d_model)
        self.pff = nn.Module()
        self.pff.w_1 = nn.Linear(d_model, d_ff)
        self.pff.w_2 = nn.Linear(d_ff, d_model)
        self.mul_layernorm3 = STTLayerNorm(d_model)

    def forward(self, text: torch.Tensor,
                feature: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(B, T, D) text, (B, D, h, w) features -> (B, T, D) and the
        (B, heads, T, h * w) cross-attention map."""
        length = text.shape[1]
        causal = torch.ones(length,
                            length,
                            dtype=torch.bool,
                            device=text.device).tril()
        x = self.mul_layernorm1(
            text + self.mask_multihead(text, text, text, causal)[0])
        memory = feature.flatten(2).transpose(1, 2)
        aligned, attn = self.multihead(x, memory, memory)
        x = self.mul_layernorm2(x + aligned)
        ff = self.pff.w_2(F.relu(self.pff.w_1(x)))
        return self.mul_layernorm3(x + ff), attn


class STTTransformer(nn.Module):
    """Scene Text Telescope's recognizer, used frozen by the text focus
    loss.

    Args:
        max_len (int): Longest positional encoding.
    """

    def __init__(self, max_len: int = 5000) -> None:
        super().__init__()
        classes = len(STT_ALPHABET)
        self.embedding_word = nn.Module()
        self.embedding_word.lut = nn.Embedding(classes, 512)
        self.encoder = STTEncoder()
        self.decoder = STTDecoder()
        self.generator_word = nn.Module()
        self.generator_word.proj = nn.Linear(1024, classes)
        position = torch.arange(max_len).unsqueeze(1).float()
        div = torch.exp(
            torch.arange(0, 512, 2).float() * -(math.log(10000.0) / 512))
        pe = torch.zeros(max_len, 512)
        pe[:, 0::2] = torch.sin(position * div)
        pe[:, 1::2] = torch.cos(position * div)
        self.pe = nn.Module()
        self.pe.register_buffer('pe', pe.unsqueeze(0))

    def forward(self, image: torch.Tensor,
                text_input: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced reading.

        Args:
            image (torch.Tensor): (B, 1, 32, 128) gray images.
            text_input (torch.Tensor): (B, T) ids, start token first.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: (B, T, classes) logits and
            (B, 16, T, 256) cross-attention maps.
        """
        feature = self.encoder(image)
        embed = self.embedding_word.lut(text_input) * math.sqrt(512)
        pos = self.pe.pe[:, :text_input.shape[1]].expand_as(embed)
        hidden, attn = self.decoder(torch.cat([embed, pos], 2), feature)
        return self.generator_word.proj(hidden), attn
