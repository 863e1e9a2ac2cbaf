from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric


def stack_field(data_samples: Sequence[dict], key: str,
                step: Optional[int] = None) -> torch.Tensor:
    """Stack one image field of packed data samples into (N, C, H, W);
    ``step`` indexes the per-step list ``pred_img_steps``."""
    if step is None:
        imgs = [s[key] for s in data_samples]
    else:
        imgs = [s['pred_img_steps'][step] for s in data_samples]
    return torch.stack(imgs)


class ImageMetric(BaseMetric):
    """Base of per-image SR metrics: ``process`` stores one value per image,
    ``compute_metrics`` averages them.

    Args:
        step (int, optional): Score ``pred_img_steps[step]`` instead of
            ``pred_img`` (multi-step models). Defaults to None.
        collect_device (str): 'cpu' or 'gpu'.
        prefix (str, optional): Metric name prefix.
    """

    metric: str = ''
    func: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

    def __init__(self,
                 step: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.step = step

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Score a batch on the outputs' device and keep per-image values."""
        pred = stack_field(data_samples, 'pred_img', self.step)
        gt = stack_field(data_samples, 'gt_img').to(pred.device)
        values = type(self).func(pred, gt).tolist()
        self.results.extend({self.metric: v} for v in values)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Mean over images."""
        key = self.metric if self.step is None else \
            f'{self.metric}_step{self.step}'
        return {key: float(np.mean([r[self.metric] for r in results]))}
