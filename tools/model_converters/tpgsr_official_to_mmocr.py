"""Convert TPGSR's checkpoints (``mjq11302010044/TPGSR``) to the project's
TPGSR (``RecognizerGuidedSR`` with ``TPGSRNet``, ``configs/tpgsr/``).

TPGSR's training loop saves into its run folder (``ckpt/<vis_dir>/``), per
SR network, ``model_best_{i}.pth`` (``{'state_dict_G': ..., 'info': ...,
...}``; one file with ``--sr_share``) and, per stage, the student CRNN as
``recognizer_best_{i}.pth`` (a bare state dict). Give the run folder, or
the SR checkpoint and the students in stage order with ``--recognizer``.
The key map is :mod:`stisr_mmocr.converters.tpgsr`; the result is checked
against the model of ``--config`` (keys and shapes) before anything is
written, so ``tools/test.py CONFIG OUT`` loads it strictly.

Usage::

    python tools/model_converters/tpgsr_official_to_mmocr.py RUN_DIR OUT \\
        [--config configs/tpgsr/tpgsr_textzoom.py]
    python tools/model_converters/tpgsr_official_to_mmocr.py \\
        model_best_0.pth OUT --recognizer recognizer_best_0.pth \\
        [recognizer_best_1.pth ...] [--config CONFIG]
"""
import argparse
import glob
import os.path as osp
import re
from pathlib import Path
from typing import List

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmocr.registry import MODELS

import stisr_mmocr  # noqa: F401
from stisr_mmocr.converters import convert_tpgsr
from stisr_mmocr.engine import check_state_dict, read_checkpoint

CONFIG = str(
    Path(__file__).resolve().parents[2] / 'configs' / 'tpgsr' /
    'tpgsr_textzoom.py')


def run_files(run_dir: str, stem: str) -> List[str]:
    """``{stem}_{i}.pth`` of a TPGSR run folder, i = 0, 1, ... in order.

    Raises:
        FileNotFoundError: None, or the indices are not 0 .. n - 1.
    """
    found = {}
    for path in glob.glob(osp.join(run_dir, f'{stem}_*.pth')):
        m = re.fullmatch(rf'{stem}_(\d+)\.pth', osp.basename(path))
        if m:
            found[int(m.group(1))] = path
    if sorted(found) != list(range(len(found))) or not found:
        raise FileNotFoundError(
            f'{run_dir}: expected {stem}_0.pth ... {stem}_<n-1>.pth, found '
            f'{sorted(osp.basename(p) for p in found.values())}')
    return [found[i] for i in range(len(found))]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert TPGSR checkpoints (model_best_{i}.pth, '
        'recognizer_best_{i}.pth) to configs/tpgsr/',
        epilog='SRC is a TPGSR run folder (all its model_best_{i}.pth and '
        'recognizer_best_{i}.pth are read: one SR network with --sr_share, '
        'one student per stage) or the SR checkpoint model_best_0.pth, '
        'then with --recognizer the students of every stage in stage order '
        '(three for --stu_iter=3).')
    parser.add_argument('src', help='run folder, or model_best_0.pth')
    parser.add_argument('dst', help='output mmengine checkpoint')
    parser.add_argument('--recognizer', nargs='+', default=[],
                        help='recognizer_best_{i}.pth, one per stage, in '
                        'order (with an SR checkpoint as SRC)')
    parser.add_argument('--config', default=CONFIG,
                        help='config of the model the weights must fit')
    args = parser.parse_args()
    if osp.isfile(args.src) and not args.recognizer:
        parser.error('an SR checkpoint needs --recognizer (one per stage)')
    if osp.isdir(args.src) and args.recognizer:
        parser.error('a run folder holds the recognizers: drop --recognizer')
    return args


def main() -> None:
    args = parse_args()
    if osp.isdir(args.src):
        sr_files = run_files(args.src, 'model_best')
        recognizer_files = run_files(args.src, 'recognizer_best')
    else:
        sr_files, recognizer_files = [args.src], args.recognizer
    init_default_scope('mmocr')
    model = MODELS.build(Config.fromfile(args.config).model)
    dictionary = model.stage_modules(0)[0].decoder.dictionary
    state = convert_tpgsr([read_checkpoint(p) for p in sr_files],
                          [read_checkpoint(p) for p in recognizer_files],
                          dictionary)
    sources = dict(sr=sr_files, recognizer=recognizer_files)
    check_state_dict(model, state, f'{sources} (converted)')
    Path(args.dst).parent.mkdir(parents=True, exist_ok=True)
    torch.save(dict(state_dict=state,
                    meta=dict(source=sources, config=args.config)),
               args.dst)
    print(f'Saved {len(state)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
