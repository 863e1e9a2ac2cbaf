"""Convert a TSRN checkpoint of TextZoom / TPGSR to this project's TSRN.

The official ``TSRN`` (TextZoom ``src/model/tsrn.py``, TPGSR
``model/tsrn.py``) numbers its stages ``block1`` ... ``block{n + 3}`` for
``n`` residual blocks; the project's ``TSRNNet`` (the ``generator`` of the
``TSRN`` model) names them by role:

- ``block1.*`` -> ``generator.block1.*`` (9x9 conv + PReLU)
- ``block{k}.*``, k = 2 .. n + 1 -> ``generator.srb.{k - 2}.*`` (residual
  blocks; the inner names ``conv1/bn1/gru1/conv2/bn2/gru2`` are the same)
- ``block{n + 2}.*`` -> ``generator.block_tail.*`` (3x3 conv + BN)
- ``block{n + 3}.*`` -> ``generator.upsample.*`` (pixel-shuffle blocks +
  9x9 conv)
- ``stn_head.*`` -> ``generator.stn_head.*``
- ``tps.{inverse_kernel, padding_matrix, target_coordinate_repr,
  target_control_points}``: constant buffers of the TPS grid, recomputed by
  the project's ``TPSSpatialTransformer``; dropped.

Checkpoints are the TPGSR layout (a dict with ``state_dict_G``) or a bare
state dict; a DataParallel ``module.`` prefix is removed. The result is
checked against the model of ``--config`` (keys and shapes) before anything
is written, so ``load_from`` / ``tools/test.py`` load it strictly.

Usage: ``python tools/model_converters/tsrn_official_to_mmocr.py IN OUT
[--config configs/tsrn/tsrn_textzoom.py]``
"""
import argparse
import re
from collections import OrderedDict
from pathlib import Path
from typing import Dict

import torch
from mmengine.config import Config
from mmocr.registry import MODELS
from mmocr.utils import register_all_modules

from stisr_mmocr.engine import check_state_dict

CONFIG = str(
    Path(__file__).resolve().parents[2] / 'configs' / 'tsrn' /
    'tsrn_textzoom.py')
TPS_BUFFERS = ('inverse_kernel', 'padding_matrix', 'target_coordinate_repr',
               'target_control_points')


def official_state_dict(checkpoint: dict, path: str = '<checkpoint>') -> dict:
    """The generator's state dict of a TPGSR-layout checkpoint.

    Args:
        checkpoint (dict): ``{'state_dict_G': ...}`` or a bare state dict.
        path (str): File name for error messages.

    Returns:
        dict: Key -> tensor, without a ``module.`` prefix.
    """
    state = checkpoint.get('state_dict_G', checkpoint)
    if not isinstance(state, dict) or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f'{path}: expected a state dict or a dict with '
                         "'state_dict_G' of tensors, got keys "
                         f'{sorted(checkpoint)[:10]}')
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k,
                        v) for k, v in state.items())


def tsrn_key_map(keys, prefix: str = '') -> Dict[str, str]:
    """Official TSRN key -> project key for the given official keys.

    Args:
        keys (Iterable[str]): Keys of an official TSRN state dict.
        prefix (str): Prefix of the project keys (e.g. ``'generator.'``).

    Returns:
        dict: Official key -> project key; TPS buffers are left out and
        keys outside the TSRN layout are not in the map.
    """
    keys = list(keys)
    blocks = {int(m.group(1)) for k in keys
              for m in [re.match(r'block(\d+)\.', k)] if m}
    if not blocks or blocks != set(range(1, max(blocks) + 1)) or \
            max(blocks) < 4:
        raise KeyError('not a TSRN state dict: block indices '
                       f'{sorted(blocks)}, expected 1..n+3')
    num_blocks = max(blocks) - 3
    names = {1: 'block1', num_blocks + 2: 'block_tail',
             num_blocks + 3: 'upsample'}
    names.update({k: f'srb.{k - 2}' for k in range(2, num_blocks + 2)})
    out = {}
    for key in keys:
        m = re.match(r'block(\d+)\.(.*)', key)
        if m:
            out[key] = f'{prefix}{names[int(m.group(1))]}.{m.group(2)}'
        elif key.startswith('stn_head.'):
            out[key] = prefix + key
    return out


def convert_tsrn(state: dict, path: str = '<checkpoint>') -> OrderedDict:
    """Convert an official TSRN state dict (see the module docstring).

    Raises:
        KeyError: Keys outside the TSRN layout, listed.
    """
    key_map = tsrn_key_map(state, prefix='generator.')
    tps = {f'tps.{b}' for b in TPS_BUFFERS}
    unexpected = sorted(set(state) - set(key_map) - tps)
    if unexpected:
        raise KeyError(f'{path}: keys outside the TSRN layout: {unexpected}')
    return OrderedDict((key_map[k], v) for k, v in state.items()
                       if k in key_map)


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
    checkpoint = torch.load(args.src, map_location='cpu', weights_only=True)
    state = convert_tsrn(official_state_dict(checkpoint, args.src), args.src)
    check_against_config(state, args.config, args.src)
    Path(args.dst).parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        dict(state_dict=state, meta=dict(source=f'official TSRN {args.src}')),
        args.dst)
    print(f'Saved {len(state)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
