"""Checks that the files a config names exist before a run starts."""
import os
import os.path as osp
from typing import List, Tuple

from mmengine.config import Config

#: ``init_cfg`` types that load a checkpoint.
PRETRAINED_TYPES = ('Pretrained', 'StrictPretrained')


def check_file(path: str, key: str) -> None:
    """Raise unless ``path`` is a readable local file.

    Paths with a scheme (``https://``, ``open-mmlab://``, ...) are left to
    their loaders.

    Args:
        path (str): The path a config names.
        key (str): The config key that names it, for the message.

    Raises:
        FileNotFoundError: ``path`` is no file.
        PermissionError: ``path`` cannot be read.
    """
    if '://' in path:
        return
    full = osp.expanduser(path)
    if not osp.isfile(full):
        raise FileNotFoundError(f'{key}: {path} does not exist or is not '
                                'a file')
    if not os.access(full, os.R_OK):
        raise PermissionError(f'{key}: {path} is not readable')


def model_checkpoints(model_cfg: dict,
                      pretrained_only: bool = False,
                      key: str = 'model') -> List[Tuple[str, str]]:
    """The checkpoint paths in a model config.

    Args:
        model_cfg (dict): The ``model`` config.
        pretrained_only (bool): Only the ``checkpoint`` of ``init_cfg``
            entries of a pretrained type (:data:`PRETRAINED_TYPES`); else
            also every other string under a key named ``checkpoint`` or
            ``*_checkpoint``.
        key (str): Dotted key of ``model_cfg``.

    Returns:
        list[tuple[str, str]]: (dotted config key, path) pairs.
    """
    found = []

    def visit(node, node_key: str, in_init_cfg: bool) -> None:
        if isinstance(node, (list, tuple)):
            for i, item in enumerate(node):
                visit(item, f'{node_key}.{i}', in_init_cfg)
        elif isinstance(node, dict):
            pretrained = in_init_cfg and node.get('type') in PRETRAINED_TYPES
            for name, value in node.items():
                sub = f'{node_key}.{name}'
                is_checkpoint = name == 'checkpoint' or name.endswith(
                    '_checkpoint')
                if isinstance(value, str) and is_checkpoint and (
                        pretrained or not pretrained_only):
                    found.append((sub, value))
                else:
                    visit(value, sub, name == 'init_cfg')

    visit(model_cfg, key, False)
    return found


def check_run_files(cfg: Config, mode: str) -> None:
    """Check the checkpoints a run of ``cfg`` will load, before it starts.

    ``load_from`` (the resume checkpoint with ``resume=True``) and the
    pretrained ``init_cfg`` checkpoints of the model in every mode; in
    ``'train'`` also the model's other ``checkpoint`` / ``*_checkpoint``
    paths (recognizers, language models), which models load when their
    weights are initialised.

    Args:
        cfg (Config): The run config.
        mode (str): ``'train'``, ``'val'`` or ``'test'``.

    Raises:
        FileNotFoundError: Naming the config key and the path.
        PermissionError: Likewise, for a file that cannot be read.
    """
    if mode not in ('train', 'val', 'test'):
        raise ValueError(f'mode must be train, val or test, got {mode!r}')
    load_from = cfg.get('load_from')
    if load_from:
        check_file(load_from,
                   'load_from (resume)' if cfg.get('resume') else 'load_from')
    for key, path in model_checkpoints(
            cfg.get('model') or {}, pretrained_only=mode != 'train'):
        check_file(path, key)
