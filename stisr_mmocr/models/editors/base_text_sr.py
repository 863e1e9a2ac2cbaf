import inspect
from abc import ABCMeta, abstractmethod
from typing import Dict, List, Optional, Tuple, Union

import torch
from mmengine.model import BaseModel
from mmocr.registry import MODELS

from stisr_mmocr.structures import TextSRDataSample
from stisr_mmocr.utils import RENAMED_PART_ARGS, reject_extra_args

SampleList = List[TextSRDataSample]
OptSampleList = Optional[SampleList]
ForwardResults = Union[Dict[str, torch.Tensor], SampleList, torch.Tensor,
                       dict]


class BaseTextSR(BaseModel, metaclass=ABCMeta):
    """Base of text super-resolution models.

    ``forward`` dispatches on ``mode``: ``'loss'`` -> :meth:`loss` (a dict
    of losses), ``'predict'`` -> :meth:`predict` (data samples with
    ``pred_img``, and ``pred_text`` where the model reads text),
    ``'tensor'`` -> :meth:`_forward` (the raw network output).

    Args:
        data_preprocessor (dict | nn.Module, optional): Defaults to
            ``TextSRDataPreprocessor``; dicts are built from MMOCR's
            registry whatever the default scope.
        init_cfg (dict, optional): Initialisation config.

    The SR network is ``generator`` in every model: a subclass given an old
    name of it (``backbone``, ``network``, ``sr``, ...) that its
    ``__init__`` does not take fails with the new name.

    Frozen parts (a subclass's ``frozen_modules``, attribute names such as
    ``'teacher'``) stay in eval mode whatever :meth:`train` is asked.
    """

    frozen_modules: Tuple[str, ...] = ()

    def __new__(cls, *args, **kwargs) -> 'BaseTextSR':
        accepted = inspect.signature(cls.__init__).parameters
        reject_extra_args(
            cls.__name__, {
                k: v
                for k, v in kwargs.items()
                if k in RENAMED_PART_ARGS and k not in accepted
            })
        return super().__new__(cls)

    def __init__(self,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='TextSRDataPreprocessor')
        if isinstance(data_preprocessor, dict):  # in mmocr's scope
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)

    def train(self, mode: bool = True) -> 'BaseTextSR':
        """Set the training mode; the ``frozen_modules`` stay in eval
        mode."""
        super().train(mode)
        for name in self.frozen_modules:
            module = getattr(self, name, None)
            if module is not None:
                module.eval()
        return self

    def forward(self,
                inputs: torch.Tensor,
                data_samples: OptSampleList = None,
                mode: str = 'tensor') -> ForwardResults:
        """Run the model in one of the modes ``loss``, ``predict`` or
        ``tensor``.

        Args:
            inputs (torch.Tensor): LR images, (N, C, h, w) in [0, 1].
            data_samples (list[TextSRDataSample], optional): With ``gt_img``
                (and ``gt_text``) for ``loss``.
            mode (str): 'loss', 'predict' or 'tensor'.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self._forward(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}". '
                           'Only supports loss, predict and tensor mode')

    @abstractmethod
    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """Losses of a batch."""

    @abstractmethod
    def _forward(self,
                 inputs: torch.Tensor,
                 data_samples: OptSampleList = None) -> ForwardResults:
        """The network output: (N, C, H, W) SR images or a dict of
        outputs."""

    def predict(self,
                inputs: torch.Tensor,
                data_samples: OptSampleList = None) -> SampleList:
        """SR images of a batch.

        Returns:
            list[TextSRDataSample]: Samples with ``pred_img`` (C, H, W), the
            raw network output (metrics and judges clamp it to [0, 1] or
            not, by their protocol).
        """
        out = self._forward(inputs, data_samples)
        return self.add_pred_img(out, data_samples)

    @staticmethod
    def add_pred_img(sr: torch.Tensor,
                     data_samples: OptSampleList) -> SampleList:
        """Write (N, C, H, W) SR images, unclamped, into samples (new ones
        when ``data_samples`` is None)."""
        if data_samples is None:
            data_samples = [TextSRDataSample() for _ in range(sr.shape[0])]
        for sample, img in zip(data_samples, sr.detach()):
            sample.pred_img = img
        return data_samples

    @staticmethod
    def stack_gt_img(data_samples: SampleList) -> torch.Tensor:
        """HR targets of a batch as (N, C, H, W)."""
        missing = [i for i, s in enumerate(data_samples) if 'gt_img' not in s]
        if missing:
            raise KeyError(f'data samples {missing} carry no gt_img: the '
                           'loss needs HR images')
        return torch.stack([s.gt_img for s in data_samples])
