"""The CPU BiGRU recurrence equals ``nn.GRU``, values and gradients."""
import pytest
import torch
import torch.nn as nn

from stisr_mmocr.models.layers import GruBlock, RecurrentResidualBlock
from stisr_mmocr.models.layers.bigru import bigru


def _gru(channels, hidden):
    torch.manual_seed(0)
    return nn.GRU(
        channels, hidden, bidirectional=True, batch_first=True).double()


@pytest.mark.parametrize('shape', [(5, 7, 6, 4), (3, 1, 4, 2), (2, 16, 8, 8)])
def test_bigru_matches_nn_gru(shape):
    b, t, c, k = shape
    gru = _gru(c, k)
    x = torch.randn(b, t, c, dtype=torch.float64, requires_grad=True)
    ref = gru(x)[0]
    grad_out = torch.randn_like(ref)
    params = [x] + list(gru.parameters())
    ref_grads = torch.autograd.grad(ref, params, grad_out)

    out = bigru(x, gru)
    assert out.shape == (b, t, 2 * k)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-12)
    grads = torch.autograd.grad(out, params, grad_out)
    for name, got, want in zip(['x'] + [n for n, _ in gru.named_parameters()],
                               grads, ref_grads):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-10, msg=name)
    with torch.no_grad():
        torch.testing.assert_close(bigru(x, gru), ref, rtol=0, atol=1e-12)


def test_bigru_frozen_weights_grad_input_only():
    gru = _gru(6, 4).requires_grad_(False)
    x = torch.randn(3, 5, 6, dtype=torch.float64, requires_grad=True)
    grad_out = torch.randn(3, 5, 8, dtype=torch.float64)
    (want, ) = torch.autograd.grad(gru(x)[0], x, grad_out)
    (got, ) = torch.autograd.grad(bigru(x, gru), x, grad_out)
    torch.testing.assert_close(got, want, rtol=0, atol=1e-10)
    assert all(p.grad is None for p in gru.parameters())


def test_bigru_rejects_other_grus():
    with pytest.raises(ValueError, match='bidirectional'):
        bigru(torch.zeros(1, 2, 3), nn.GRU(3, 2, batch_first=True))


def test_gru_block_keeps_nn_gru_names():
    keys = set(GruBlock(4, 6).state_dict())
    assert {'gru.weight_ih_l0', 'gru.weight_hh_l0_reverse',
            'conv1.weight'} <= keys
    assert not any(k.startswith('bn1') for k in keys)
    assert 'bn1.running_mean' in GruBlock(4, 6, with_bn=True).state_dict()


# --- float32, as the models train on the CPU, against a float64 reference
# --- written out here (no nn.GRU kernel, no code of bigru.py)

# Measured on the cases below, float32 against the float64 reference:
# outputs within 4.3e-7 at nn.GRU's initial weight scale and 1.5e-6 at 3x
# that scale (nn.GRU's own float32 kernel errs as much: 5.3e-7 / 1.6e-6 on
# such shapes); gradients within 6.3e-7 of the largest reference gradient.
# The bounds below leave 7x (outputs) and 16x (gradients) margin, while
# bfloat16-rounded weights err by 4.7e-3 and one bias off by 1e-4 by
# 8.6e-5: both fail.
OUT_ATOL = 1e-5  # outputs lie in (-1, 1)
GRAD_RTOL = 1e-5  # of the largest absolute reference gradient
FEATURE_HW = (16, 64)  # the LR feature map of TSRN and STIRER
BATCH = 2


def reference_direction(x: torch.Tensor, w_ih: torch.Tensor,
                        w_hh: torch.Tensor, b_ih: torch.Tensor,
                        b_hh: torch.Tensor, reverse: bool) -> torch.Tensor:
    """One GRU direction step by step (PyTorch's gate order r, z, n):
    r = sig(W_ir x + b_ir + W_hr h + b_hr), z likewise,
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) n + z h.

    Args:
        x (torch.Tensor): (B, T, C).

    Returns:
        torch.Tensor: (B, T, K) hidden states at each step's position.
    """
    k = w_hh.shape[1]
    h = x.new_zeros(x.shape[0], k)
    outs = [None] * x.shape[1]
    order = range(x.shape[1] - 1, -1, -1) if reverse else range(x.shape[1])
    for s in order:
        gi = x[:, s] @ w_ih.t() + b_ih
        gh = h @ w_hh.t() + b_hh
        r = torch.sigmoid(gi[:, :k] + gh[:, :k])
        z = torch.sigmoid(gi[:, k:2 * k] + gh[:, k:2 * k])
        n = torch.tanh(gi[:, 2 * k:] + r * gh[:, 2 * k:])
        h = (1 - z) * n + z * h
        outs[s] = h
    return torch.stack(outs, 1)


