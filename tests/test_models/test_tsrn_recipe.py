"""The TSRN recipe of configs/tsrn/tsrn_textzoom.py against TPGSR's loop.

The official step is written out below from TPGSR's
``interfaces/super_resolution.py`` (arch ``tsrn``) and ``loss/image_loss.py``
(``ImageLoss(gradient=True, loss_weight=[1, 1e-4])``)::

    image_sr = model(images_lr)
    loss_im = image_crit(image_sr, images_hr).mean() * 100
    optimizer_G.zero_grad()
    loss_im.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
    optimizer_G.step()

with ``optimizer_G = Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))``.
"""
import copy
import os.path as osp
import re

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmocr.registry import MODELS

from stisr_mmocr.structures import TextSRDataSample

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(ROOT, 'configs', 'tsrn', 'tsrn_textzoom.py')


def official_gradient_map(x):
    """TPGSR's GradientPriorLoss.gradient_map, written out."""
    h, w = x.shape[2:]
    r = F.pad(x, (0, 1, 0, 0))[:, :, :, 1:]
    left = F.pad(x, (1, 0, 0, 0))[:, :, :, :w]
    t = F.pad(x, (0, 0, 1, 0))[:, :, :h, :]
    b = F.pad(x, (0, 0, 0, 1))[:, :, 1:, :]
    return torch.pow(
        torch.pow((r - left) * 0.5, 2) + torch.pow((t - b) * 0.5, 2) + 1e-6,
        0.5)


def official_image_loss(sr, hr):
    """ImageLoss(gradient=True, loss_weight=[1, 1e-4])."""
    mse = F.mse_loss(sr, hr)
    gp = F.l1_loss(
        official_gradient_map(sr[:, :3]), official_gradient_map(hr[:, :3]))
    return 1 * mse + 1e-4 * gp


def official_step(net, optimizer, lr, hr, clip=True, scale=100.):
    """One step of the loop; returns the gradients before clipping."""
    image_sr = net(lr, mode='tensor')
    loss_im = official_image_loss(image_sr, hr).mean() * scale
    optimizer.zero_grad()
    loss_im.backward()
    grads = {n: p.grad.clone() for n, p in net.named_parameters()}
    if clip:
        torch.nn.utils.clip_grad_norm_(net.parameters(), 0.25)
    optimizer.step()
    return grads


def batches(num, n=4, seed=0):
    gen = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(num):
        hr = torch.rand(n, 4, 32, 128, generator=gen, dtype=torch.float64)
        lr = F.avg_pool2d(hr, 2) + 0.05 * torch.randn(
            n, 4, 16, 64, generator=gen, dtype=torch.float64)
        out.append((lr, hr))
    return out


def pack(lr, hr):
    samples = []
    for img in hr:
        s = TextSRDataSample()
        s.gt_img = img
        samples.append(s)
    return dict(inputs=list(lr), data_samples=samples)


def updates(net, before):
    return {n: p.detach() - before[n] for n, p in net.named_parameters()}


def max_rel_diff(a, b, skip=()):
    return max(((a[k] - b[k]).norm() / b[k].norm()).item() for k in b
               if b[k].norm() > 0 and k not in skip)


def bias_before_batch_norm(name):
    """Biases of layers followed by a training-mode BatchNorm: their
    exact gradient is 0, the computed one rounding noise that Adam scales
    up to full-size steps of random sign in both loops alike."""
    return bool(
        re.fullmatch(
            r'generator\.(srb\.\d\.conv[12]\.bias|block_tail\.0\.bias|'
            r'stn_head\.stn_convnet\.\d+\.0\.bias|stn_head\.stn_fc1\.0\.bias)',
            name))


@pytest.fixture(scope='module')
def runs():
    cfg = Config.fromfile(CFG)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).double().train()
    start = {n: p.detach().clone() for n, p in model.named_parameters()}
    ref = copy.deepcopy(model)
    ref_noclip = copy.deepcopy(model)
    data = batches(3)

    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    for lr, hr in data:
        model.train_step(pack(lr, hr), wrapper)

    results = {'ours': updates(model, start)}
    for name, net, clip in (('official', ref, True),
                            ('official_noclip', ref_noclip, False)):
        opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.5, 0.999))
        for i, (lr, hr) in enumerate(data):
            grads = official_step(net, opt, lr, hr, clip=clip)
            if i == 0:
                results[f'{name}_grads'] = grads
        results[name] = updates(net, start)
    return cfg, results


def test_config_holds_the_official_recipe(runs):
    cfg, _ = runs
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=0.25)
    assert cfg.optim_wrapper.optimizer == dict(
        type='Adam', lr=1e-3, betas=(0.5, 0.999))
    assert cfg.model.loss.loss_weight == 100.
    assert (cfg.model.loss.mse_weight, cfg.model.loss.gradient_weight) == (
        1., 1e-4)
    assert cfg.train_dataloader.batch_size == 48
    assert cfg.train_dataloader.drop_last is True
    assert cfg.train_cfg.val_interval == 200
    assert cfg.default_hooks.checkpoint.save_best == 'mean/crnn_word_acc'


def test_three_steps_equal_tpgsr_loop(runs):
    _, res = runs
    grads = res['official_grads']
    noise = {k for k in grads if bias_before_batch_norm(k)}
    assert len(noise) == 2 * 5 + 1 + 6 + 1
    assert all(grads[k].abs().max() < 1e-12 for k in noise)
    # every parameter with a real gradient takes the official steps
    assert max_rel_diff(res['ours'], res['official'], noise) <= 1e-6
    # the gradient norm is far above 0.25, so the clip acts, and the
    # comparison can tell: without clipping the updates differ
    norm = torch.stack([g.norm() for g in grads.values()]).norm()
    assert norm > 10
    assert max_rel_diff(res['official_noclip'], res['official'], noise) > 1e-3
