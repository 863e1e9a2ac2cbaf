"""A single-layer bidirectional GRU for the CPU: both directions in one
recurrence, and a hand-written backward pass.

TSRN, C3-STISR and STIRER run their BiGRUs over many short rows of a
feature map (e.g. 768 sequences of 64 steps with 24 hidden units). On the
CPU such a GRU is bound by per-step overhead, not arithmetic: ATen steps
each direction separately, and autograd records every gate operation of
every step. Here one batched matrix product per step serves both directions
and the backward pass is one hand-written loop over small per-step tensors;
the input projection and its gradients are one matrix product each for all
steps. The parameters stay those of an ``nn.GRU`` (and its state-dict
names).
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


def _recurrence(x: torch.Tensor, w_ih: torch.Tensor, b_ih: torch.Tensor,
                w_hh: torch.Tensor, b_hh: torch.Tensor,
                keep: Optional[list]) -> torch.Tensor:
    """Run both directions as one batched recurrence.

    The input projection is one matrix product for all steps; each step
    then reads step ``i`` of the forward and step ``T - 1 - i`` of the
    reverse direction and touches only small (2, B, *) tensors, which stay
    in cache. Nothing sequence-sized is flipped or copied.

    Args:
        x (torch.Tensor): (B, T, C) batch-first input.
        w_ih (torch.Tensor): (6K, C) input weights, forward then reverse.
        b_ih (torch.Tensor): (6K, ) input biases.
        w_hh (torch.Tensor): (2, 3K, K) hidden weights per direction.
        b_hh (torch.Tensor): (2, 3K) hidden biases.
        keep (list, optional): Receives per step what the backward pass
            needs: (previous hidden state, gates r|z, candidate, hidden
            pre-activations), each (2, B, *).

    Returns:
        torch.Tensor: (B, T, 2K) outputs, forward then reverse direction.
    """
    b, t, c = x.shape
    k = w_hh.shape[-1]
    gi = torch.addmm(b_ih, x.reshape(b * t, c), w_ih.t()).view(b, t, 6 * k)
    gi = (gi[..., :3 * k], gi[..., 3 * k:])
    w_hh_t = w_hh.transpose(1, 2)
    b_hh = b_hh.unsqueeze(1)
    out = x.new_empty(b, t, 2 * k)
    h = x.new_zeros(2, b, k)
    for i in range(t):
        steps = (i, t - 1 - i)
        gh = torch.baddbmm(b_hh, h, w_hh_t)
        rz = x.new_empty(2, b, 2 * k)
        cand = x.new_empty(2, b, k)
        for d in (0, 1):
            torch.add(gi[d][:, steps[d], :2 * k], gh[d, :, :2 * k],
                      out=rz[d])
        rz.sigmoid_()
        for d in (0, 1):
            torch.addcmul(gi[d][:, steps[d], 2 * k:], rz[d, :, :k],
                          gh[d, :, 2 * k:], out=cand[d])
        cand.tanh_()
        if keep is not None:
            keep.append((h, rz, cand, gh))
        h = torch.addcmul(cand, h - cand, rz[..., k:])
        out[:, i, :k] = h[0]
        out[:, t - 1 - i, k:] = h[1]
    return out


class _BiGRUFunction(torch.autograd.Function):
    """Autograd of :func:`_recurrence` with a hand-written backward."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, w_ih: torch.Tensor, b_ih: torch.Tensor,
                w_hh: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
        steps = []
        out = _recurrence(x, w_ih, b_ih, w_hh, b_hh, keep=steps)
        ctx.save_for_backward(x, w_ih, w_hh)
        ctx.steps = steps
        return out

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor) -> tuple:
        x, w_ih, w_hh = ctx.saved_tensors
        steps = ctx.steps
        del ctx.steps
        b, t, c = x.shape
        k = w_hh.shape[-1]
        grad_out = (grad_out[..., :k], grad_out[..., k:])
        d_gi = x.new_empty(b, t, 6 * k)
        d_gi = (d_gi, d_gi[..., :3 * k], d_gi[..., 3 * k:])
        grad_w_hh = torch.zeros_like(w_hh)
        grad_b_hh_n = w_hh.new_zeros(2, k)
        carry = w_hh.new_zeros(2, b, k)
        for i in range(t - 1, -1, -1):
            at = (i, t - 1 - i)
            h_prev, rz, cand, gh = steps[i]
            dh = x.new_empty(2, b, k)
            for d in (0, 1):
                torch.add(grad_out[d][:, at[d]], carry[d], out=dh[d])
            dh_z = dh * rz[..., k:]
            # h = z * h_prev + (1 - z) * cand, cand = tanh(a_n),
            # a_n = gi_n + r * gh_n; r, z = sigmoid(gi_rz + gh_rz).
            d_an = dh - dh_z
            d_an = torch.addcmul(d_an, d_an * cand, cand, value=-1)
            d_gh = x.new_empty(2, b, 3 * k)
            torch.mul(d_an, gh[..., 2 * k:], out=d_gh[..., :k])
            torch.mul(dh, h_prev - cand, out=d_gh[..., k:2 * k])
            d_gh[..., :2 * k].mul_(torch.addcmul(rz, rz, rz, value=-1))
            torch.mul(d_an, rz[..., :k], out=d_gh[..., 2 * k:])
            for d in (0, 1):
                d_gi[d + 1][:, at[d], :2 * k] = d_gh[d, :, :2 * k]
                d_gi[d + 1][:, at[d], 2 * k:] = d_an[d]
            grad_b_hh_n.add_(d_gh[..., 2 * k:].sum(1))
            grad_w_hh.baddbmm_(d_gh.transpose(1, 2), h_prev)
            carry = torch.baddbmm(dh_z, d_gh, w_hh)
        d_gi = d_gi[0].view(b * t, 6 * k)
        grad_x = (d_gi @ w_ih).view(b, t, c) if ctx.needs_input_grad[0] \
            else None
        grad_w_ih = d_gi.t() @ x.reshape(b * t, c)
        grad_b_ih = d_gi.sum(0)
        grad_b_hh = grad_b_ih.view(2, 3 * k).clone()
        grad_b_hh[:, 2 * k:] = grad_b_hh_n
        return grad_x, grad_w_ih, grad_b_ih, grad_w_hh, grad_b_hh


