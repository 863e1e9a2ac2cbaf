from typing import Dict, List

import torch
import torch.nn as nn


def state_dict_mismatches(module: nn.Module,
                          state: Dict[str, torch.Tensor]) -> Dict[str, List]:
    """Compare a state dict with a module's own, key by key.

    Args:
        module (nn.Module): The module the state dict is meant for.
        state (dict): Key -> tensor.

    Returns:
        dict: ``'missing keys'``, ``'unexpected keys'`` and
        ``'shape mismatches'`` (sorted lists, empty when all match).
    """
    own = module.state_dict()
    return {
        'missing keys':
        sorted(set(own) - set(state)),
        'unexpected keys':
        sorted(set(state) - set(own)),
        'shape mismatches':
        sorted(f'{k}: checkpoint {tuple(state[k].shape)} vs model '
               f'{tuple(own[k].shape)}' for k in set(own) & set(state)
               if tuple(state[k].shape) != tuple(own[k].shape)),
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
        RuntimeError: Listing the missing, unexpected and mis-shaped keys.
    """
    problems = state_dict_mismatches(module, state)
    if any(problems.values()):
        lines = [f'weights from {source} do not match '
                 f'{type(module).__name__}:']
        lines += [
            f'  {title} ({len(keys)}): ' + ', '.join(keys)
            for title, keys in problems.items() if keys
        ]
        raise RuntimeError('\n'.join(lines))


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
