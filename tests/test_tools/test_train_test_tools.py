"""tools/train.py, tools/test.py and tools/dist_train.sh end to end, as a
user runs them (subprocesses, real Runner, generated TextZoom LMDBs); the
metrics tools/test.py reports are checked against the float64 reference of
``tests/reference_metrics.py`` over the same LMDBs."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import torch
from mmengine.config import Config
from mmocr.registry import MODELS

from .. import reference_metrics as ref

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def data_options(root):
    """--cfg-options pointing the synthetic configs at ``root``."""
    opts = []
    for i, split in enumerate(('train1', 'train2')):
        opts.append(f'train_dataloader.dataset.datasets.{i}.data_root='
                    f'{root}/{split}')
    for i, subset in enumerate(('easy', 'medium', 'hard')):
        opts.append(f'test_dataloader.dataset.datasets.{i}.data_root='
                    f'{root}/test/{subset}')
        opts.append(f'val_dataloader.dataset.datasets.{i}.data_root='
                    f'{root}/test/{subset}')
    return opts


def run(args, **kwargs):
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def last_metrics(work_dir):
    """The metrics dict that mmengine wrote for the last val/test run."""
    files = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    assert files, f'no json log under {work_dir}'
    with open(files[-1]) as f:
        return json.loads(f.readlines()[-1])


def sr_of(model, lr: np.ndarray) -> np.ndarray:
    """The model's raw output on float64 LR inputs, as float64."""
    with torch.no_grad():
        out = model(torch.from_numpy(lr).float(), mode='tensor')
    return out.double().numpy()


def reference_of(root, super_resolve, sizes=None, batch_size=48):
    """Reference metrics of ``super_resolve`` (float64 (N, 4, 16, 64) LR ->
    (N, C, 32, 128) SR) on the test subsets under ``root``: both protocols
    (per batch of ``batch_size``) per subset, ``avg/`` and ``mean/``.
    ``sizes`` cuts subsets to their first records."""
    per_subset, counts = {}, {}
    for subset, path in ref.subset_dirs(root).items():
        _, lr, hr = ref.textzoom_pairs(path, (sizes or {}).get(subset))
        per_subset[subset] = ref.subset_metrics(
            super_resolve(lr), hr, batch_size)
        counts[subset] = len(lr)
    return ref.with_averages(per_subset, counts)


def test_train_then_test_tsrn(synthetic_textzoom, tmp_path):
    """Train, resume, then test a checkpoint: tools/test.py reports the
    reference metrics of that checkpoint's output (and not another's)."""
    work = str(tmp_path / 'tsrn')
    cfg = 'configs/tsrn/tsrn_synthetic-textzoom_demo.py'
    opts = data_options(synthetic_textzoom) + [
        'train_cfg.val_interval=4',
        'default_hooks.checkpoint.interval=4',
        'train_dataloader.batch_size=4', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'model.num_blocks=1', 'model.hidden_channels=16'
    ]
    run([sys.executable, 'tools/train.py', cfg, '--work-dir', work,
         '--cfg-options', 'train_cfg.max_iters=4'] + opts)
    ckpt = osp.join(work, 'iter_4.pth')
    assert osp.isfile(ckpt)
    # resume from the work dir's latest checkpoint and go on to 6 iterations
    run([sys.executable, 'tools/train.py', cfg, '--work-dir', work,
         '--resume', '--cfg-options', 'train_cfg.max_iters=6'] + opts)
    assert osp.isfile(osp.join(work, 'iter_6.pth'))

    # per batch of 5 instead of 48: 16 images per subset make batches of
    # 5, 5, 5 and 1, so the grouping (restarting at every subset) counts
    test_work = str(tmp_path / 'tsrn_test')
    run([sys.executable, 'tools/test.py', cfg, ckpt, '--work-dir', test_work,
         '--cfg-options'] + opts + [
             'test_evaluator.metrics.2.batch_size=5',
             'test_evaluator.metrics.3.batch_size=5'
         ])
    # the same checkpoint, loaded here with torch alone, run on the LR
    # inputs made by the float64 reference from the LMDBs, and scored by the
    # reference metrics: what tools/test.py reports for iter_4.pth
    model_cfg = Config.fromfile(osp.join(ROOT, cfg)).model
    model_cfg.update(num_blocks=1, hidden_channels=16)
    expected = {}
    for name in ('iter_4.pth', 'iter_6.pth'):
        model = MODELS.build(model_cfg)
        model.load_state_dict(
            torch.load(osp.join(work, name), map_location='cpu',
                       weights_only=False)['state_dict'])
        model.eval()
        expected[name] = reference_of(
            synthetic_textzoom, lambda lr: sr_of(model, lr), batch_size=5)
    ref.assert_metrics_match(last_metrics(test_work), expected['iter_4.pth'])
    # the reference tells the two checkpoints apart by far more than the
    # tolerance: a test run on the wrong weights would fail
    assert abs(expected['iter_4.pth']['avg/PSNR_per_image'] -
               expected['iter_6.pth']['avg/PSNR_per_image']) > 1e-2


def test_bicubic_test_config(synthetic_textzoom, tmp_path):
    """Every metric of the shipped Bicubic config equals the float64
    reference: PIL-bicubic 64x16 / 128x32 inputs, torch's bicubic x2
    (A = -0.75, align_corners=False), per image on the clamped output, per
    batch of 48 on the raw output. Medium and hard are cut to 10 and 13
    records so that ``avg/`` (weighted by size) and ``mean/`` differ."""
    work = str(tmp_path / 'bicubic')
    sizes = dict(medium=10, hard=13)
    opts = [o for o in data_options(synthetic_textzoom)
            if not o.startswith('train')] + [
                'test_dataloader.num_workers=0',
                'test_dataloader.persistent_workers=False',
                'val_dataloader.num_workers=0',
                'val_dataloader.persistent_workers=False',
            ] + [
                f'test_dataloader.dataset.datasets.{i}.indices={sizes[s]}'
                for i, s in ((1, 'medium'), (2, 'hard'))
            ]
    run([sys.executable, 'tools/test.py',
         'configs/bicubic/bicubic_synthetic-textzoom.py', '--work-dir', work,
         '--cfg-options'] + opts)
    expected = reference_of(
        synthetic_textzoom,
        lambda lr: ref.torch_bicubic(lr, scale_factor=2),
        sizes=sizes)
    assert abs(expected['avg/PSNR_per_image'] -
               expected['mean/PSNR_per_image']) > 1e-3
    ref.assert_metrics_match(last_metrics(work), expected)


def test_dist_train_two_cpu_processes(synthetic_textzoom, tmp_path):
    work = str(tmp_path / 'ddp')
    opts = data_options(synthetic_textzoom) + [
        'train_cfg.max_iters=3', 'train_cfg.val_interval=3',
        'default_hooks.checkpoint.interval=3',
        'train_dataloader.batch_size=2', 'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False',
        'model.num_blocks=1', 'model.hidden_channels=16'
    ]
    env_port = dict(os.environ, PORT='29617', PYTHON=sys.executable,
                    PYTHONPATH=ROOT)
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh',
         'configs/tsrn/tsrn_synthetic-textzoom_demo.py', '2', '--work-dir',
         work, '--cfg-options'] + opts,
        cwd=ROOT, env=env_port, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert osp.isfile(osp.join(work, 'iter_3.pth'))
    assert 'world_size: 2' in out or 'world_size=2' in out or \
        'Distributed training: True' in out, out[-3000:]
