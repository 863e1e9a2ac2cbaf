"""Evaluate a text SR model (or a cascade) with an mmengine config.

Usage:
    python tools/test.py CONFIG [CHECKPOINT] [--work-dir DIR] [--amp]
        [--show-dir DIR] [--cfg-options k=v ...] [--launcher ...]

The run goes through :class:`stisr_mmocr.engine.StrictRunner`: the
checkpoints the config names are checked before the datasets are built,
and ``load_from`` / resume checkpoints load strictly (mismatches listed).
"""
import argparse
import os
import os.path as osp

import torch.distributed as dist
from mmengine.config import Config, DictAction

from stisr_mmocr.engine import StrictRunner, setup_cpu_distributed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a text SR model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint', nargs='?', help='checkpoint file (omit for models '
        'without weights, e.g. Bicubic, or weights set in the config)')
    parser.add_argument('--work-dir', help='the dir to save logs')
    parser.add_argument(
        '--amp', action='store_true', help='enable automatic mixed precision')
    parser.add_argument(
        '--show-dir',
        help='save LR | SR | HR pictures of every sample into this dir '
        '(relative to the work dir\'s timestamped folder)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. test_dataloader.batch_size=8')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.checkpoint is not None:
        cfg.load_from = args.checkpoint
    if args.amp:
        cfg.test_cfg = cfg.get('test_cfg') or dict(type='TestLoop')
        cfg.test_cfg.fp16 = True
    if args.show_dir:
        hooks = cfg.default_hooks
        if 'visualization' not in hooks:
            raise KeyError('--show-dir needs default_hooks.visualization '
                           '(TextSRVisualizationHook) in the config')
        hooks.visualization.enable = True
        hooks.visualization.show_dir = args.show_dir
    setup_cpu_distributed(cfg)
    runner = StrictRunner.from_cfg(cfg)
    runner.test()
    # End a distributed run cleanly: without this, gloo's worker threads
    # can outlive the interpreter and abort the process at exit (SIGABRT,
    # "terminate called without an active exception"). Only after success:
    # destroying the group while another rank is still in a collective can
    # hang.
    if dist.is_initialized():
        dist.destroy_process_group()


if __name__ == '__main__':
    main()
