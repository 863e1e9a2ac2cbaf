import numpy as np
from mmcv.transforms import BaseTransform
from mmocr.registry import TRANSFORMS

from stisr_mmocr.utils import rgb_to_gray


def text_mask(img: np.ndarray) -> np.ndarray:
    """Binary text mask of an RGB ``uint8`` image (H, W, 3).

    The image is converted to gray (PIL's ``'L'``); pixels not brighter
    than the gray mean are text (255), the rest 0.

    Returns:
        np.ndarray: ``uint8`` mask, (H, W).
    """
    gray = rgb_to_gray(img, 'pil')
    return np.where(gray > gray.mean(), 0, 255).astype(np.uint8)


@TRANSFORMS.register_module()
class AddMaskChannel(BaseTransform):
    """Append the binary text mask as a fourth channel (the ``--mask`` flag).

    Modified keys: ``img_lr`` and, when present, ``img_hr`` (H, W, 3) ->
    (H, W, 4). Apply it after resizing, as the official loaders do.
    """

    def transform(self, results: dict) -> dict:
        for key in ('img_lr', 'img_hr'):
            if key in results:
                img = results[key]
                results[key] = np.concatenate(
                    [img, text_mask(img[..., :3])[..., None]], axis=2)
        return results
