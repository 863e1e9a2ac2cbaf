"""A plain ViT encoder laid out as timm's ``VisionTransformer`` with
``class_token=False, global_pool=''`` (the parameter names of STIRER's
``ViTEncoder``), written without timm."""
from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .swin import Mlp


class PatchEmbedConv(nn.Module):
    """Non-overlapping patches by a strided convolution.

    Args:
        img_size (tuple[int, int]): (H, W) of the input.
        patch_size (tuple[int, int]): (ph, pw).
        in_chans (int): Input channels.
        embed_dim (int): Token width.
    """

    def __init__(self, img_size: Tuple[int, int], patch_size: Tuple[int, int],
                 in_chans: int, embed_dim: int) -> None:
        super().__init__()
        self.img_size = tuple(img_size)
        self.grid_size = (img_size[0] // patch_size[0],
                          img_size[1] // patch_size[1])
        self.num_patches = self.grid_size[0] * self.grid_size[1]
        self.proj = nn.Conv2d(in_chans,
                              embed_dim,
                              kernel_size=patch_size,
                              stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, L, D), patches in row-major order."""
        if tuple(x.shape[-2:]) != self.img_size:
            raise ValueError(f'input size {tuple(x.shape[-2:])} does not '
                             f'match the ViT img_size {self.img_size}')
        return self.proj(x).flatten(2).transpose(1, 2)


class Attention(nn.Module):
    """Multi-head self-attention with a fused qkv projection.

    Args:
        dim (int): Token width.
        num_heads (int): Heads.
        qkv_bias (bool): Bias of the qkv projection.
        attn_drop (float): Dropout on attention weights.
        proj_drop (float): Dropout after the output projection.
    """

    def __init__(self,
                 dim: int,
                 num_heads: int,
                 qkv_bias: bool = True,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'dim {dim} is not divisible by num_heads '
                             f'{num_heads}')
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = attn_drop
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, D) -> (B, L, D)."""
        b, n, c = x.shape
        qkv = self.qkv(x).view(b, n, 3, self.num_heads,
                               c // self.num_heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(
            qkv[0],
            qkv[1],
            qkv[2],
            dropout_p=self.attn_drop if self.training else 0.)
        return self.proj_drop(self.proj(out.transpose(1, 2).reshape(b, n, c)))


class Block(nn.Module):
    """Pre-norm transformer block (LayerNorm eps 1e-6, as timm's ViT).

    Args:
        dim (int): Token width.
        num_heads (int): Heads.
        mlp_ratio (float): MLP hidden width / dim.
        qkv_bias (bool): Bias of the qkv projection.
        drop (float): Dropout after projections.
        attn_drop (float): Attention dropout.
    """

    def __init__(self,
                 dim: int,
                 num_heads: int,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 drop: float = 0.,
                 attn_drop: float = 0.) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, num_heads, qkv_bias, attn_drop, drop)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop=drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, D) -> (B, L, D)."""
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViTEncoder(nn.Module):
    """Patch embedding + learned position embedding + transformer blocks +
    final LayerNorm; returns every token (no class token, no pooling).

    Args:
        img_size (tuple[int, int]): (H, W) of the input map.
        patch_size (tuple[int, int]): (ph, pw).
        in_chans (int): Input channels.
        embed_dim (int): Token width.
        depth (int): Blocks.
        num_heads (int): Heads.
        mlp_ratio (float): MLP hidden width / dim.
        qkv_bias (bool): Bias of the qkv projections.
        drop_rate (float): Dropout rate.
        attn_drop_rate (float): Attention dropout rate.
    """

    def __init__(self,
                 img_size: Tuple[int, int] = (16, 64),
                 patch_size: Tuple[int, int] = (16, 2),
                 in_chans: int = 4,
                 embed_dim: int = 192,
                 depth: int = 6,
                 num_heads: int = 3,
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.) -> None:
        super().__init__()
        self.patch_embed = PatchEmbedConv(img_size, patch_size, in_chans,
                                          embed_dim)
        self.pos_embed = nn.Parameter(
            torch.zeros(1, self.patch_embed.num_patches, embed_dim))
        self.pos_drop = nn.Dropout(drop_rate)
        self.blocks = nn.Sequential(*[
            Block(embed_dim, num_heads, mlp_ratio, qkv_bias, drop_rate,
                  attn_drop_rate) for _ in range(depth)
        ])
        self.norm = nn.LayerNorm(embed_dim, eps=1e-6)
        nn.init.trunc_normal_(self.pos_embed, std=.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, L, D) tokens, L = (H / ph) * (W / pw)."""
        x = self.pos_drop(self.patch_embed(x) + self.pos_embed)
        return self.norm(self.blocks(x))
