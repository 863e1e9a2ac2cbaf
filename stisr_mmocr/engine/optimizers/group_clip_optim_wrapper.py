from typing import Dict, List, Optional

import torch
from mmengine.optim import OptimWrapper
from mmocr.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class GroupClipOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose gradient clipping skips the parameter groups
    marked ``clip_grad=False``.

    The TPGSR-family loops clip the SR network only
    (``clip_grad_norm_(model.parameters(), 0.25)``) while one Adam also
    updates a student recognizer. Mark the recognizer's parameters through
    ``paramwise_cfg``, whose custom-key entries are copied into the groups::

        optim_wrapper = dict(
            type='GroupClipOptimWrapper',
            clip_grad=dict(max_norm=0.25),
            optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999)),
            paramwise_cfg=dict(
                custom_keys={'recognizer.': dict(clip_grad=False)}))

    The norm is computed over the clipped groups together, as
    ``clip_grad_norm_`` over the SR network's parameters does. Groups given
    a ``clip_group`` key are clipped per key instead, as the official loops
    clip each SR network of a ``--sr_share``-less run on its own::

        custom_keys={'student': dict(clip_grad=False),
                     'generator.0.': dict(clip_group='g0'),
                     'generator.1.': dict(clip_group='g1')}

    The norms are logged as ``grad_norm`` (groups without ``clip_group``)
    and ``grad_norm_<clip_group>``.
    """

    def _clip_grad(self) -> None:
        """Clip the gradients of the groups not marked ``clip_grad=False``,
        per ``clip_group``."""
        buckets: Dict[Optional[str], List[torch.Tensor]] = {}
        for group in self.optimizer.param_groups:
            if not group.get('clip_grad', True):
                continue
            buckets.setdefault(group.get('clip_group'), []).extend(
                p for p in group['params']
                if p.requires_grad and p.grad is not None)
        for key, params in buckets.items():
            if not params:
                continue
            grad = self.clip_func(params, **self.clip_grad_kwargs)
            if grad is not None:
                name = self.grad_name if key is None else \
                    f'{self.grad_name}_{key}'
                self.message_hub.update_scalar(f'train/{name}', float(grad))
