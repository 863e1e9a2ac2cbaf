import pytest
import torch
from mmocr.registry import MODELS

import stisr_mmocr  # noqa: F401
from stisr_mmocr.models.layers import (RecurrentResidualBlock, STNHead,
                                       TPSSpatialTransformer)
from stisr_mmocr.structures import TextSRDataSample


def batch(n=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    hr = torch.rand(n, 4, 32, 128, generator=gen)
    lr = torch.nn.functional.avg_pool2d(hr, 2)
    samples = []
    for img in hr:
        s = TextSRDataSample()
        s.gt_img = img
        samples.append(s)
    return lr, samples


def test_tsrn_shapes_and_modes():
    model = MODELS.build(dict(type='TSRN'))
    lr, samples = batch()
    model.eval()
    out = model(lr, mode='tensor')
    assert out.shape == (4, 4, 32, 128)
    preds = model(lr, samples, mode='predict')
    assert preds[0].pred_img.shape == (4, 32, 128)
    # the raw tanh output; metrics and judges clamp it by their protocol
    assert torch.equal(torch.stack([p.pred_img for p in preds]), out)
    model.train()
    losses = model(lr, samples, mode='loss')
    assert set(losses) == {'loss_pixel'} and losses['loss_pixel'] > 0
    with pytest.raises(RuntimeError, match='Invalid mode'):
        model(lr, mode='bogus')


def test_tsrn_training_lowers_loss_and_reaches_all_params():
    torch.manual_seed(0)
    model = MODELS.build(dict(type='TSRN', num_blocks=1, hidden_channels=16))
    lr, samples = batch(4)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    first = None
    for _ in range(10):
        loss = model.loss(lr, samples)['loss_pixel']
        opt.zero_grad()
        loss.backward()
        first = loss.item() if first is None else first
        opt.step()
    assert loss.item() < 0.7 * first
    # every parameter learns (the STN once its zero-initialised head moves)
    frozen = [n for n, p in model.named_parameters()
              if torch.equal(p, before[n])]
    assert frozen == []


def test_loss_needs_hr():
    model = MODELS.build(dict(type='TSRN', use_stn=False))
    lr, _ = batch(2)
    with pytest.raises(KeyError, match='gt_img'):
        model.loss(lr, [TextSRDataSample(), TextSRDataSample()])


def test_tps_identity_points_give_near_identity_warp():
    tps = TPSSpatialTransformer(output_hw=(16, 64), margins=(0.05, 0.05))
    head = STNHead(4)
    head.eval()
    x = torch.rand(2, 4, 16, 64)
    pts = head(x)
    assert pts.shape == (2, 20, 2)
    # the head starts at the identity points of margin 0.01
    assert pts[0, 0].tolist() == pytest.approx([0.01, 0.01], abs=1e-6)
    # points equal to the target points reproduce the sampling grid
    ident = tps(x, tps_target_points())
    base = torch.nn.functional.grid_sample(
        x, identity_grid(16, 64), align_corners=False)
    assert torch.allclose(ident, base, atol=1e-4)


def tps_target_points():
    from stisr_mmocr.models.layers.stn_head import identity_ctrl_points
    return identity_ctrl_points(20, (0.05, 0.05))[None].repeat(2, 1, 1)


def identity_grid(h, w):
    ys, xs = torch.meshgrid(
        torch.linspace(-1, 1, h), torch.linspace(-1, 1, w), indexing='ij')
    return torch.stack([xs, ys], -1)[None].repeat(2, 1, 1, 1)


def test_recurrent_block_with_clue():
    block = RecurrentResidualBlock(16, clue_channels=8)
    x = torch.rand(2, 16, 4, 10)
    assert block(x, torch.rand(2, 8, 4, 10)).shape == x.shape
    with pytest.raises(ValueError, match='needs a clue'):
        block(x)
    plain = RecurrentResidualBlock(16)
    assert plain.gru1.conv1.in_channels == 16
    assert block.gru1.conv1.in_channels == 24


def test_tsrn_network_with_clue_channels():
    net = MODELS.build(dict(type='TSRNNet', clue_channels=32, use_stn=False))
    lr, _ = batch(2)
    out = net(lr, torch.rand(2, 32, 16, 64))
    assert out.shape == (2, 4, 32, 128)
    with pytest.raises(ValueError, match='needs a clue'):
        net(lr)


def test_bicubic():
    model = MODELS.build(dict(type='Bicubic'))
    lr, samples = batch(2)
    preds = model(lr, samples, mode='predict')
    expected = torch.nn.functional.interpolate(
        lr, scale_factor=2, mode='bicubic')
    assert torch.allclose(preds[1].pred_img, expected[1])
    assert list(model.parameters()) == []
    with pytest.raises(RuntimeError, match='no parameters'):
        model(lr, samples, mode='loss')


def test_data_preprocessor_scales_uint8():
    pre = MODELS.build(dict(type='TextSRDataPreprocessor'))
    s = TextSRDataSample()
    s.gt_img = torch.full((4, 32, 128), 255, dtype=torch.uint8)
    out = pre(dict(inputs=[torch.zeros(4, 16, 64, dtype=torch.uint8)],
                   data_samples=[s]))
    assert out['inputs'].shape == (1, 4, 16, 64)
    assert out['inputs'].dtype == torch.float32
    assert out['data_samples'][0].gt_img.max() == 1.0
