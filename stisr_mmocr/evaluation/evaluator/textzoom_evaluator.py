from collections import OrderedDict
from typing import Optional, Sequence, Union

from mmengine.dist import (broadcast_object_list, collect_results,
                           is_main_process)
from mmengine.evaluator import BaseMetric
from mmengine.evaluator.metric import _to_cpu
from mmocr.evaluation import MultiDatasetsEvaluator
from mmocr.registry import EVALUATOR


@EVALUATOR.register_module()
class TextZoomEvaluator(MultiDatasetsEvaluator):
    """Metrics per subset of a ``ConcatDataset`` (easy / medium / hard) and
    over all of them.

    Names are ``<subset>/<metric prefix>/<key>``; the overall figures use
    ``average_prefix`` (``avg/...``) and are computed over every sample, so
    they are the sample-weighted average of the subsets, as the TextZoom
    papers report it.

    Args:
        metrics (dict | BaseMetric | Sequence): Metric configs.
        dataset_prefixes (Sequence[str]): One name per dataset.
        average_prefix (str, optional): Name of the overall slice; None
            leaves it out. Defaults to 'avg'.
    """

    def __init__(self,
                 metrics: Union[dict, BaseMetric, Sequence],
                 dataset_prefixes: Sequence[str],
                 average_prefix: Optional[str] = 'avg') -> None:
        super().__init__(metrics, dataset_prefixes)
        if average_prefix in dataset_prefixes:
            raise ValueError(f'average_prefix {average_prefix!r} is also a '
                             'dataset prefix')
        self.average_prefix = average_prefix

    def evaluate(self, size: int) -> dict:
        """Compute every metric on each dataset slice and on all samples.

        Args:
            size (int): Length of the whole evaluation dataset.

        Returns:
            dict: Metric name -> value.
        """
        ends = list(self.dataset_meta.get('cumulative_sizes', [size]))
        if len(ends) != len(self.dataset_prefixes):
            raise ValueError(
                f'{len(self.dataset_prefixes)} dataset_prefixes '
                f'{list(self.dataset_prefixes)} for {len(ends)} datasets')
        slices = list(zip([0] + ends[:-1], ends, self.dataset_prefixes))
        if self.average_prefix and len(slices) > 1:
            slices.append((0, size, self.average_prefix))
        out = OrderedDict()
        for metric in self.metrics:
            results = collect_results(metric.results, size,
                                      metric.collect_device)
            if is_main_process():
                results = _to_cpu(results)
                for start, end, name in slices:
                    prefix = '/'.join(p for p in (name, metric.prefix) if p)
                    for key, value in metric.compute_metrics(
                            results[start:end]).items():
                        full = f'{prefix}/{key}'
                        if full in out:
                            raise ValueError(
                                f'metric name {full} is produced twice; '
                                'give the metrics different prefixes')
                        out[full] = value
            metric.results.clear()
        box = [out if is_main_process() else None]
        broadcast_object_list(box)
        return box[0]
