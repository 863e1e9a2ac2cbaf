"""The command line shared by the converters of TPGSR-code-base runs
(``tools/model_converters/{tpgsr,tatt}_official_to_mmocr.py``)."""
import argparse
import glob
import os.path as osp
import re
from pathlib import Path
from typing import Callable, List, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmocr.registry import MODELS

from stisr_mmocr.engine import check_state_dict, read_checkpoint


def run_files(run_dir: str, stem: str) -> List[str]:
    """``{stem}_{i}.pth`` of a run folder, i = 0, 1, ... in order.

    Raises:
        FileNotFoundError: None, or the indices are not 0 .. n - 1.
    """
    found = {}
    for path in glob.glob(osp.join(run_dir, f'{stem}_*.pth')):
        m = re.fullmatch(rf'{re.escape(stem)}_(\d+)\.pth', osp.basename(path))
        if m:
            found[int(m.group(1))] = path
    if sorted(found) != list(range(len(found))) or not found:
        raise FileNotFoundError(
            f'{run_dir}: expected {stem}_0.pth ... {stem}_<n-1>.pth, found '
            f'{sorted(osp.basename(p) for p in found.values())}')
    return [found[i] for i in range(len(found))]


def parse_args(method: str,
               sr_stem: str,
               recognizer_stem: str,
               config: str,
               argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """The arguments of a converter: ``src``, ``dst``, ``--recognizer``,
    ``--config``.

    Args:
        method (str): Method name for the help text (``'TPGSR'``).
        sr_stem (str): Stem of the SR checkpoints (``'model_best'``).
        recognizer_stem (str): Stem of the students (``'recognizer_best'``).
        config (str): Default ``--config``.
        argv (Sequence[str], optional): Arguments; ``sys.argv`` if None.
    """
    sr0, rec = f'{sr_stem}_0.pth', f'{recognizer_stem}_{{i}}.pth'
    parser = argparse.ArgumentParser(
        description=f'Convert {method} checkpoints ({sr_stem}_{{i}}.pth, '
        f'{rec}) to the layout of --config',
        epilog=f'SRC is a {method} run folder (all its {sr_stem}_{{i}}.pth '
        f'and {rec} are read: one SR network with --sr_share, one student '
        f'per stage) or the SR checkpoint {sr0}, then with --recognizer the '
        'students of every stage in stage order (three for --stu_iter=3). '
        'The result is checked against the model of --config (keys and '
        'shapes) before anything is written.')
    parser.add_argument('src', help=f'run folder, or {sr0}')
    parser.add_argument('dst', help='output mmengine checkpoint')
    parser.add_argument('--recognizer', nargs='+', default=[],
                        help=f'{rec}, one per stage, in order (with an SR '
                        'checkpoint as SRC)')
    parser.add_argument('--config', default=config,
                        help='config of the model the weights must fit '
                        f'(default: {config})')
    args = parser.parse_args(argv)
    if osp.isfile(args.src) and not args.recognizer:
        parser.error('an SR checkpoint needs --recognizer (one per stage)')
    if osp.isdir(args.src) and args.recognizer:
        parser.error('a run folder holds the recognizers: drop --recognizer')
    return args


def convert_run(args: argparse.Namespace, convert: Callable, sr_stem: str,
                recognizer_stem: str) -> None:
    """Convert the files named by :func:`parse_args`'s ``args``, check them
    against the model of ``args.config`` and save.

    Args:
        args (argparse.Namespace): From :func:`parse_args`.
        convert (Callable): ``(sr_checkpoints, recognizer_checkpoints,
            dictionary)`` -> state dict (e.g. ``convert_tpgsr``).
        sr_stem (str): Stem of the SR checkpoints of a run folder.
        recognizer_stem (str): Stem of its students.
    """
    if osp.isdir(args.src):
        sr_files = run_files(args.src, sr_stem)
        recognizer_files = run_files(args.src, recognizer_stem)
    else:
        sr_files, recognizer_files = [args.src], args.recognizer
    init_default_scope('mmocr')
    model = MODELS.build(Config.fromfile(args.config).model)
    dictionary = model.stage_modules(0)[0].decoder.dictionary
    state = convert([read_checkpoint(p) for p in sr_files],
                    [read_checkpoint(p) for p in recognizer_files],
                    dictionary)
    sources = dict(sr=sr_files, recognizer=recognizer_files)
    check_state_dict(model, state, f'{sources} (converted)')
    Path(args.dst).parent.mkdir(parents=True, exist_ok=True)
    torch.save(dict(state_dict=state,
                    meta=dict(source=sources, config=args.config)),
               args.dst)
    print(f'Saved {len(state)} tensors to {args.dst}')
