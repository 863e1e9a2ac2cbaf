from typing import List, Optional

import torch
from mmocr.structures import TextRecogDataSample


class TextSRDataSample(TextRecogDataSample):
    """MMOCR's text recognition sample extended with image fields.

    Being a :class:`TextRecogDataSample`, it keeps ``gt_text`` and
    ``pred_text`` where MMOCR's ``WordMetric``, ``CharMetric`` and visualizer
    read them.

    Fields:
        gt_img (torch.Tensor): HR image, (C, H, W); ``uint8`` as packed,
            float in [0, 1] after the data preprocessor.
        pred_img (torch.Tensor): SR output, (C, H, W), float in [0, 1].
        pred_img_steps (list[torch.Tensor]): Intermediate SR outputs of
            multi-step models (e.g. STIRER), each (C, H, W).
        pred_text_steps (list[str]): Texts read at each step.
    """

    @property
    def gt_img(self) -> torch.Tensor:
        return self._gt_img

    @gt_img.setter
    def gt_img(self, value: torch.Tensor) -> None:
        self.set_field(value, '_gt_img', dtype=torch.Tensor)

    @gt_img.deleter
    def gt_img(self) -> None:
        del self._gt_img

    @property
    def pred_img(self) -> torch.Tensor:
        return self._pred_img

    @pred_img.setter
    def pred_img(self, value: torch.Tensor) -> None:
        self.set_field(value, '_pred_img', dtype=torch.Tensor)

    @pred_img.deleter
    def pred_img(self) -> None:
        del self._pred_img

    @property
    def pred_img_steps(self) -> List[torch.Tensor]:
        return self._pred_img_steps

    @pred_img_steps.setter
    def pred_img_steps(self, value: List[torch.Tensor]) -> None:
        self.set_field(value, '_pred_img_steps', dtype=list)

    @pred_img_steps.deleter
    def pred_img_steps(self) -> None:
        del self._pred_img_steps

    @property
    def pred_text_steps(self) -> List[str]:
        return self._pred_text_steps

    @pred_text_steps.setter
    def pred_text_steps(self, value: List[str]) -> None:
        self.set_field(value, '_pred_text_steps', dtype=list)

    @pred_text_steps.deleter
    def pred_text_steps(self) -> None:
        del self._pred_text_steps

    def get_step_img(self, step: Optional[int]) -> torch.Tensor:
        """The SR output of one step (``None``: the final ``pred_img``)."""
        return self.pred_img if step is None else self.pred_img_steps[step]
