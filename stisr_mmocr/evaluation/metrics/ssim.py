from mmocr.registry import METRICS

from ..functional import ssim
from .image_metric import ImageMetric


@METRICS.register_module()
class SSIM(ImageMetric):
    """Mean per-image SSIM of ``pred_img`` against ``gt_img`` over RGB in
    [0, 1], see :func:`stisr_mmocr.evaluation.functional.ssim`.

    Args:
        step (int, optional): Score ``pred_img_steps[step]`` instead.
        collect_device (str): 'cpu' or 'gpu'.
        prefix (str, optional): Metric name prefix.
    """

    metric = 'SSIM'
    func = staticmethod(ssim)
