import re
from collections import OrderedDict
from typing import Callable, Dict, List, Optional, Tuple, Union

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import find_latest_checkpoint, load_state_dict
from mmocr.registry import RUNNERS

from ..file_checks import check_run_files
from ..initializers import load_pretrained
from ..safe_checkpoint import checkpoint_state_dict, read_checkpoint
from ..strict_load import check_state_dict, load_state_dict_strictly

RevisedKeys = List[Tuple[str, str]]


@RUNNERS.register_module()
class StrictRunner(Runner):
    """mmengine's Runner that checks files first and loads strictly.

    - ``train``, ``val`` and ``test`` first check the checkpoints the run
      will load (:func:`check_run_files`) and that the ``load_from`` /
      resume checkpoint fits the model (keys and shapes): a missing,
      unreadable or ill-fitting one stops the run before any dataset is
      built, with the config key or the file and the mismatched keys in the
      message.
    - ``load_from`` and resume checkpoints load strictly: nothing is loaded
      unless every key, shape and tied copy matches (mmengine's Runner
      loads them with ``strict=False`` and only logs).
    - ``val`` and ``test`` apply the model's pretrained ``init_cfg``
      entries (``StrictPretrained`` / ``Pretrained``) before ``load_from``,
      as ``train`` does through ``init_weights``, so a test config can name
      its weights there.
    - Local checkpoints are read with the restricted unpickler of
      :func:`read_checkpoint` (mmengine checkpoints on torch >= 2.6).

    Every config of ``configs/`` selects it (``runner_type =
    'mmocr.StrictRunner'`` in ``_base_/default_runtime.py``), so MMOCR's
    shipped ``tools/train.py`` / ``tools/test.py`` and ``mim`` build it as
    the project's tools do.
    """

    @property
    def _unwrapped_model(self) -> nn.Module:
        return self.model.module if is_model_wrapper(
            self.model) else self.model

    def train(self) -> nn.Module:
        """Check the run's files, then train (see :meth:`Runner.train`)."""
        check_run_files(self.cfg, 'train')
        self._check_checkpoint_fits()
        self._pretrained_loaded = True  # by init_weights in Runner.train
        return super().train()

    def val(self) -> dict:
        """Check the run's files and load the weights, then validate (see
        :meth:`Runner.val`)."""
        self._prepare_evaluation('val')
        return super().val()

    def test(self) -> dict:
        """Check the run's files and load the weights, then test (see
        :meth:`Runner.test`)."""
        self._prepare_evaluation('test')
        return super().test()

    def _prepare_evaluation(self, mode: str) -> None:
        """Load the ``init_cfg`` weights, then ``load_from``, before the
        evaluation loop builds its datasets (``load_or_resume`` in
        :meth:`Runner.test` then has nothing left to do)."""
        check_run_files(self.cfg, mode)
        if not getattr(self, '_pretrained_loaded', False):
            load_pretrained(self._unwrapped_model)
            self._pretrained_loaded = True
        self.load_or_resume()

    def _checkpoint_to_load(self) -> Optional[str]:
        """The file ``load_or_resume`` will load: the resume checkpoint (the
        work dir's latest with ``resume=True`` and no ``load_from``), else
        ``load_from``."""
        if self._has_loaded:
            return None
        if self._resume and self._load_from is None:
            return find_latest_checkpoint(self.work_dir)
        return self._load_from

    def _check_checkpoint_fits(self) -> None:
        """Read the checkpoint training will load and check its keys and
        shapes against the model, before the datasets are built; the
        checkpoint is kept for :meth:`load_checkpoint`."""
        filename = self._checkpoint_to_load()
        if filename is None:
            return
        checkpoint = read_checkpoint(filename, map_location='cpu')
        check_state_dict(self._unwrapped_model,
                         self._revised_state_dict(checkpoint, filename),
                         filename)
        self._checked_checkpoint = (filename, checkpoint)

    @staticmethod
    def _revised_state_dict(checkpoint: dict,
                            filename: str,
                            revise_keys: RevisedKeys = ()) -> Dict:
        state = checkpoint_state_dict(checkpoint, filename)
        metadata = getattr(state, '_metadata', OrderedDict())
        for pattern, replacement in revise_keys:
            state = OrderedDict(
                (re.sub(pattern, replacement, k), v) for k, v in state.items())
        state._metadata = metadata
        return state

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = True,
                        revise_keys: RevisedKeys = [(r'^module.', '')]):
        """Load a checkpoint into the model, strictly by default.

        Args:
            filename (str): Local path or URL.
            map_location (str | Callable): As for :func:`torch.load`.
                Defaults to 'cpu'.
            strict (bool): Load nothing unless the state dict matches the
                model (see :func:`load_state_dict_strictly`). Defaults to
                True.
            revise_keys (list[tuple[str, str]]): (pattern, replacement)
                pairs applied to the keys after a ``module.`` prefix is
                dropped. Defaults to dropping ``module.``.

        Returns:
            dict: The loaded checkpoint.
        """
        checked = getattr(self, '_checked_checkpoint', None)
        self._checked_checkpoint = None
        if checked is not None and checked[0] == filename:
            checkpoint = checked[1]
        else:
            checkpoint = read_checkpoint(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        state = self._revised_state_dict(checkpoint, filename, revise_keys)
        if strict:
            load_state_dict_strictly(self._unwrapped_model, state, filename)
        else:
            load_state_dict(self._unwrapped_model, state, strict=False,
                            logger='current')
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename} '
                         f'({"strict" if strict else "not strict"})')
        return checkpoint