def reference_bigru(x: torch.Tensor, params: dict) -> torch.Tensor:
    """(B, T, C) -> (B, T, 2K): forward then reverse direction."""
    return torch.cat([
        reference_direction(x, params[f'weight_ih_l0{s}'],
                            params[f'weight_hh_l0{s}'],
                            params[f'bias_ih_l0{s}'],
                            params[f'bias_hh_l0{s}'], s == '_reverse')
        for s in ('', '_reverse')
    ], -1)


BLOCKS = {
    # TSRN's residual block at its 64 channels
    'tsrn': lambda: RecurrentResidualBlock(64),
    # STIRER's last_sr: embed_dim 48 + 4 input channels, normalised GRUs
    'stirer_last_sr': lambda: RecurrentResidualBlock(48 + 4, gru_bn=True),
}


@pytest.mark.parametrize('weight_scale', [1., 3.])
@pytest.mark.parametrize('gru_name', ['gru1', 'gru2'])
@pytest.mark.parametrize('block_name', list(BLOCKS))
def test_bigru_float32_matches_float64_reference(block_name, gru_name,
                                                 weight_scale):
    """The BiGRUs of a block on a batch of two 16 x 64 maps: ``gru1`` runs
    down the 128 columns (16 steps), ``gru2`` along the 32 rows (64
    steps); weights as initialised, and 3x larger."""
    torch.manual_seed(0)
    gru = getattr(BLOCKS[block_name](), gru_name).gru
    h, w = FEATURE_HW
    steps, num_seq = (h, BATCH * w) if gru_name == 'gru1' else (w, BATCH * h)
    name = f'{block_name}.{gru_name}'
    with torch.no_grad():
        for p in gru.parameters():
            p.mul_(weight_scale)
    assert gru.weight_ih_l0.dtype == torch.float32
    # after the block's 1x1 conv (+ BN): roughly unit-scale features
    x = torch.randn(num_seq, steps, gru.input_size)
    grad_out = torch.randn(num_seq, steps, 2 * gru.hidden_size)

    ref_params = {
        n: p.detach().double().requires_grad_()
        for n, p in gru.named_parameters()
    }
    x64 = x.double().requires_grad_()
    want = reference_bigru(x64, ref_params)
    want_grads = torch.autograd.grad(want, [x64] + list(ref_params.values()),
                                     grad_out.double())

    x32 = x.clone().requires_grad_()
    got = bigru(x32, gru)
    assert got.dtype == torch.float32
    # the hand-written CPU recurrence ran, not the nn.GRU fallback
    assert type(got.grad_fn).__name__ == '_BiGRUFunctionBackward'
    torch.testing.assert_close(
        got.double(), want.detach(), rtol=0, atol=OUT_ATOL)
    got_grads = torch.autograd.grad(got, [x32] + list(gru.parameters()),
                                    grad_out)
    for grad_name, g, ref_g in zip(['x'] + list(ref_params), got_grads,
                                   want_grads):
        assert g.dtype == torch.float32
        torch.testing.assert_close(
            g.double(), ref_g, rtol=0,
            atol=GRAD_RTOL * ref_g.abs().max().item(),
            msg=lambda m: f'{name} d/d{grad_name}: {m}')
    with torch.no_grad():
        torch.testing.assert_close(
            bigru(x, gru).double(), want.detach(), rtol=0, atol=OUT_ATOL)


def test_input_projection_folded_into_the_gru():
    """``in_proj`` (a 1x1 convolution's weight and bias) folded into the
    GRU's input weights: the values and the gradients of the projection,
    the GRU and the input are those of the projection followed by
    ``nn.GRU``."""
    gru = _gru(6, 4)
    proj = nn.Linear(9, 6).double()
    x = torch.randn(3, 5, 9, dtype=torch.float64, requires_grad=True)
    ref = gru(proj(x))[0]
    grad_out = torch.randn_like(ref)
    params = [x, proj.weight, proj.bias] + list(gru.parameters())
    ref_grads = torch.autograd.grad(ref, params, grad_out)
    out = bigru(x, gru, (proj.weight, proj.bias))
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-12)
    for got, want in zip(torch.autograd.grad(out, params, grad_out),
                         ref_grads):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-10)
