from mmcv.transforms import BaseTransform
from mmocr.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CopyImage(BaseTransform):
    """Copy an image to a new key, e.g. the HR crop as the start of the LR
    image that degradations then modify (STIRER's stage 1).

    Required keys: ``src``. Added keys: ``dst``.

    Args:
        src (str): Key to copy. Defaults to 'img_hr'.
        dst (str): Key to write. Defaults to 'img_lr'.
    """

    def __init__(self, src: str = 'img_hr', dst: str = 'img_lr') -> None:
        self.src = src
        self.dst = dst

    def transform(self, results: dict) -> dict:
        if self.src not in results:
            raise KeyError(f'CopyImage: key {self.src!r} is not in the '
                           f'results (keys: {sorted(results)})')
        results[self.dst] = results[self.src].copy()
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(src={self.src!r}, dst={self.dst!r})'
