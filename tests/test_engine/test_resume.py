import collections
import os
import pickle
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import stisr_mmocr  # noqa: F401
from stisr_mmocr.engine import StrictRunner, load_checkpoint_safely

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
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
    # mmengine's own Runner is left as it is: it cannot resume on torch 2.6+
    with pytest.raises(pickle.UnpicklingError):
        Runner.from_cfg(cfg.copy()).train()
    runner = StrictRunner.from_cfg(cfg)
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


# --- kill and resume: a killed run resumed in a fresh process continues
# --- exactly as the uninterrupted run

DEMO_CFG = os.path.join(ROOT, 'configs/tsrn/tsrn_synthetic-textzoom_demo.py')
TOTAL_ITERS = 6  # N: the uninterrupted run
KILL_AFTER = 3  # k: the interrupted run is killed once iter_k.pth is saved
LR_MILESTONE = 4  # the rate halves after iteration 4: inside (k, N]
# 10 pairs, batch 4, drop_last: 2 iterations an epoch, so the resume skips
# into the second epoch and the resumed stretch crosses into the third
LABELS = ['ab', 'cd', 'ef', 'gh', 'ij', 'kl', 'mn', 'op', 'qr', 'st']


def kill_resume_cfg(data_root: str, path: str) -> str:
    """The TSRN demo recipe (Adam 1e-3 (0.5, 0.999), gradient norm clipped
    to 0.25, x100 image loss, drop_last) at 16 channels and one block, on
    ``data_root``, saving every iteration; written to ``path``.

    The LR images go through STIRER's random down-scaling (``np.random``)
    so that the augmentation draws, too, must come back on resume, and the
    rate halves inside the resumed stretch, so the scheduler state must.
    """
    cfg = Config.fromfile(DEMO_CFG)
    cfg.model.update(num_blocks=1, hidden_channels=16)
    cfg.train_dataloader.update(
        batch_size=4, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset = dict(
        type='TextZoomDataset',
        data_root=data_root,
        pipeline=cfg.stirer_textzoom_train_pipeline)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=TOTAL_ITERS)
    for split in ('val', 'test'):
        for part in ('dataloader', 'cfg', 'evaluator'):
            cfg[f'{split}_{part}'] = None
    cfg.param_scheduler = [
        dict(type='MultiStepLR', milestones=[LR_MILESTONE], gamma=0.5,
             by_epoch=False)
    ]
    cfg.default_hooks.checkpoint.update(interval=1, max_keep_ckpts=-1)
    cfg.default_hooks.logger.interval = 1
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    cfg.dump(path)
    return path


def train_cmd(cfg_path: str, work_dir: str, *extra: str) -> list:
    return [
        sys.executable, 'tools/train.py', cfg_path, '--work-dir', work_dir
    ] + list(extra)


