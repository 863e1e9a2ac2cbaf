import os.path as osp
from typing import Dict, List, Optional, Sequence

import torch.nn as nn
from mmengine.evaluator import BaseMetric
from mmocr.registry import METRICS, MODELS

from stisr_mmocr.structures import filter_text
from .image_metric import stack_field


@METRICS.register_module()
class JudgeAccuracy(BaseMetric):
    """Word accuracy of frozen judge recognizers reading the SR output.

    Each judge (e.g. ``TextRecogJudge`` wrapping MMOCR's CRNN) is built on
    first use and moved to the outputs' device; a local checkpoint file
    that does not exist fails at construction, so a training run stops
    before its first iteration. Labels and predictions are
    compared after :func:`filter_text`.

    Args:
        judges (dict[str, dict]): Judge name -> judge config.
        step (int, optional): Read ``pred_img_steps[step]`` instead of
            ``pred_img``.
        clamp (bool): Clamp SR images to [0, 1] before the judges read
            them; the TPGSR-family loops feed the raw ``tanh`` output.
            Defaults to True.
        voc_type (str): Label filter. Defaults to 'lower'.
        collect_device (str): 'cpu' or 'gpu'.
        prefix (str, optional): Metric name prefix.
    """

    def __init__(self,
                 judges: Dict[str, dict],
                 step: Optional[int] = None,
                 clamp: bool = True,
                 voc_type: str = 'lower',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not judges:
            raise ValueError('JudgeAccuracy needs at least one judge')
        for name, cfg in judges.items():
            path = cfg.get('checkpoint')
            if path and '://' not in path and not osp.isfile(path):
                raise FileNotFoundError(
                    f'JudgeAccuracy judges.{name}.checkpoint: {path} does '
                    'not exist (convert or train the judge first, or set '
                    'it to None for random weights)')
        self.judge_cfgs = dict(judges)
        self.step = step
        self.clamp = clamp
        self.voc_type = voc_type
        self._judges: Optional[nn.ModuleDict] = None

    @property
    def judges(self) -> nn.ModuleDict:
        """The judges, built on first use."""
        if self._judges is None:
            self._judges = nn.ModuleDict(
                {k: MODELS.build(v)
                 for k, v in self.judge_cfgs.items()})
        return self._judges

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        imgs = stack_field(data_samples, 'pred_img', self.step, self.clamp)
        judges = self.judges.to(imgs.device)
        gts = [
            filter_text(s['gt_text']['item'], self.voc_type)
            for s in data_samples
        ]
        reads = {
            name: [s.pred_text.item for s in judge(imgs)]
            for name, judge in judges.items()
        }
        for i, gt in enumerate(gts):
            self.results.append({
                name: filter_text(texts[i], self.voc_type) == gt
                for name, texts in reads.items()
            })

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        suffix = '' if self.step is None else f'_step{self.step}'
        n = max(len(results), 1)
        return {
            f'{name}_word_acc{suffix}': sum(r[name] for r in results) / n
            for name in self.judge_cfgs
        }
