from typing import Sequence

from mmcv.transforms import BaseTransform
from mmocr.registry import TRANSFORMS

from ..lmdb_text_dataset import decode_image


@TRANSFORMS.register_module()
class DecodeTextImages(BaseTransform):
    """Decode the LMDB image bytes of an item into RGB arrays.

    The datasets read images lazily (only their keys are checked at
    start-up), so this is where bytes that are not an image surface: they
    raise a ``ValueError`` naming the key and the LMDB rather than being
    skipped, because a skipped item would hand its batch slot to another
    record. ``check_images=True`` on the dataset finds them all up front.

    Required keys: ``<name>_bytes`` and ``<name>_key`` for each name.
    Added keys: ``img_<name>`` (``uint8``, H x W x 3, RGB) and
    ``ori_shape_<name>``.

    Args:
        names (Sequence[str]): Which images to decode. Defaults to
            ('hr', 'lr').
    """

    def __init__(self, names: Sequence[str] = ('hr', 'lr')) -> None:
        self.names = tuple(names)

    def transform(self, results: dict) -> dict:
        for name in self.names:
            buf = results.pop(f'{name}_bytes')
            img = decode_image(buf)
            if img is None:
                raise ValueError(
                    f"image {results.get(f'{name}_key')} of LMDB "
                    f"{results.get('lmdb_path')} does not decode; build the "
                    'dataset with check_images=True to skip and list every '
                    'such record at start-up')
            results[f'img_{name}'] = img
            results[f'ori_shape_{name}'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(names={self.names})'
