"""Shifted-window transformer blocks of STIRER (SwinIR layout).

Attribute names follow the official ``model/stirer.py`` so that its state
dicts load unchanged; the attention itself runs through
``F.scaled_dot_product_attention`` with the relative position bias and the
shift mask folded into one additive mask.
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from .drop_path import DropPath


def window_partition(x: torch.Tensor, window_size: Tuple[int,
                                                         int]) -> torch.Tensor:
    """Cut (B, H, W, C) maps into windows.

    Returns:
        torch.Tensor: (B * nW, wh * ww, C), windows in row-major order.
    """
    b, h, w, c = x.shape
    wh, ww = window_size
    x = x.view(b, h // wh, wh, w // ww, ww, c).permute(0, 1, 3, 2, 4, 5)
    return x.reshape(-1, wh * ww, c)


def window_token_order(resolution: Tuple[int, int],
                       window_size: Tuple[int, int],
                       shift_size: Tuple[int, int]) -> torch.Tensor:
    """Token indices of a (H, W) map, row-major, in the order of
    :func:`window_partition` applied after ``torch.roll`` by
    ``-shift_size``: gathering with it cuts shifted windows in one copy.

    Returns:
        torch.Tensor: (H * W, ) long.
    """
    h, w = resolution
    grid = torch.arange(h * w).view(1, h, w, 1)
    grid = torch.roll(grid, shifts=(-shift_size[0], -shift_size[1]),
                      dims=(1, 2))
    return window_partition(grid, window_size).flatten()


class _GatherTokens(torch.autograd.Function):
    """``x.index_select(1, order)`` for a permutation ``order``, whose
    gradient is a gather with the inverse permutation (not a scatter)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, order: torch.Tensor,
                inverse: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(inverse)
        return x.index_select(1, order)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple:
        (inverse, ) = ctx.saved_tensors
        return grad.index_select(1, inverse), None, None


