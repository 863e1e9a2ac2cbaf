import re
from collections import OrderedDict
from typing import Callable, List, Tuple, Union

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import CheckpointLoader, load_state_dict
from mmocr.registry import RUNNERS

from ..file_checks import check_run_files
from ..initializers import load_pretrained
from ..strict_load import load_state_dict_strictly


@RUNNERS.register_module()
class StrictRunner(Runner):
    """mmengine's Runner that checks files first and loads strictly.

    - ``train``, ``val`` and ``test`` first check the checkpoints the run
      will load (:func:`check_run_files`): a missing or unreadable one
      stops the run before any dataset is built, with the config key and
      the path in the message.
    - ``load_from`` and resume checkpoints load strictly: nothing is loaded
      unless every key, shape and tied copy matches, and the report lists
      the mismatches and names the file (mmengine's Runner loads them with
      ``strict=False`` and only logs).
    - ``val`` and ``test`` apply the model's pretrained ``init_cfg``
      entries (``StrictPretrained`` / ``Pretrained``) before ``load_from``,
      as ``train`` does through ``init_weights``, so a test config can name
      its weights there.

    ``tools/train.py`` and ``tools/test.py`` build it; a config may also
    name it with ``runner_type='StrictRunner'``.
    """

    @property
    def _unwrapped_model(self) -> nn.Module:
        return self.model.module if is_model_wrapper(
            self.model) else self.model

    def train(self) -> nn.Module:
        """Check the run's files, then train (see :meth:`Runner.train`)."""
        check_run_files(self.cfg, 'train')
        self._pretrained_loaded = True  # by init_weights in Runner.train
        return super().train()

    def val(self) -> dict:
        """Check the run's files and load the pretrained weights, then
        validate (see :meth:`Runner.val`)."""
        self._prepare_evaluation('val')
        return super().val()

    def test(self) -> dict:
        """Check the run's files and load the pretrained weights, then
        test (see :meth:`Runner.test`)."""
        self._prepare_evaluation('test')
        return super().test()

    def _prepare_evaluation(self, mode: str) -> None:
        check_run_files(self.cfg, mode)
        if not getattr(self, '_pretrained_loaded', False):
            load_pretrained(self._unwrapped_model)
            self._pretrained_loaded = True

    def load_checkpoint(self,
                        filename: str,
                        map_location: Union[str, Callable] = 'cpu',
                        strict: bool = True,
                        revise_keys: List[Tuple[str, str]] = [(r'^module.',
                                                               '')]):
        """Load a checkpoint into the model, strictly by default.

        Args:
            filename (str): Local path or URL.
            map_location (str | Callable): As for :func:`torch.load`.
                Defaults to 'cpu'.
            strict (bool): Load nothing unless the state dict matches the
                model (see :func:`load_state_dict_strictly`). Defaults to
                True.
            revise_keys (list[tuple[str, str]]): (pattern, replacement)
                pairs applied to the keys. Defaults to dropping
                ``module.``.

        Returns:
            dict: The loaded checkpoint.
        """
        checkpoint = CheckpointLoader.load_checkpoint(
            filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        state = checkpoint.get('state_dict', checkpoint)
        metadata = getattr(state, '_metadata', OrderedDict())
        for pattern, replacement in revise_keys:
            state = OrderedDict(
                (re.sub(pattern, replacement, k), v) for k, v in state.items())
        state._metadata = metadata
        if strict:
            load_state_dict_strictly(self._unwrapped_model, state, filename)
        else:
            load_state_dict(self._unwrapped_model, state, strict=False,
                            logger='current')
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename} '
                         f'({"strict" if strict else "not strict"})')
        return checkpoint
