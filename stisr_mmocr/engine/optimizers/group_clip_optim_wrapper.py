from typing import List

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
    ``clip_grad_norm_`` over the SR network's parameters does.
    """

    def _clip_grad(self) -> None:
        """Clip the gradients of the groups not marked
        ``clip_grad=False``."""
        params: List[torch.Tensor] = [
            p for group in self.optimizer.param_groups
            if group.get('clip_grad', True) for p in group['params']
            if p.requires_grad and p.grad is not None
        ]
        if params:
            grad = self.clip_func(params, **self.clip_grad_kwargs)
            if grad is not None:
                self.message_hub.update_scalar(f'train/{self.grad_name}',
                                               float(grad))
