"""The CPU BiGRU recurrence equals ``nn.GRU``, values and gradients."""
import pytest
import torch
import torch.nn as nn

from stisr_mmocr.models.layers import GruBlock
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
