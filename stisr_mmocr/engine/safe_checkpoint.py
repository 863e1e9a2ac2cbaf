"""Safe loading of mmengine checkpoints on torch >= 2.6.

mmengine 0.10.7 calls ``torch.load`` with torch's default
``weights_only=True``, which rejects the numpy arrays and the
``HistoryBuffer`` objects that a training checkpoint holds, so ``--resume``
fails. Rather than turning safe loading off, the project's runner,
initialiser, models and converters read local checkpoints through
:func:`read_checkpoint`, which uses a restricted unpickler (mmengine's own
loader is left as it is for everything else in the process): it admits torch's own weights-only
allow-list, the numpy reconstruction globals, ``collections.OrderedDict``
and mmengine's ``HistoryBuffer``; ``getattr`` is admitted only to fetch a
``HistoryBuffer`` statistics method (that is how those methods are
pickled). Anything else raises :class:`DisallowedGlobalError` naming the
global and the file. A file torch cannot read (truncated, corrupt, not a
checkpoint) raises :class:`CheckpointReadError` naming the file, not torch's
bare ``OSError: [Errno 22]`` or zip reader message.
"""
import _compat_pickle
import collections
import os.path as osp
import pickle
import zipfile
from types import SimpleNamespace
from typing import Any, Callable, Dict, Optional

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

_STAT_METHODS = ('min', 'max', 'mean', 'current')


class DisallowedGlobalError(pickle.UnpicklingError):
    """A checkpoint refers to a global outside the allow-list."""


class CheckpointReadError(RuntimeError):
    """A checkpoint file exists but cannot be read."""


def _history_buffer_getattr(obj: Any, name: str) -> Callable:
    if obj is HistoryBuffer and name in _STAT_METHODS:
        return getattr(obj, name)
    raise DisallowedGlobalError(
        f'getattr({obj!r}, {name!r}) is not allowed in a checkpoint')


def _numpy_globals() -> Dict[str, Any]:
    allowed = {
        'numpy.core.multiarray._reconstruct': np.core.multiarray._reconstruct,
        'numpy.core.multiarray.scalar': np.core.multiarray.scalar,
        'numpy.ndarray': np.ndarray,
        'numpy.dtype': np.dtype,
    }
    for alias in ('numpy._core.multiarray', ):
        allowed[f'{alias}._reconstruct'] = np.core.multiarray._reconstruct
        allowed[f'{alias}.scalar'] = np.core.multiarray.scalar
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        for name in dir(dtypes):
            if name.endswith('DType'):
                allowed[f'numpy.dtypes.{name}'] = getattr(dtypes, name)
    return allowed


def _allowed_globals() -> Dict[str, Any]:
    from torch import _weights_only_unpickler
    allowed = dict(_weights_only_unpickler._get_allowed_globals())
    # user-registered safe globals (torch >= 2.5)
    get_safe_globals = getattr(torch.serialization, 'get_safe_globals',
                               list)
    for obj in get_safe_globals():
        if isinstance(obj, tuple):
            obj, name = obj
        else:
            name = f'{obj.__module__}.{obj.__qualname__}'
        allowed[name] = obj
    allowed.update(_numpy_globals())
    allowed.update({
        'collections.OrderedDict': collections.OrderedDict,
        'mmengine.logging.history_buffer.HistoryBuffer': HistoryBuffer,
        'builtins.getattr': _history_buffer_getattr,
        '_codecs.encode': __import__('_codecs').encode,
    })
    return allowed


class _RestrictedUnpickler(pickle.Unpickler):
    allowed: Optional[Dict[str, Any]] = None

    def find_class(self, module: str, name: str) -> Any:
        if _RestrictedUnpickler.allowed is None:
            _RestrictedUnpickler.allowed = _allowed_globals()
        # Python 2 names (``__builtin__``), as protocol 2 writes them
        module, name = _compat_pickle.NAME_MAPPING.get(
            (module, name), (module, name))
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        key = f'{module}.{name}'
        if key not in self.allowed:
            raise DisallowedGlobalError(
                f'global {key} is not allowed in a checkpoint; only tensors, '
                'numpy arrays, containers and HistoryBuffer are')
        return self.allowed[key]


restricted_pickle = SimpleNamespace(
    Unpickler=_RestrictedUnpickler,
    load=lambda f, **kw: _RestrictedUnpickler(f, **kw).load(),
    __name__='restricted_pickle')


def load_checkpoint_safely(filename: str, map_location=None) -> Any:
    """``torch.load`` a local checkpoint with the restricted unpickler.

    Args:
        filename (str): Path of the checkpoint.
        map_location: As for :func:`torch.load`.

    Returns:
        The loaded object (a state dict or an mmengine checkpoint dict).

    Raises:
        FileNotFoundError: No such file.
        DisallowedGlobalError: The checkpoint pickles a global that is not
            allowed.
        CheckpointReadError: The file is truncated, corrupt or no torch
            checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename} can not be found')
    try:
        return torch.load(
            filename,
            map_location=map_location,
            weights_only=False,
            pickle_module=restricted_pickle)
    except DisallowedGlobalError as err:
        raise DisallowedGlobalError(f'checkpoint {filename}: {err}') from err
    except (OSError, EOFError, RuntimeError, pickle.UnpicklingError,
            zipfile.BadZipFile) as err:
        raise CheckpointReadError(
            f'checkpoint {filename} ({osp.getsize(filename)} bytes) cannot '
            'be read: the file is truncated, corrupt or not a torch '
            f'checkpoint ({type(err).__name__}: {err})') from err


def read_checkpoint(filename: str, map_location='cpu') -> Any:
    """Read a checkpoint: a local file with :func:`load_checkpoint_safely`,
    a URL (``https://``, ``open-mmlab://``, ...) with mmengine's loader.

    Args:
        filename (str): Path or URL.
        map_location: As for :func:`torch.load`. Defaults to 'cpu'.

    Returns:
        The loaded object.
    """
    if '://' in filename:
        return CheckpointLoader.load_checkpoint(
            filename, map_location=map_location)
    return load_checkpoint_safely(filename, map_location=map_location)


#: Entries that hold the state dict of a checkpoint, looked up in order:
#: mmengine's ``state_dict``, the TPGSR-family / LEMMA ``state_dict_G``
#: (``save_checkpoint`` of their ``interfaces/base.py``) and ABINet's
#: ``model`` (its pretrained vision / language files).
STATE_DICT_KEYS = ('state_dict', 'state_dict_G', 'model')


def checkpoint_state_dict(checkpoint: Any, filename: str) -> Dict[str, Any]:
    """The state dict of a loaded checkpoint: the first of its
    :data:`STATE_DICT_KEYS` that holds a dict, or the checkpoint itself, with
    a DataParallel ``module.`` prefix dropped.

    Args:
        checkpoint: What :func:`read_checkpoint` returned.
        filename (str): Its file, for the message.

    Returns:
        dict: Key -> tensor.

    Raises:
        TypeError: The checkpoint is no dict.
    """
    if not isinstance(checkpoint, dict):
        raise TypeError(f'checkpoint {filename} holds a '
                        f'{type(checkpoint).__name__}, not a state dict')
    state = next((checkpoint[k] for k in STATE_DICT_KEYS
                  if isinstance(checkpoint.get(k), dict)), checkpoint)
    metadata = getattr(state, '_metadata', None)
    state = collections.OrderedDict(
        (k[len('module.'):] if k.startswith('module.') else k, v)
        for k, v in state.items())
    if metadata is not None:
        state._metadata = metadata
    return state
