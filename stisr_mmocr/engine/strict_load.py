from collections import defaultdict
from typing import Dict, List

import torch
import torch.nn as nn

from .safe_checkpoint import checkpoint_state_dict, read_checkpoint


def _tied_key_groups(own: Dict[str, torch.Tensor]) -> List[List[str]]:
    """Keys of a module's state dict that hold one and the same tensor
    (e.g. T5's embedding tied to its ``lm_head``), in state dict order."""
    groups = defaultdict(list)
    for key, value in own.items():
        if value.numel():
            groups[(value.untyped_storage().data_ptr(),
                    value.storage_offset(), tuple(value.shape),
                    value.stride())].append(key)
    return [keys for keys in groups.values() if len(keys) > 1]


def state_dict_mismatches(module: nn.Module,
                          state: Dict[str, torch.Tensor]) -> Dict[str, List]:
    """Compare a state dict with a module's own, key by key.

    Args:
        module (nn.Module): The module the state dict is meant for.
        state (dict): Key -> tensor.

    Returns:
        dict: ``'missing keys'``, ``'unexpected keys'``,
        ``'shape mismatches'`` and ``'tied keys with differing values'``
        (keys the module stores as one tensor whose values in ``state``
        differ from the group's first key); sorted lists, empty when all
        match.
    """
    own = module.state_dict()
    shared = set(own) & set(state)
    shapes = {
        k for k in shared if tuple(state[k].shape) != tuple(own[k].shape)
    }
    tied = []
    for first, *others in _tied_key_groups(own):
        tied += [
            f'{k} (tied to {first})' for k in others
            if {first, k} <= shared - shapes
            and not torch.equal(state[k], state[first])
        ]
    return {
        'missing keys':
        sorted(set(own) - set(state)),
        'unexpected keys':
        sorted(set(state) - set(own)),
        'shape mismatches':
        sorted(f'{k}: checkpoint {tuple(state[k].shape)} vs model '
               f'{tuple(own[k].shape)}' for k in shapes),
        'tied keys with differing values':
        sorted(tied),
    }


def check_state_dict(module: nn.Module,
                     state: Dict[str, torch.Tensor],
                     source: str = 'state dict') -> None:
    """Raise unless every key and shape of ``state`` matches ``module``.

    Args:
        module (nn.Module): Target module.
        state (dict): Key -> tensor.
        source (str): Name of the checkpoint for the report.

    Raises:
        RuntimeError: Listing the missing, unexpected and mis-shaped keys
            and the tied keys whose values differ.
    """
    problems = state_dict_mismatches(module, state)
    if any(problems.values()):
        lines = [f'weights from {source} do not match '
                 f'{type(module).__name__}:']
        lines += [
            f'  {title} ({len(keys)}): ' + ', '.join(keys[:MAX_LISTED]) +
            (f', ... ({len(keys) - MAX_LISTED} more)'
             if len(keys) > MAX_LISTED else '')
            for title, keys in problems.items() if keys
        ]
        hint = _prefix_hint(problems['missing keys'],
                            problems['unexpected keys'])
        if hint:
            lines.append('  ' + hint)
        raise RuntimeError('\n'.join(lines))


#: Keys listed per kind of mismatch in a report; the count is always given.
MAX_LISTED = 40


def _prefix_hint(missing: List[str], unexpected: List[str]) -> str:
    """Say so when the two key sets differ only by one leading prefix (a
    network's weights given to a whole model, or the reverse) or by the
    name of one part (e.g. ``network.`` saved, ``generator.`` expected)."""
    if not missing or len(missing) != len(unexpected):
        return ''
    for longer, shorter, hint in (
            (missing, unexpected, 'every model key is a checkpoint key '
             'under the prefix {!r}: load it into that sub-module (e.g. '
             'its init_cfg)'),
            (unexpected, missing, 'every checkpoint key is a model key '
             'under the prefix {!r}: take that part out (e.g. '
             'StrictPretrained prefix={!r})')):
        prefix = longer[0].split('.')[0] + '.'
        if all(k.startswith(prefix) for k in longer) and sorted(
                k[len(prefix):] for k in longer) == sorted(shorter):
            return hint.format(prefix, prefix)
    old, new = (keys[0].split('.')[0] + '.' for keys in (unexpected, missing))
    if all(k.startswith(old) for k in unexpected) and all(
            k.startswith(new) for k in missing) and sorted(
                k[len(old):] for k in unexpected) == sorted(
                    k[len(new):] for k in missing):
        return (f'the checkpoint\'s {old!r} keys are the model\'s {new!r} '
                'keys under another name (a part renamed): rename them')
    return ''


def load_state_dict_strictly(module: nn.Module,
                             state: Dict[str, torch.Tensor],
                             source: str = 'state dict') -> None:
    """Load a state dict only if every key and shape matches.

    Unlike ``load_state_dict(strict=True)``, which copies the matching
    tensors before it raises, nothing is loaded when anything differs.

    Args:
        module (nn.Module): Target module.
        state (dict): Key -> tensor.
        source (str): Name of the checkpoint for the report.

    Raises:
        RuntimeError: See :func:`check_state_dict`.
    """
    check_state_dict(module, state, source)
    module.load_state_dict(state, strict=True)


def load_checkpoint_strictly(module: nn.Module,
                             filename: str,
                             map_location='cpu') -> dict:
    """Read a checkpoint file and load its weights only if every key and
    shape matches (see :func:`load_state_dict_strictly`).

    Args:
        module (nn.Module): Target module.
        filename (str): Local path (read with the restricted unpickler) or
            URL; a plain state dict or an mmengine checkpoint
            (``state_dict`` inside), ``module.`` prefixes dropped.
        map_location: As for :func:`torch.load`. Defaults to 'cpu'.

    Returns:
        dict: The loaded checkpoint.
    """
    checkpoint = read_checkpoint(filename, map_location=map_location)
    load_state_dict_strictly(module, checkpoint_state_dict(checkpoint,
                                                           filename),
                             filename)
    return checkpoint
