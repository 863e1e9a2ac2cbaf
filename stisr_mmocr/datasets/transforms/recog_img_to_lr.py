from mmcv.transforms import BaseTransform
from mmocr.registry import TRANSFORMS

from stisr_mmocr.utils import bgr_to_rgb, gray_to_rgb


@TRANSFORMS.register_module()
class RecogImgToLR(BaseTransform):
    """Use an image loaded by MMOCR (a recognition crop of any size) as the
    LR input of an SR model.

    Place it after MMOCR's ``LoadImageFromFile`` (or the inferencers'
    ``InferencerLoader``) and, for datasets, ``LoadOCRAnnotations``; follow it
    with ``ResizeLRHR`` (to the LR size), ``AddMaskChannel`` when the SR
    model takes 4 channels, and ``PackTextSRInputs``.

    Required keys: ``img`` (BGR (H, W, 3) or gray (H, W) ``uint8``, as mmcv
    loads it). Optional: ``gt_texts``.
    Added keys: ``img_lr`` (RGB (H, W, 3) ``uint8``), ``ori_shape_lr``
    (H, W) and ``gt_text`` (the first of ``gt_texts``, '' without one).
    """

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 2 or img.shape[2] == 1:
            rgb = gray_to_rgb(img)
        else:
            rgb = bgr_to_rgb(img)
        results['img_lr'] = rgb
        results['ori_shape_lr'] = rgb.shape[:2]
        texts = results.get('gt_texts') or ['']
        results['gt_text'] = texts[0]
        return results
