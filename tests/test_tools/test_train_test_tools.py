"""tools/train.py, tools/test.py and tools/dist_train.sh end to end, as a
user runs them (subprocesses, real Runner, generated TextZoom LMDBs)."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

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


def test_train_then_test_tsrn(synthetic_textzoom, tmp_path):
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

    test_work = str(tmp_path / 'tsrn_test')
    run([sys.executable, 'tools/test.py', cfg, ckpt, '--work-dir', test_work,
         '--cfg-options'] + opts)
    metrics = last_metrics(test_work)
    for subset in ('easy', 'medium', 'hard', 'avg'):
        for protocol in ('per_image', 'per_batch'):
            assert 5 < metrics[f'{subset}/PSNR_{protocol}'] < 60
            assert -1 <= metrics[f'{subset}/SSIM_{protocol}'] <= 1


def test_bicubic_test_config(synthetic_textzoom, tmp_path):
    work = str(tmp_path / 'bicubic')
    opts = [o for o in data_options(synthetic_textzoom)
            if not o.startswith('train')] + [
                'test_dataloader.num_workers=0',
                'test_dataloader.persistent_workers=False',
                'val_dataloader.num_workers=0',
                'val_dataloader.persistent_workers=False'
            ]
    run([sys.executable, 'tools/test.py',
         'configs/bicubic/bicubic_synthetic-textzoom.py', '--work-dir', work,
         '--cfg-options'] + opts)
    metrics = last_metrics(work)
    # the generator degrades its subsets more and more
    assert metrics['easy/PSNR_per_image'] > metrics['hard/PSNR_per_image']


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
