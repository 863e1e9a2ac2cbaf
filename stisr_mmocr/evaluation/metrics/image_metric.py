from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

PROTOCOLS = ('per_image', 'per_batch')


def stack_field(data_samples: Sequence[dict],
                key: str,
                step: Optional[int] = None,
                clamp: bool = False) -> torch.Tensor:
    """Stack one image field of packed data samples into (N, C, H, W).

    Args:
        data_samples (Sequence[dict]): Packed data samples.
        key (str): Field name, e.g. ``'pred_img'`` or ``'gt_img'``.
        step (int, optional): Index of the per-step list ``pred_img_steps``
            to read instead of ``key``.
        clamp (bool): Clamp the images to [0, 1].

    Returns:
        torch.Tensor: (N, C, H, W) images.
    """
    if step is None:
        imgs = torch.stack([s[key] for s in data_samples])
    else:
        imgs = torch.stack([s['pred_img_steps'][step] for s in data_samples])
    return imgs.clamp(0, 1) if clamp else imgs


class ImageMetric(BaseMetric):
    """Base of the SR image metrics under the two TextZoom protocols.

    ``process`` stores one raw value per image (:meth:`image_values`: the
    MSE for PSNR, the mean SSIM map for SSIM); ``compute_metrics`` turns
    them into the score (:meth:`score`) by the protocol:

    - ``'per_image'`` (STIRER's ``test.py``, mmagic, BasicSR): the score of
      every image, averaged over images.
    - ``'per_batch'`` (TextZoom, TPGSR, TATT, C3-STISR): consecutive images
      are grouped into batches of ``batch_size`` (the last one may be
      partial, as the official loaders give it), each batch is scored from
      its pooled values (PSNR of the batch MSE, SSIM map averaged over the
      batch) and the batch scores are averaged. Under
      :class:`TextZoomEvaluator` the grouping restarts at every subset, as
      the official loops evaluate each subset with its own loader.

    The metric name says the protocol: ``PSNR_per_image``,
    ``SSIM_per_batch`` (``..._step{k}`` for a step).

    Args:
        protocol (str): ``'per_image'`` or ``'per_batch'``. Defaults to
            ``'per_image'``.
        batch_size (int, optional): Batch size of ``'per_batch'``: the test
            batch size of the official loop (required there).
        clamp (bool): Clamp SR images to [0, 1] before scoring; the
            TPGSR-family loops score the raw ``tanh`` output. Defaults to
            True.
        step (int, optional): Score ``pred_img_steps[step]`` instead of
            ``pred_img`` (multi-step models). Defaults to None.
        collect_device (str): 'cpu' or 'gpu'.
        prefix (str, optional): Metric name prefix.
    """

    metric: str = ''

    def __init__(self,
                 protocol: str = 'per_image',
                 batch_size: Optional[int] = None,
                 clamp: bool = True,
                 step: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if protocol not in PROTOCOLS:
            raise ValueError(f'{type(self).__name__}.protocol must be one of '
                             f'{PROTOCOLS}, got {protocol!r}')
        if protocol == 'per_batch' and not (isinstance(batch_size, int)
                                            and batch_size > 0):
            raise ValueError(
                f"{type(self).__name__} with protocol='per_batch' needs "
                f'batch_size, a positive int (the official test batch '
                f'size), got {batch_size!r}')
        self.protocol = protocol
        self.batch_size = batch_size
        self.clamp = clamp
        self.step = step

    @staticmethod
    def image_values(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
        """(N, C, H, W) x 2 -> (N,) raw values that a batch pools."""
        raise NotImplementedError

    @staticmethod
    def score(values: torch.Tensor) -> torch.Tensor:
        """Scores of (pooled) raw values, same shape."""
        raise NotImplementedError

    def process(self, data_batch: dict, data_samples: Sequence[dict]) -> None:
        """Keep the raw value of every image of the batch."""
        pred = stack_field(data_samples, 'pred_img', self.step, self.clamp)
        gt = stack_field(data_samples, 'gt_img').to(pred.device)
        values = self.image_values(pred, gt).tolist()
        self.results.extend({self.metric: v} for v in values)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Average over images or over batches, by the protocol."""
        values = torch.tensor([r[self.metric] for r in results],
                              dtype=torch.float64)
        if self.protocol == 'per_image':
            scores = self.score(values)
        else:
            scores = torch.stack([
                self.score(chunk.mean())
                for chunk in values.split(self.batch_size)
            ])
        key = f'{self.metric}_{self.protocol}'
        if self.step is not None:
            key += f'_step{self.step}'
        return {key: float(np.mean(scores.numpy()))}