def bigru(seq: torch.Tensor,
          gru: nn.GRU,
          in_proj: Optional[Tuple[torch.Tensor, torch.Tensor]] = None
          ) -> torch.Tensor:
    """Run a single-layer bidirectional ``batch_first`` ``nn.GRU``,
    optionally after a linear projection of its input.

    On the CPU (without autocast) the two directions share one recurrence
    and the backward pass is hand-written, and the projection is folded
    into the GRU's input weights (one matrix product instead of two);
    elsewhere (cuDNN's fused GRU on the GPU, autocast) the projection and
    the module itself run. Both give the same result.

    Args:
        seq (torch.Tensor): (B, T, C_in) sequences.
        gru (nn.GRU): One layer, bidirectional, ``batch_first``, with biases.
        in_proj (tuple, optional): (C, C_in) weight and (C, ) bias of a
            projection applied to ``seq`` first (e.g. a 1x1 convolution's).

    Returns:
        torch.Tensor: (B, T, 2K) outputs (forward then reverse direction),
        as ``gru(F.linear(seq, *in_proj))[0]``.
    """
    if not (gru.bidirectional and gru.batch_first and gru.bias
            and gru.num_layers == 1):
        raise ValueError('bigru needs a 1-layer bidirectional batch_first '
                         'nn.GRU with biases')
    if (seq.device.type != 'cpu' or torch.is_autocast_enabled('cpu')
            or seq.dtype != gru.weight_ih_l0.dtype):
        if in_proj is not None:
            seq = F.linear(seq, *in_proj)
        return gru(seq)[0]
    w_ih = torch.cat((gru.weight_ih_l0, gru.weight_ih_l0_reverse))
    b_ih = torch.cat((gru.bias_ih_l0, gru.bias_ih_l0_reverse))
    if in_proj is not None:
        b_ih = torch.addmv(b_ih, w_ih, in_proj[1])
        w_ih = w_ih @ in_proj[0]
    w_hh = torch.stack((gru.weight_hh_l0, gru.weight_hh_l0_reverse))
    b_hh = torch.stack((gru.bias_hh_l0, gru.bias_hh_l0_reverse))
    seq = seq.contiguous()
    if torch.is_grad_enabled() and any(
            t.requires_grad for t in (seq, w_ih, b_ih, w_hh, b_hh)):
        return _BiGRUFunction.apply(seq, w_ih, b_ih, w_hh, b_hh)
    return _recurrence(seq, w_ih, b_ih, w_hh, b_hh, keep=None)
