from typing import Union

import torch
from mmengine.model import BaseDataPreprocessor
from mmocr.registry import MODELS


@MODELS.register_module()
class TextSRDataPreprocessor(BaseDataPreprocessor):
    """Batch LR inputs and HR targets as floats in [0, 1].

    ``uint8`` images become float32 divided by 255; floating images are
    taken as already in [0, 1] and keep their dtype (float64 for parity
    tests). No mean/std normalisation: SR models work on [0, 1] pixels.

    Args:
        non_blocking (bool): Copy to the device without blocking.
    """

    def __init__(self, non_blocking: bool = False) -> None:
        super().__init__(non_blocking=non_blocking)

    @staticmethod
    def to_unit(img: torch.Tensor) -> torch.Tensor:
        """``uint8`` in [0, 255] -> float32 in [0, 1]; floating kept."""
        if img.is_floating_point():
            return img
        if img.dtype == torch.uint8:
            return img.float().div_(255.)
        return img.float()

    def forward(self, data: dict, training: bool = False) -> dict:
        """Stack and scale a collated batch.

        Args:
            data (dict): ``inputs`` (list of (C, h, w) tensors, or a
                (N, C, h, w) tensor) and ``data_samples``.
            training (bool): Unused; kept for the mmengine interface.

        Returns:
            dict: ``inputs`` (N, C, h, w) float in [0, 1] and the data
            samples, whose ``gt_img`` is float in [0, 1] on the device.
        """
        data = self.cast_data(data)
        inputs: Union[list, torch.Tensor] = data['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        data_samples = data.get('data_samples')
        if data_samples is not None:
            for sample in data_samples:
                if 'gt_img' in sample:
                    sample.gt_img = self.to_unit(sample.gt_img)
        return dict(inputs=self.to_unit(inputs), data_samples=data_samples)
