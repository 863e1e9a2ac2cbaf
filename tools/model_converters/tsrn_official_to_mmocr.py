"""Convert a TSRN checkpoint of TextZoom / TPGSR to this project's TSRN.

The official ``TSRN`` numbers its stages ``block1`` ... ``block{n + 3}``;
the project's ``TSRNNet`` (the ``generator`` of the ``TSRN`` model) names
them by role (``block1``, ``srb.{i}``, ``block_tail``, ``upsample``,
``stn_head``); the key map is :mod:`stisr_mmocr.converters.tsrn`'s, and the
constant TPS buffers are dropped (``TPSSpatialTransformer`` recomputes
them).

Checkpoints are the TPGSR layout (a dict with ``state_dict_G``) or a bare
state dict; a DataParallel ``module.`` prefix is removed. The result is
checked against the model of ``--config`` (keys and shapes) before anything
is written, so ``load_from`` / ``tools/test.py`` load it strictly.

Usage: ``python tools/model_converters/tsrn_official_to_mmocr.py IN OUT
[--config configs/tsrn/tsrn_textzoom.py]``
"""
import argparse
from pathlib import Path

import torch
from mmengine.config import Config
from mmocr.registry import MODELS
from mmocr.utils import register_all_modules

from stisr_mmocr.converters import convert_tsrn, official_state_dict
from stisr_mmocr.engine import check_state_dict, load_checkpoint_safely

CONFIG = str(
    Path(__file__).resolve().parents[2] / 'configs' / 'tsrn' /
    'tsrn_textzoom.py')


def check_against_config(state: dict, config: str, path: str) -> None:
    """Raise, listing keys, unless ``state`` fits the model of ``config``
    exactly (keys and shapes)."""
    register_all_modules(init_default_scope=True)
    model = MODELS.build(Config.fromfile(config).model)
    check_state_dict(model, state, f'{path} (converted)')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a TextZoom / TPGSR TSRN checkpoint')
    parser.add_argument('src', help='official checkpoint (e.g. model_best.pth)')
    parser.add_argument('dst', help='output mmengine checkpoint')
    parser.add_argument(
        '--config', default=CONFIG, help='config of the target model')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    checkpoint = load_checkpoint_safely(args.src, map_location='cpu')
    state = convert_tsrn(official_state_dict(checkpoint, args.src), args.src)
    check_against_config(state, args.config, args.src)
    Path(args.dst).parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        dict(state_dict=state, meta=dict(source=f'official TSRN {args.src}')),
        args.dst)
    print(f'Saved {len(state)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
