from typing import List, Optional

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModule, initialize, update_init_info
from mmengine.registry import WEIGHT_INITIALIZERS

from ..file_checks import PRETRAINED_TYPES, check_file
from ..safe_checkpoint import checkpoint_state_dict, read_checkpoint
from ..strict_load import load_state_dict_strictly, state_dict_mismatches


def _mismatch_count(module: nn.Module, state: dict) -> int:
    """How many keys of ``state`` do not fit ``module`` (any kind)."""
    return sum(map(len, state_dict_mismatches(module, state).values()))


# Registered in mmengine's root registry, so that ``init_weights`` finds it
# in every default scope (MMOCR's child registry looks its parent up).
@WEIGHT_INITIALIZERS.register_module(name='StrictPretrained')
class StrictPretrainedInit:
    """Initialise a module from a checkpoint, strictly.

    mmengine's ``Pretrained`` loads with ``strict=False`` and only logs
    what did not fit; this one loads nothing unless every key, shape and
    tied copy matches, and raises a report that lists the missing,
    unexpected and mis-shaped keys and names the file.

    mmengine applies ``init_cfg`` types other than ``Pretrained`` before
    the children's own ``init_weights``; so that these do not overwrite the
    loaded weights, every sub-module is marked initialised (``is_init``).

    Args:
        checkpoint (str): File (or URL) of a plain state dict or of an
            mmengine checkpoint (``state_dict`` inside); a ``module.``
            prefix is dropped.
        prefix (str, optional): Take only the keys under this prefix, with
            the prefix removed (e.g. ``'generator.'`` to take the network
            out of a checkpoint of the whole model). Defaults to None.
        optional_prefix (bool): Take the whole checkpoint when no key starts
            with ``prefix``, or when it fits the module at least as well as
            its keys under ``prefix`` do (a part's own checkpoint, where a
            checkpoint of a whole cascade gives its ``recognizer.`` or
            ``generator.`` keys, and an SR model's own keys start with
            ``generator.``); else that is an error. Defaults to False.
        map_location (str): As for :func:`torch.load`. Defaults to 'cpu'.
    """

    def __init__(self,
                 checkpoint: str,
                 prefix: Optional[str] = None,
                 optional_prefix: bool = False,
                 map_location: str = 'cpu') -> None:
        self.checkpoint = checkpoint
        self.prefix = prefix
        self.optional_prefix = optional_prefix
        self.map_location = map_location

    def __call__(self, module: nn.Module) -> None:
        """Load the weights into ``module``.

        Raises:
            FileNotFoundError: The checkpoint does not exist (the message
                names ``init_cfg.checkpoint``).
            KeyError: No key of the checkpoint starts with ``prefix`` (and
                ``optional_prefix`` is False).
            RuntimeError: The weights do not match ``module`` (see
                :func:`check_state_dict`).
        """
        name = type(module).__name__
        check_file(self.checkpoint, f'init_cfg.checkpoint of {name}')
        state = checkpoint_state_dict(
            read_checkpoint(self.checkpoint, map_location=self.map_location),
            self.checkpoint)
        source = self.checkpoint
        if self.prefix:
            under = {
                k[len(self.prefix):]: v
                for k, v in state.items() if k.startswith(self.prefix)
            }
            if under and self.optional_prefix and _mismatch_count(
                    module, state) <= _mismatch_count(module, under):
                # the module's own checkpoint whose keys happen to start
                # with the prefix (an SR model's ``generator.`` keys)
                under = {}
            if under:
                state = under
                source = f'{self.checkpoint} (keys under {self.prefix!r})'
            elif not self.optional_prefix:
                raise KeyError(f'init_cfg.prefix of {name}: no key of '
                               f'{self.checkpoint} starts with '
                               f'{self.prefix!r}')
        load_state_dict_strictly(module, state, source)
        for sub in module.modules():
            if sub is not module and hasattr(sub, 'init_weights'):
                sub.is_init = True
        print_log(f'StrictPretrained: loaded {len(state)} tensors from '
                  f'{source} into {name} (strict)',
                  logger='current')
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint}'


def load_pretrained(model: nn.Module) -> None:
    """Apply only the pretrained ``init_cfg`` entries
    (:data:`PRETRAINED_TYPES`) of ``model`` and its sub-modules.

    mmengine's ``Runner.test`` and ``Runner.val`` do not call
    ``init_weights``; this loads the weights a config names there, as
    training does before ``load_from``. As in ``init_weights``, the
    weights loaded into a module win over those its sub-modules name.

    Args:
        model (nn.Module): The model (unwrapped).
    """
    loaded: List[str] = []
    for name, module in model.named_modules():
        if not isinstance(module, BaseModule) or not module.init_cfg:
            continue
        if any(name.startswith(outer) for outer in loaded):
            continue
        cfgs = module.init_cfg
        cfgs = [cfgs] if isinstance(cfgs, dict) else cfgs
        pretrained = [c for c in cfgs if c.get('type') in PRETRAINED_TYPES]
        if pretrained:
            initialize(module, pretrained)
            loaded.append(f'{name}.' if name else '')
