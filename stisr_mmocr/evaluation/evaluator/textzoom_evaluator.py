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
    two averages over the subsets.

    Every metric is computed on each subset's slice of results, so
    per-batch metrics group batches within a subset as the official loops
    do. Names are ``<subset>/<metric prefix>/<key>``; with more than one
    subset, ``<average_prefix>/...`` (``avg/``) is the mean of the subsets'
    values weighted by their sizes (the papers' average; for per-image
    metrics it equals the mean over all samples) and
    ``<mean_prefix>/...`` (``mean/``) their unweighted mean (STIRER's
    ``Final Acc``; it ranks checkpoints as the TPGSR-family loops do with
    the sum of the subsets' accuracies).

    Args:
        metrics (dict | BaseMetric | Sequence): Metric configs.
        dataset_prefixes (Sequence[str]): One name per dataset.
        average_prefix (str, optional): Name of the size-weighted average;
            None leaves it out. Defaults to 'avg'.
        mean_prefix (str, optional): Name of the unweighted mean; None
            leaves it out. Defaults to 'mean'.
    """

    def __init__(self,
                 metrics: Union[dict, BaseMetric, Sequence],
                 dataset_prefixes: Sequence[str],
                 average_prefix: Optional[str] = 'avg',
                 mean_prefix: Optional[str] = 'mean') -> None:
        super().__init__(metrics, dataset_prefixes)
        for name, value in (('average_prefix', average_prefix),
                            ('mean_prefix', mean_prefix)):
            if value in dataset_prefixes:
                raise ValueError(f'{name} {value!r} is also a dataset prefix')
        if average_prefix is not None and average_prefix == mean_prefix:
            raise ValueError('average_prefix and mean_prefix are both '
                             f'{average_prefix!r}')
        self.average_prefix = average_prefix
        self.mean_prefix = mean_prefix

    def evaluate(self, size: int) -> dict:
        """Compute every metric on each subset and the two averages.

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
        out = OrderedDict()
        for metric in self.metrics:
            results = collect_results(metric.results, size,
                                      metric.collect_device)
            if is_main_process():
                results = _to_cpu(results)
                per_subset = []
                for start, end, name in slices:
                    values = metric.compute_metrics(results[start:end])
                    per_subset.append((end - start, values))
                    self._add(out, name, metric.prefix, values)
                if len(slices) > 1:
                    self._add_averages(out, metric.prefix, per_subset)
            metric.results.clear()
        box = [out if is_main_process() else None]
        broadcast_object_list(box)
        return box[0]

    def _add_averages(self, out: dict, metric_prefix: Optional[str],
                      per_subset: list) -> None:
        """Add the size-weighted and unweighted means of the subsets'
        values (``per_subset``: (size, {key: value}) per subset)."""
        total = sum(n for n, _ in per_subset)
        keys = per_subset[0][1].keys()
        if self.average_prefix:
            self._add(
                out, self.average_prefix, metric_prefix, {
                    k: sum(n * v[k] for n, v in per_subset) / max(total, 1)
                    for k in keys
                })
        if self.mean_prefix:
            self._add(
                out, self.mean_prefix, metric_prefix, {
                    k: sum(v[k] for _, v in per_subset) / len(per_subset)
                    for k in keys
                })

    @staticmethod
    def _add(out: dict, name: str, metric_prefix: Optional[str],
             values: dict) -> None:
        """Write ``values`` under ``<name>/<metric_prefix>/<key>``."""
        prefix = '/'.join(p for p in (name, metric_prefix) if p)
        for key, value in values.items():
            full = f'{prefix}/{key}'
            if full in out:
                raise ValueError(f'metric name {full} is produced twice; '
                                 'give the metrics different prefixes')
            out[full] = value
