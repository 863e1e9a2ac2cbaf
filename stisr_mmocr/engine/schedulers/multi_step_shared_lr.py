from typing import List

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import MultiStepParamScheduler
from mmocr.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class MultiStepSharedLR(LRSchedulerMixin, MultiStepParamScheduler):
    """At each milestone, set the learning rate of every parameter group to
    ``gamma`` times that of the first group.

    STIRER's ``train.py`` / ``train_ft.py`` drop the rate this way
    (``lr = param_groups[0]['lr']``, then every group gets ``lr / 2``), so
    the SR heads, trained at 5x (stage 1) or 20x (stage 2) the base rate,
    fall to half the base rate; ``MultiStepLR`` would keep their ratio.
    Between milestones the groups keep their rates. The first group must
    start at the optimizer's base rate (as the official base group does);
    a ``paramwise_cfg`` that changes it is an error.

    Args:
        optimizer (Optimizer or OptimWrapper): Wrapped optimizer.
        milestones (list[int]): Epochs (or iterations with
            ``by_epoch=False``) at which the rate drops.
        gamma (float): Factor applied to the first group's rate. Defaults
            to 0.1.
        begin, end, last_step, by_epoch, verbose: See mmengine's
            ``MultiStepLR``.
    """

    def __init__(self, optimizer, *args, **kwargs) -> None:
        inner = getattr(optimizer, 'optimizer', optimizer)
        first = inner.param_groups[0]
        first_lr = first.get('initial_lr', first['lr'])
        base_lr = inner.defaults.get('lr')
        if base_lr is not None and first_lr != base_lr:
            raise ValueError(
                f'MultiStepSharedLR: the first parameter group starts at lr '
                f'{first_lr}, not at the optimizer\'s base lr {base_lr}; '
                'the drop sets every group to gamma x the first group\'s '
                'rate, so optim_wrapper.paramwise_cfg must leave the '
                'model\'s first parameter at the base rate')
        super().__init__(optimizer, *args, **kwargs)

    def _get_value(self) -> List[float]:
        groups = self.optimizer.param_groups
        if self.last_step not in self.milestones:
            return [group[self.param_name] for group in groups]
        value = groups[0][self.param_name] * \
            self.gamma**self.milestones[self.last_step]
        return [value] * len(groups)