def train_env() -> dict:
    # one thread everywhere: every process runs the same kernels in the
    # same order, so the runs must agree bit for bit
    return dict(
        os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')


def run_train(cmd: list) -> None:
    proc = subprocess.run(
        cmd, cwd=ROOT, env=train_env(), capture_output=True, text=True,
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def read_fifo(path: str, proc: subprocess.Popen) -> str:
    """Open the FIFO ``path`` for reading, which lets a writer blocked in
    ``open`` go on, and return what it wrote; fail if ``proc`` dies
    first."""
    text = []

    def read() -> None:
        with open(path) as f:
            text.append(f.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 600
    while reader.is_alive():
        reader.join(0.05)
        if reader.is_alive() and (proc.poll() is not None
                                  or time.monotonic() > deadline):
            # a writer end lets the blocked reader through
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
            reader.join()
            pytest.fail(f'training stopped (rc {proc.poll()}) before it '
                        'saved the checkpoint to be killed after')
    return text[0]


def train_and_kill(cfg_path: str, work_dir: str, kill_after: int) -> None:
    """Train in a subprocess and SIGKILL it once checkpoint ``kill_after``
    is saved.

    ``last_checkpoint`` is made a FIFO: the CheckpointHook writes it right
    after each checkpoint and blocks in ``open`` until this side reads, so
    the run cannot get past the checkpoint after ``kill_after`` whatever the
    scheduling, and it is killed in the middle of its training loop.
    """
    os.makedirs(work_dir)
    fifo = os.path.join(work_dir, 'last_checkpoint')
    os.mkfifo(fifo)
    log_path = os.path.join(os.path.dirname(work_dir), 'killed.log')
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(
            train_cmd(cfg_path, work_dir),
            cwd=ROOT, env=train_env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        for it in range(1, kill_after + 1):
            written = read_fifo(fifo, proc)
            assert written.endswith(f'iter_{it}.pth'), written
    except BaseException:
        proc.kill()
        proc.wait()
        with open(log_path) as log:
            print(log.read()[-3000:])
        raise
    proc.kill()
    proc.wait()
    assert proc.returncode == -signal.SIGKILL


def history(ckpt: dict, name: str) -> np.ndarray:
    """Per-iteration values of a logged scalar (``train/loss``, ...)."""
    return ckpt['message_hub']['log_scalars'][name].data[0]


def state_differences(got: dict, want: dict) -> list:
    """Names of the parts of two training checkpoints that differ: model
    weights, Adam moments and step counts, learning rates, scheduler
    state, iteration counter and the per-iteration loss / rate / gradient
    norm logs (the loss of an iteration is computed on its batch before
    the update, so it pins the data order)."""
    diffs = []
    if got['state_dict'].keys() != want['state_dict'].keys():
        diffs.append('state_dict keys')
    diffs += [
        f'weight {k}' for k, v in want['state_dict'].items()
        if k in got['state_dict'] and not torch.equal(got['state_dict'][k], v)
    ]
    got_opt, want_opt = got['optimizer'], want['optimizer']
    if got_opt['param_groups'] != want_opt['param_groups']:
        diffs.append('optimizer param_groups (lr, betas, ...)')
    if got_opt['state'].keys() != want_opt['state'].keys():
        diffs.append('optimizer state keys')
    for idx, want_state in want_opt['state'].items():
        got_state = got_opt['state'].get(idx, {})
        for key, value in want_state.items():
            if key not in got_state or not torch.equal(got_state[key], value):
                diffs.append(f'optimizer state {idx}.{key}')
    if got['param_schedulers'] != want['param_schedulers']:
        diffs.append('param_schedulers')
    for key in ('iter', 'epoch', 'seed'):
        if got['meta'][key] != want['meta'][key]:
            diffs.append(f'meta {key}')
    for name in ('train/loss', 'train/lr', 'train/grad_norm'):
        if not np.array_equal(history(got, name), history(want, name)):
            diffs.append(f'log {name}')
    return diffs


def test_killed_run_resumes_exactly(make_textzoom, tmp_path):
    """Train N iterations uninterrupted; train again with the same
    config, SIGKILL the process once iteration k's checkpoint is saved,
    resume from it with ``tools/train.py --resume CKPT`` in a fresh process
    and train on to N.
    Every iteration after k must then equal the uninterrupted run bit for
    bit: same threads, same kernels, same data, so on the CPU anything but
    equality means some state was lost. Resuming from the same checkpoint
    without its optimizer state (Adam's moments and step) makes this test
    fail (weights, moments and losses differ from iteration k + 1 on)."""
    root = make_textzoom(labels=LABELS)
    cfg_path = kill_resume_cfg(root, str(tmp_path / 'tsrn_resume.py'))
    straight = str(tmp_path / 'straight')
    killed = str(tmp_path / 'killed')
    resumed = str(tmp_path / 'resumed')

    run_train(train_cmd(cfg_path, straight))
    train_and_kill(cfg_path, killed, KILL_AFTER)
    ckpt_k = os.path.join(killed, f'iter_{KILL_AFTER}.pth')
    run_train(train_cmd(cfg_path, resumed, '--resume', ckpt_k))

    # the killed run up to k, and the resumed run from k + 1, equal the
    # uninterrupted one
    assert state_differences(
        load_checkpoint_safely(ckpt_k),
        load_checkpoint_safely(
            os.path.join(straight, f'iter_{KILL_AFTER}.pth'))) == []
    for it in range(KILL_AFTER + 1, TOTAL_ITERS + 1):
        want = load_checkpoint_safely(os.path.join(straight, f'iter_{it}.pth'))
        got = load_checkpoint_safely(os.path.join(resumed, f'iter_{it}.pth'))
        assert state_differences(got, want) == [], f'iteration {it}'
        assert got['meta']['iter'] == it
        assert adam_steps(got) == {it}
        assert len(history(got, 'train/loss')) == it
    final = load_checkpoint_safely(
        os.path.join(resumed, f'iter_{TOTAL_ITERS}.pth'))
    # the rate halved after iteration 4: 1e-3 for 1-4, then 5e-4
    np.testing.assert_array_equal(
        history(final, 'train/lr'), [1e-3] * 4 + [5e-4] * 2)
    assert final['optimizer']['param_groups'][0]['lr'] == 5e-4
    # only iterations k + 1 .. N were trained after the resume
    assert not os.path.exists(os.path.join(resumed, f'iter_{KILL_AFTER}.pth'))