class Mlp(nn.Module):
    """Linear-GELU-Linear feed-forward with dropout after each linear.

    Args:
        in_features (int): Input (and output) width.
        hidden_features (int): Hidden width.
        drop (float): Dropout rate.
    """

    def __init__(self,
                 in_features: int,
                 hidden_features: int,
                 drop: float = 0.) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden_features)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_features, in_features)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., C) -> (..., C)."""
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class WindowAttention(nn.Module):
    """Multi-head self-attention inside (wh, ww) windows with a learned
    relative position bias.

    Windows and heads are merged into the head axis of
    ``scaled_dot_product_attention`` so that one (1, nW * heads, N, N) mask
    (bias + shift mask) broadcasts over the batch without being copied.

    Args:
        dim (int): Channels.
        window_size (tuple[int, int]): (wh, ww).
        num_heads (int): Heads.
        qkv_bias (bool): Bias of the qkv projection.
        attn_drop (float): Dropout on attention weights.
        proj_drop (float): Dropout after the output projection.
    """

    def __init__(self,
                 dim: int,
                 window_size: Tuple[int, int],
                 num_heads: int,
                 qkv_bias: bool = True,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.) -> None:
        super().__init__()
        self.dim = dim
        self.window_size = tuple(window_size)
        self.num_heads = num_heads
        wh, ww = self.window_size
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros((2 * wh - 1) * (2 * ww - 1), num_heads))
        coords = torch.stack(
            torch.meshgrid(torch.arange(wh), torch.arange(ww),
                           indexing='ij')).flatten(1)
        rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)
        index = (rel[..., 0] + wh - 1) * (2 * ww - 1) + rel[..., 1] + ww - 1
        self.register_buffer('relative_position_index', index)
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.attn_drop = attn_drop
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=.02)

    def relative_position_bias(self) -> torch.Tensor:
        """(heads, N, N) bias, N = wh * ww."""
        n = self.window_size[0] * self.window_size[1]
        bias = self.relative_position_bias_table[
            self.relative_position_index.view(-1)].view(n, n, -1)
        return bias.permute(2, 0, 1)

    def forward(self,
                x: torch.Tensor,
                num_windows: int,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Attend within windows.

        Args:
            x (torch.Tensor): (B * nW, N, C) window tokens, batch-major.
            num_windows (int): nW, windows per image.
            mask (torch.Tensor, optional): (nW, N, N) additive shift mask.

        Returns:
            torch.Tensor: (B * nW, N, C).
        """
        bw, n, c = x.shape
        b = bw // num_windows
        heads = self.num_heads
        qkv = self.qkv(x).view(b, num_windows, n, 3, heads, c // heads)
        qkv = qkv.permute(3, 0, 1, 4, 2, 5).reshape(3, b, num_windows * heads,
                                                    n, c // heads)
        bias = self.relative_position_bias().unsqueeze(0)  # 1, heads, N, N
        if mask is not None:
            bias = bias + mask.unsqueeze(1)  # nW, heads, N, N
        else:
            bias = bias.expand(num_windows, -1, -1, -1)
        bias = bias.reshape(1, num_windows * heads, n, n).to(qkv.dtype)
        q, k, v = qkv.unbind(0)
        dropout = self.attn_drop if self.training else 0.
        if (x.device.type == 'cpu' and torch.is_grad_enabled()
                and bias.requires_grad):
            # On the CPU, SDPA's fused kernel gives no gradient to the mask
            # (our learned bias) and falls back to its math path, which adds
            # whole-tensor NaN guards; this is that math without them.
            attn = torch.matmul(q * q.shape[-1]**-0.5,
                                k.transpose(-2, -1)).add_(bias).softmax(-1)
            out = torch.matmul(F.dropout(attn, dropout), v)
        else:
            out = F.scaled_dot_product_attention(
                q, k, v, attn_mask=bias, dropout_p=dropout)
        out = out.view(b, num_windows, heads, n, c // heads)
        out = out.permute(0, 1, 3, 2, 4).reshape(bw, n, c)
        return self.proj_drop(self.proj(out))


def shift_window_mask(resolution: Tuple[int, int], window_size: Tuple[int,
                                                                      int],
                      shift_size: Tuple[int, int]) -> torch.Tensor:
    """Additive mask (0 / -100) keeping the cyclically shifted regions of a
    window apart, as SwinIR.

    Returns:
        torch.Tensor: (nW, N, N).
    """
    h, w = resolution
    img_mask = torch.zeros(1, h, w, 1)
    cnt = 0
    for hs in (slice(0, -window_size[0]), slice(-window_size[0],
                                                -shift_size[0]),
               slice(-shift_size[0], None)):
        for ws in (slice(0, -window_size[1]),
                   slice(-window_size[1],
                         -shift_size[1]), slice(-shift_size[1], None)):
            img_mask[:, hs, ws, :] = cnt
            cnt += 1
    windows = window_partition(img_mask, window_size).squeeze(-1)
    diff = windows.unsqueeze(1) - windows.unsqueeze(2)
    return diff.masked_fill(diff != 0, -100.).masked_fill(diff == 0, 0.)


class SwinTransformerBlock(nn.Module):
    """(Shifted-)window attention + MLP, pre-norm, with stochastic depth.

    Args:
        dim (int): Channels.
        input_resolution (tuple[int, int]): (H, W) of the token map.
        num_heads (int): Heads.
        window_size (tuple[int, int]): (wh, ww).
        shift_size (tuple[int, int]): Cyclic shift; (0, 0) for W-MSA.
        mlp_ratio (float): MLP hidden width / dim.
        qkv_bias (bool): Bias of the qkv projection.
        drop (float): Dropout rate.
        attn_drop (float): Attention dropout rate.
        drop_path (float): Stochastic depth rate.
    """

    def __init__(self,
                 dim: int,
                 input_resolution: Tuple[int, int],
                 num_heads: int,
                 window_size: Tuple[int, int],
                 shift_size: Tuple[int, int] = (0, 0),
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 drop: float = 0.,
                 attn_drop: float = 0.,
                 drop_path: float = 0.) -> None:
        super().__init__()
        self.input_resolution = tuple(input_resolution)
        self.window_size = tuple(window_size)
        self.shift_size = tuple(shift_size)
        for size, win, shift in zip(self.input_resolution, self.window_size,
                                    self.shift_size):
            if size % win or not 0 <= shift < win:
                raise ValueError(
                    f'resolution {self.input_resolution} must be a multiple '
                    f'of window_size {self.window_size} and shift_size '
                    f'{self.shift_size} within the window')
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim,
                                    self.window_size,
                                    num_heads,
                                    qkv_bias=qkv_bias,
                                    attn_drop=attn_drop,
                                    proj_drop=drop)
        self.drop_path = DropPath(drop_path) if drop_path > 0 else (
            nn.Identity())
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop=drop)
        mask = shift_window_mask(self.input_resolution, self.window_size,
                                 self.shift_size) if min(
                                     self.shift_size) > 0 else None
        self.register_buffer('attn_mask', mask)
        order = window_token_order(self.input_resolution, self.window_size,
                                   self.shift_size)
        self.register_buffer('token_order', order, persistent=False)
        self.register_buffer(
            'token_order_inverse', torch.argsort(order), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H * W, C) -> (B, H * W, C).

        The cyclic shift and the window partition (and their inverses) are
        one token gather each (``token_order``), not roll + permute copies.
        """
        b, length, c = x.shape
        n = self.window_size[0] * self.window_size[1]
        num_windows = length // n
        y = _GatherTokens.apply(
            self.norm1(x), self.token_order, self.token_order_inverse)
        y = self.attn(y.view(b * num_windows, n, c), num_windows,
                      self.attn_mask)
        y = _GatherTokens.apply(
            y.view(b, length, c), self.token_order_inverse, self.token_order)
        x = x + self.drop_path(y)
        return x + self.drop_path(self.mlp(self.norm2(x)))


class BasicLayer(nn.Module):
    """A run of Swin blocks alternating W-MSA and SW-MSA (shift = half a
    window).

    Args:
        dim (int): Channels.
        input_resolution (tuple[int, int]): (H, W) of the token map.
        depth (int): Blocks.
        num_heads (int): Heads.
        window_size (tuple[int, int]): (wh, ww).
        mlp_ratio (float): MLP hidden width / dim.
        qkv_bias (bool): Bias of the qkv projections.
        drop (float): Dropout rate.
        attn_drop (float): Attention dropout rate.
        drop_path (float | list[float]): Stochastic depth rate(s).
    """

    def __init__(self,
                 dim: int,
                 input_resolution: Tuple[int, int],
                 depth: int,
                 num_heads: int,
                 window_size: Tuple[int, int],
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 drop: float = 0.,
                 attn_drop: float = 0.,
                 drop_path: Union[float, Sequence[float]] = 0.) -> None:
        super().__init__()
        rates: List[float] = list(drop_path) if isinstance(
            drop_path, (list, tuple)) else [drop_path] * depth
        half = (window_size[0] // 2, window_size[1] // 2)
        self.blocks = nn.ModuleList([
            SwinTransformerBlock(dim,
                                 input_resolution,
                                 num_heads,
                                 window_size,
                                 shift_size=(0, 0) if i % 2 == 0 else half,
                                 mlp_ratio=mlp_ratio,
                                 qkv_bias=qkv_bias,
                                 drop=drop,
                                 attn_drop=attn_drop,
                                 drop_path=rates[i]) for i in range(depth)
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, H * W, C) -> (B, H * W, C)."""
        for block in self.blocks:
            x = block(x)
        return x


class PatchEmbed(nn.Module):
    """Flatten a (B, C, H, W) map into (B, H * W, C) tokens and normalise
    them (SwinIR's patch embedding with patch size 1).

    Args:
        dim (int): Channels.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, H * W, C)."""
        return self.norm(x.flatten(2).transpose(1, 2))
