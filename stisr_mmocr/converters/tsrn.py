"""TSRN checkpoints of TextZoom / TPGSR in the layout of ``TSRNNet``.

The official ``TSRN`` (TextZoom ``src/model/tsrn.py``, TPGSR
``model/tsrn.py``) numbers its stages ``block1`` ... ``block{n + 3}`` for
``n`` residual blocks; ``TSRNNet`` names them by role:

- ``block1.*`` -> ``block1.*`` (9x9 conv + PReLU)
- ``block{k}.*``, k = 2 .. n + 1 -> ``srb.{k - 2}.*`` (residual blocks; the
  inner names ``conv1/bn1/gru1/conv2/bn2/gru2`` are the same)
- ``block{n + 2}.*`` -> ``block_tail.*`` (3x3 conv + BN)
- ``block{n + 3}.*`` -> ``upsample.*`` (pixel-shuffle blocks + 9x9 conv)
- ``stn_head.*`` -> ``stn_head.*``
- ``tps.{inverse_kernel, padding_matrix, target_coordinate_repr,
  target_control_points}``: constant buffers of the TPS grid, recomputed by
  ``TPSSpatialTransformer``; dropped.
"""
import re
from collections import OrderedDict
from typing import Dict, Iterable

import torch

TPS_BUFFERS = ('inverse_kernel', 'padding_matrix', 'target_coordinate_repr',
               'target_control_points')


def official_state_dict(checkpoint: dict, path: str = '<checkpoint>') -> dict:
    """The network's state dict of a TPGSR-layout checkpoint.

    Args:
        checkpoint (dict): ``{'state_dict_G': ...}`` (what TPGSR's
            ``save_checkpoint`` writes) or a bare state dict.
        path (str): File name for error messages.

    Returns:
        dict: Key -> tensor, without a DataParallel ``module.`` prefix.

    Raises:
        ValueError: ``checkpoint`` is neither layout.
    """
    state = checkpoint.get('state_dict_G', checkpoint)
    if not isinstance(state, dict) or not all(
            isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f'{path}: expected a state dict or a dict with '
                         "'state_dict_G' of tensors, got keys "
                         f'{sorted(checkpoint)[:10]}')
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k,
                        v) for k, v in state.items())


def tsrn_key_map(keys: Iterable[str], prefix: str = '') -> Dict[str, str]:
    """Official TSRN key -> project key for the given official keys.

    Args:
        keys (Iterable[str]): Keys of an official TSRN state dict.
        prefix (str): Prefix of the project keys (e.g. ``'generator.'``).

    Returns:
        dict: Official key -> project key; TPS buffers are left out and
        keys outside the TSRN layout are not in the map.

    Raises:
        KeyError: The ``block{i}`` indices are not 1 .. n + 3.
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


def convert_tsrn(state: dict,
                 path: str = '<checkpoint>',
                 prefix: str = 'generator.') -> 'OrderedDict[str, torch.Tensor]':
    """Convert an official TSRN state dict (see the module docstring).

    Args:
        state (dict): The official state dict.
        path (str): File name for error messages.
        prefix (str): Prefix of the project keys. Defaults to the ``TSRN``
            model's ``'generator.'``.

    Returns:
        OrderedDict: The converted state dict.

    Raises:
        KeyError: Keys outside the TSRN layout, listed.
    """
    key_map = tsrn_key_map(state, prefix=prefix)
    tps = {f'tps.{b}' for b in TPS_BUFFERS}
    unexpected = sorted(set(state) - set(key_map) - tps)
    if unexpected:
        raise KeyError(f'{path}: keys outside the TSRN layout: {unexpected}')
    return OrderedDict((key_map[k], v) for k, v in state.items()
                       if k in key_map)
