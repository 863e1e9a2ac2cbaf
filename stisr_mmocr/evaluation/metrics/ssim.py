import torch
from mmocr.registry import METRICS

from ..functional import ssim
from .image_metric import ImageMetric


@METRICS.register_module()
class SSIM(ImageMetric):
    """SSIM of ``pred_img`` against ``gt_img`` over RGB in [0, 1], per image
    or per batch (see :class:`ImageMetric`); a batch's SSIM is its SSIM map
    averaged over the batch, as TextZoom's ``SSIM`` module.

    Args:
        **kwargs: :class:`ImageMetric` arguments (``protocol``,
            ``batch_size``, ``clamp``, ``step``, ``prefix``).
    """

    metric = 'SSIM'

    @staticmethod
    def image_values(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
        """Per-image mean SSIM, (N,)."""
        return ssim(pred, gt)

    @staticmethod
    def score(values: torch.Tensor) -> torch.Tensor:
        """SSIM values are their own scores."""
        return values
