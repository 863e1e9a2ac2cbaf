"""The README's demo: synthetic TextZoom -> TSRN trained on the CPU ->
PSNR/SSIM per subset beside Bicubic.

Usage:
    python tools/demo.py [--data-root data/synthetic_textzoom]
        [--work-dir work_dirs/demo] [--iters 300]
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SUBSETS = ('easy', 'medium', 'hard', 'avg')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data-root', default='data/synthetic_textzoom')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument('--iters', type=int, default=300)
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-test', type=int, default=300)
    return parser.parse_args()


def data_options(root: str) -> list:
    opts = [
        f'train_dataloader.dataset.datasets.{i}.data_root={root}/{split}'
        for i, split in enumerate(('train1', 'train2'))
    ]
    for key in ('val_dataloader', 'test_dataloader'):
        opts += [
            f'{key}.dataset.datasets.{i}.data_root={root}/test/{subset}'
            for i, subset in enumerate(SUBSETS[:3])
        ]
    return opts


def run(cmd: list) -> None:
    print('+', ' '.join(cmd), flush=True)
    env = dict(os.environ, PYTHONPATH=ROOT)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def metrics_of(work_dir: str) -> dict:
    logs = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    with open(logs[-1]) as f:
        return json.loads(f.readlines()[-1])


def main() -> None:
    args = parse_args()
    sys.path.insert(0, ROOT)
    from tools.dataset_converters.synth_textzoom import generate_textzoom
    if not osp.isdir(osp.join(args.data_root, 'test', 'hard')):
        generate_textzoom(
            args.data_root, num_train=args.num_train, num_test=args.num_test)
    data = data_options(args.data_root)
    tsrn_cfg = 'configs/tsrn/tsrn_synthetic-textzoom_demo.py'
    tsrn_dir = osp.join(args.work_dir, 'tsrn')
    run([
        sys.executable, 'tools/train.py', tsrn_cfg, '--work-dir', tsrn_dir,
        '--cfg-options', f'train_cfg.max_iters={args.iters}',
        f'train_cfg.val_interval={args.iters}',
        f'default_hooks.checkpoint.interval={args.iters}'
    ] + data)
    rows = {}
    for name, cfg, ckpt in (
        ('Bicubic', 'configs/bicubic/bicubic_synthetic-textzoom.py', None),
        ('TSRN', tsrn_cfg, osp.join(tsrn_dir, f'iter_{args.iters}.pth')),
    ):
        work = osp.join(args.work_dir, f'test_{name.lower()}')
        run([sys.executable, 'tools/test.py', cfg] + ([ckpt] if ckpt else []) +
            ['--work-dir', work, '--cfg-options'] +
            [o for o in data if not o.startswith('train')])
        rows[name] = metrics_of(work)
    header = f"{'model':<10}" + ''.join(f'{s + " PSNR/SSIM":>22}'
                                        for s in SUBSETS)
    print('\n' + header)
    for name, m in rows.items():
        cells = ''.join(
            f"{m[f'{s}/PSNR']:>13.2f} / {m[f'{s}/SSIM']:.4f}" for s in SUBSETS)
        print(f'{name:<10}{cells}')


if __name__ == '__main__':
    main()
