import collections
import os
import pickle

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import stisr_mmocr  # noqa: F401
from stisr_mmocr.engine import load_checkpoint_safely

PIPELINE = [
    dict(type='DecodeTextImages'),
    dict(type='ResizeLRHR'),
    dict(type='AddMaskChannel'),
    dict(type='PackTextSRInputs'),
]


def tiny_cfg(root, work_dir, max_iters):
    return Config(
        dict(
            default_scope='mmocr',
            model=dict(
                type='TSRN', num_blocks=1, hidden_channels=16, use_stn=False),
            work_dir=work_dir,
            train_dataloader=dict(
                batch_size=2,
                num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=True),
                collate_fn=dict(type='default_collate'),
                dataset=dict(
                    type='TextZoomDataset', data_root=root,
                    pipeline=PIPELINE)),
            train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters),
            optim_wrapper=dict(
                type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)),
            default_hooks=dict(
                checkpoint=dict(
                    type='CheckpointHook', interval=2, by_epoch=False),
                logger=dict(type='LoggerHook', interval=1)),
            log_processor=dict(by_epoch=False),
            randomness=dict(seed=0),
            env_cfg=dict(dist_cfg=dict(backend='gloo')),
        ))


def adam_steps(ckpt):
    state = ckpt['optimizer']['state']
    return {int(s['step']) for s in state.values()}


def test_resume_restores_iteration_and_optimizer(make_textzoom, tmp_path):
    root = make_textzoom(labels=['ab', 'cd', 'ef', 'gh'])
    work = str(tmp_path / 'work')
    Runner.from_cfg(tiny_cfg(root, work, 4)).train()
    ckpt_path = os.path.join(work, 'iter_4.pth')
    ckpt = load_checkpoint_safely(ckpt_path)
    assert ckpt['meta']['iter'] == 4
    assert adam_steps(ckpt) == {4}
    # the stock loader (weights_only=True) rejects this checkpoint
    with pytest.raises(pickle.UnpicklingError):
        torch.load(ckpt_path)

    cfg = tiny_cfg(root, work, 6)
    cfg.resume = True
    cfg.load_from = ckpt_path
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 6
    final = load_checkpoint_safely(os.path.join(work, 'iter_6.pth'))
    # 4 restored Adam steps + 2 new ones: the optimizer state came back
    assert adam_steps(final) == {6}
    assert final['meta']['iter'] == 6


class Evil:

    def __reduce__(self):
        return (os.system, ('echo pwned',))


def test_restricted_unpickler_rejects_other_globals(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'x': Evil()}, path)
    with pytest.raises(pickle.UnpicklingError, match='not allowed'):
        load_checkpoint_safely(path)


def test_getattr_only_for_history_buffer_statistics(tmp_path):
    path = str(tmp_path / 'getattr.pth')

    class Sneaky:

        def __reduce__(self):
            # OrderedDict itself is allowed; fetching attributes from it is not
            return (getattr, (collections.OrderedDict, 'fromkeys'))

    torch.save({'x': Sneaky()}, path)
    with pytest.raises(pickle.UnpicklingError, match='getattr'):
        load_checkpoint_safely(path)
