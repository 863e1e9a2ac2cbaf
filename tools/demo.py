"""`make demo` (docs/demo.md): synthetic TextZoom -> TSRN trained on the
CPU with the official recipe -> PSNR/SSIM per subset beside Bicubic, and
the learning curve (PSNR of TSRN and of Bicubic against iterations) as a PNG.

Every run prints the same table: the data, the sampler and the weights are
seeded, and the CPU kernels used are deterministic.

Usage:
    python tools/demo.py [--data-root data/synthetic_textzoom]
        [--work-dir work_dirs/demo] [--iters N] [--val-interval N]
"""
import argparse
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SUBSETS = ('easy', 'medium', 'hard', 'avg')
CONFIG = 'configs/tsrn/tsrn_synthetic-textzoom_demo.py'
BICUBIC = 'configs/bicubic/bicubic_synthetic-textzoom.py'


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--data-root', default='data/synthetic_textzoom')
    parser.add_argument('--work-dir', default='work_dirs/demo')
    parser.add_argument(
        '--iters', type=int, help='training iterations (default: config)')
    parser.add_argument(
        '--val-interval',
        type=int,
        help='iterations between points of the curve (default: config)')
    parser.add_argument('--num-train', type=int, default=2000)
    parser.add_argument('--num-test', type=int, default=300)
    return parser.parse_args()


def data_options(root: str) -> List[str]:
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


def run(cmd: List[str]) -> None:
    print('+', ' '.join(cmd), flush=True)
    env = dict(os.environ, PYTHONPATH=ROOT)
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)


def json_logs(work_dir: str, pattern: str = '*.json') -> List[dict]:
    """Entries of the newest run's json log under ``work_dir`` (``pattern``
    relative to the run's folder)."""
    logs = sorted(glob.glob(osp.join(work_dir, '*', pattern)))
    if not logs:
        raise FileNotFoundError(f'no json log under {work_dir}')
    with open(logs[-1]) as f:
        return [json.loads(line) for line in f if line.strip()]


def plot_curve(curve: Dict[int, float], bicubic: float, path: str) -> None:
    """PSNR of the model at each validation against Bicubic's."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    iters = sorted(curve)
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=120)
    ax.plot(iters, [curve[i] for i in iters], 'o-', label='TSRN')
    ax.axhline(bicubic, color='tab:red', ls='--', label='Bicubic')
    ax.set_xlabel('training iteration')
    ax.set_ylabel('avg PSNR per image (dB)')
    ax.set_title('Synthetic TextZoom test subsets (make demo)')
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main() -> None:
    args = parse_args()
    start = time.time()
    from mmengine.config import Config
    from stisr_mmocr.datasets.synth_textzoom import generate_textzoom
    if not osp.isdir(osp.join(args.data_root, 'test', 'hard')):
        generate_textzoom(
            args.data_root, num_train=args.num_train, num_test=args.num_test)
    cfg = Config.fromfile(osp.join(ROOT, CONFIG))
    iters = args.iters or cfg.train_cfg.max_iters
    interval = args.val_interval or cfg.train_cfg.val_interval
    data = data_options(args.data_root)
    test_data = [o for o in data if not o.startswith('train')]

    rows = {}
    bicubic_dir = osp.join(args.work_dir, 'test_bicubic')
    run([
        sys.executable, 'tools/test.py', BICUBIC, '--work-dir', bicubic_dir,
        '--cfg-options'
    ] + test_data)
    rows['Bicubic'] = json_logs(bicubic_dir)[-1]

    tsrn_dir = osp.join(args.work_dir, 'tsrn')
    run([
        sys.executable, 'tools/train.py', CONFIG, '--work-dir', tsrn_dir,
        '--cfg-options', f'train_cfg.max_iters={iters}',
        f'train_cfg.val_interval={interval}',
        f'default_hooks.checkpoint.interval={iters}'
    ] + data)
    curve = {
        e['step']: e['avg/PSNR_per_image']
        for e in json_logs(tsrn_dir, 'vis_data/scalars.json')
        if 'avg/PSNR_per_image' in e
    }
    tsrn_test = osp.join(args.work_dir, 'test_tsrn')
    run([
        sys.executable, 'tools/test.py', CONFIG,
        osp.join(tsrn_dir, f'iter_{iters}.pth'), '--work-dir', tsrn_test,
        '--cfg-options'
    ] + test_data)
    rows['TSRN'] = json_logs(tsrn_test)[-1]
    png = osp.join(args.work_dir, 'learning_curve.png')
    plot_curve(curve, rows['Bicubic']['avg/PSNR_per_image'], png)

    header = f"{'model':<10}" + ''.join(f'{s + " PSNR/SSIM":>22}'
                                        for s in SUBSETS)
    print(f'\nPSNR (dB) / SSIM per image, {iters} iterations of '
          f'{osp.basename(CONFIG)}\n' + header)
    for name, m in rows.items():
        cells = ''.join(f"{m[f'{s}/PSNR_per_image']:>13.2f} / "
                        f"{m[f'{s}/SSIM_per_image']:.4f}" for s in SUBSETS)
        print(f'{name:<10}{cells}')
    print('\nlearning curve (avg PSNR per image, dB): ' + ', '.join(
        f'{i}: {v:.2f}' for i, v in sorted(curve.items())) +
          f'; Bicubic {rows["Bicubic"]["avg/PSNR_per_image"]:.2f}')
    print(f'curve: {png}; wall time {time.time() - start:.0f} s')


if __name__ == '__main__':
    main()
