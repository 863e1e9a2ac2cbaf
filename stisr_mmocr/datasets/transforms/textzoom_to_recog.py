from mmcv.transforms import BaseTransform
from mmocr.registry import TRANSFORMS

from stisr_mmocr.utils import rgb_to_bgr, rgb_to_gray


@TRANSFORMS.register_module()
class TextZoomToRecog(BaseTransform):
    """Turn a TextZoom item into the input of MMOCR's recognition pipeline,
    e.g. to train a recognizer on the HR images.

    Place it after ``DecodeTextImages`` (and ``ResizeLRHR`` for the fixed
    TextZoom sizes); follow it with MMOCR transforms (``Resize``, ...) and
    ``PackTextRecogInputs``.

    Required keys: ``img_<source>`` (RGB ``uint8``), ``gt_text``.
    Added keys: ``img`` (BGR (H, W, 3) or gray (H, W), as MMOCR's
    ``LoadImageFromFile`` gives it), ``img_shape``, ``ori_shape``,
    ``gt_texts`` and ``img_path`` (``<lmdb_path>/<image key>``, for
    tracing).

    Args:
        source (str): 'hr' or 'lr'. Defaults to 'hr'.
        color_type (str): 'color' (BGR) or 'grayscale' (0.299 R + 0.587 G +
            0.114 B, as OpenCV decodes gray). Defaults to 'color'.
    """

    def __init__(self, source: str = 'hr', color_type: str = 'color') -> None:
        if source not in ('hr', 'lr'):
            raise ValueError(f"source must be 'hr' or 'lr', got {source!r}")
        if color_type not in ('color', 'grayscale'):
            raise ValueError("color_type must be 'color' or 'grayscale', "
                             f'got {color_type!r}')
        self.source = source
        self.color_type = color_type

    def transform(self, results: dict) -> dict:
        rgb = results[f'img_{self.source}']
        if self.color_type == 'grayscale':
            img = rgb_to_gray(rgb, 'opencv')
        else:
            img = rgb_to_bgr(rgb)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        results['gt_texts'] = [results['gt_text']]
        key = results.get(f'{self.source}_key', str(results.get('sample_idx')))
        results['img_path'] = f"{results.get('lmdb_path', '')}/{key}"
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(source={self.source!r}, '
                f'color_type={self.color_type!r})')
