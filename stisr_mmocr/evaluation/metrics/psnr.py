from mmocr.registry import METRICS

from ..functional import psnr
from .image_metric import ImageMetric


@METRICS.register_module()
class PSNR(ImageMetric):
    """Mean per-image PSNR (dB) of ``pred_img`` against ``gt_img`` over RGB
    in [0, 1], see :func:`stisr_mmocr.evaluation.functional.psnr`.

    Args:
        step (int, optional): Score ``pred_img_steps[step]`` instead.
        collect_device (str): 'cpu' or 'gpu'.
        prefix (str, optional): Metric name prefix.
    """

    metric = 'PSNR'
    func = staticmethod(psnr)
