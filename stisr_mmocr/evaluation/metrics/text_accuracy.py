from typing import Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric
from mmocr.registry import METRICS

from stisr_mmocr.structures import filter_text


@METRICS.register_module()
class TextAccuracy(BaseMetric):
    """Word accuracy of the SR model's own reading after the TextZoom label
    filter (``pred_text``, or ``pred_text_steps[step]``).

    Args:
        step (int, optional): Score the text of one step. Defaults to None.
        voc_type (str): Filter of labels and predictions. Defaults to
            'lower'.
        collect_device (str): 'cpu' or 'gpu'.
        prefix (str, optional): Metric name prefix.
    """

    def __init__(self,
                 step: Optional[int] = None,
                 voc_type: str = 'lower',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.step = step
        self.voc_type = voc_type

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = sample['pred_text']['item'] if self.step is None else \
                sample['pred_text_steps'][self.step]
            gt = sample['gt_text']['item']
            self.results.append(
                dict(correct=filter_text(pred, self.voc_type) == filter_text(
                    gt, self.voc_type)))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        key = 'word_acc' if self.step is None else f'word_acc_step{self.step}'
        return {key: sum(r['correct'] for r in results) / max(len(results), 1)}
