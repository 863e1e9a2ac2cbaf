"""MultiStepSharedLR: the learning-rate drop of STIRER's train.py /
train_ft.py, and the two stage configs' schedules."""
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmocr.registry import PARAM_SCHEDULERS

from ..conftest import ROOT


def two_groups():
    """train.py's optimizer: the base group at 1e-4, the SR heads at
    5e-4."""
    base, heads = nn.Parameter(torch.zeros(1)), nn.Parameter(torch.zeros(1))
    return torch.optim.AdamW([{
        'params': [base]
    }, {
        'params': [heads],
        'lr': 5e-4
    }],
                             lr=1e-4)


def official_drop(rates):
    """train.py: lr = param_groups[0]['lr']; every group gets lr / 2."""
    return [rates[0] / 2] * len(rates)


def run(optimizer, scheduler, steps):
    rates = []
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        rates.append([g['lr'] for g in optimizer.param_groups])
    return rates


def test_every_group_gets_half_the_first_groups_rate():
    optimizer = two_groups()
    scheduler = PARAM_SCHEDULERS.build(
        dict(type='MultiStepSharedLR',
             optimizer=optimizer,
             milestones=[3, 5],
             gamma=0.5,
             by_epoch=False))
    rates = run(optimizer, scheduler, 6)
    # scheduler.step() after step k sets the rate of step k + 1
    assert rates[0] == rates[1] == [1e-4, 5e-4]
    assert rates[2] == rates[3] == pytest.approx([5e-5, 5e-5])
    assert rates[4] == rates[5] == pytest.approx([2.5e-5, 2.5e-5])
    assert official_drop([1e-4, 5e-4]) == pytest.approx(rates[2])


def test_multistep_lr_would_keep_the_ratio():
    optimizer = two_groups()
    scheduler = PARAM_SCHEDULERS.build(
        dict(type='MultiStepLR',
             optimizer=optimizer,
             milestones=[1],
             gamma=0.5,
             by_epoch=False))
    assert run(optimizer, scheduler, 1)[0] == pytest.approx([5e-5, 2.5e-4])


def test_state_dict_round_trip():
    optimizer = two_groups()
    cfg = dict(type='MultiStepSharedLR',
               milestones=[2],
               gamma=0.5,
               by_epoch=False)
    scheduler = PARAM_SCHEDULERS.build(dict(cfg, optimizer=optimizer))
    run(optimizer, scheduler, 1)
    state = scheduler.state_dict()
    resumed_opt = two_groups()
    resumed = PARAM_SCHEDULERS.build(dict(cfg, optimizer=resumed_opt))
    resumed.load_state_dict(state)
    assert run(resumed_opt, resumed, 1)[0] == pytest.approx([5e-5, 5e-5])


def test_first_group_must_be_at_the_base_rate():
    params = [nn.Parameter(torch.zeros(1)) for _ in range(2)]
    optimizer = torch.optim.AdamW([{
        'params': [params[0]],
        'lr': 5e-4
    }, {
        'params': [params[1]]
    }],
                                  lr=1e-4)
    with pytest.raises(ValueError, match='paramwise_cfg'):
        PARAM_SCHEDULERS.build(
            dict(type='MultiStepSharedLR',
                 optimizer=optimizer,
                 milestones=[1],
                 by_epoch=False))


class HeadsAndBody(nn.Module):
    """Parameter names as STIRER's: SR heads (*upsample*,
    *conv_after_body*) and the rest."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(2, 2)
        self.upsample = nn.Linear(2, 2)
        self.conv_after_body = nn.Linear(2, 2)


@pytest.mark.parametrize(
    'name, rates, milestone, dropped, max_iters, val_interval',
    [
        # train.py: AdamW 1e-4, heads 5e-4, 8 epochs of 49,794 batches,
        # drop after epoch index 4, eval every 500 iterations
        ('stirer_stage1_synth-mjst', (1e-4, 5e-4), 248970, 5e-5, 398352, 500),
        # train_ft.py: AdamW 5e-5, heads 1e-3, 500 epochs of 361 batches,
        # drop after epoch index 200, eval every 100 iterations
        ('stirer_stage2_textzoom', (5e-5, 1e-3), 72561, 2.5e-5, 180500, 100),
    ])
def test_stage_schedules(name, rates, milestone, dropped, max_iters,
                         val_interval):
    cfg = Config.fromfile(osp.join(ROOT, f'configs/stirer/{name}.py'))
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    assert cfg.train_cfg.max_iters == max_iters
    assert cfg.train_cfg.val_interval == val_interval
    assert cfg.train_dataloader.drop_last
    hook = cfg.default_hooks.checkpoint
    assert (hook.save_best, hook.rule, hook.by_epoch) == ('mean/word_acc',
                                                          'greater', False)

    model = HeadsAndBody()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    (sched_cfg, ) = cfg.param_scheduler
    scheduler = PARAM_SCHEDULERS.build(dict(sched_cfg, optimizer=wrapper))

    def lr_of(param):
        (group, ) = [
            g for g in wrapper.optimizer.param_groups
            if any(p is param for p in g['params'])
        ]
        return group['lr']

    heads = [model.upsample.weight, model.conv_after_body.weight]
    assert lr_of(model.body.weight) == pytest.approx(rates[0])
    assert [lr_of(p) for p in heads] == pytest.approx([rates[1]] * 2)
    # jump to just before the milestone, then take one step
    scheduler.last_step = milestone - 2
    scheduler.step()
    assert lr_of(model.upsample.weight) == pytest.approx(rates[1])
    scheduler.step()
    for p in [model.body.weight] + heads:
        assert lr_of(p) == pytest.approx(dropped)
