import torch
from mmocr.registry import METRICS

from ..functional import mse, psnr_from_mse
from .image_metric import ImageMetric


@METRICS.register_module()
class PSNR(ImageMetric):
    """PSNR (dB) of ``pred_img`` against ``gt_img`` over RGB in [0, 1],
    per image or per batch (see :class:`ImageMetric`); a batch's PSNR comes
    from the MSE pooled over the batch, as TextZoom's ``calculate_psnr``.

    Args:
        **kwargs: :class:`ImageMetric` arguments (``protocol``,
            ``batch_size``, ``clamp``, ``step``, ``prefix``).
    """

    metric = 'PSNR'

    @staticmethod
    def image_values(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
        """Per-image MSE, (N,)."""
        return mse(pred, gt)

    @staticmethod
    def score(values: torch.Tensor) -> torch.Tensor:
        """PSNR of MSE values."""
        return psnr_from_mse(values)
