from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import LabelData
from mmocr.registry import TRANSFORMS

from stisr_mmocr.structures import TextSRDataSample


def to_chw_tensor(img: np.ndarray) -> torch.Tensor:
    """(H, W, C) ``uint8`` array -> (C, H, W) ``uint8`` tensor."""
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))


@TRANSFORMS.register_module()
class PackTextSRInputs(BaseTransform):
    """Pack an LR/HR item into model inputs and a :class:`TextSRDataSample`.

    ``inputs`` is the LR image (C, h, w) ``uint8``; the data sample carries
    ``gt_img`` (HR, (C, H, W) ``uint8``, when present) and ``gt_text``.

    Args:
        meta_keys (Sequence[str]): Keys copied into the metainfo when present.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = ('sample_idx', 'lmdb_index', 'lmdb_path',
                                             'lr_key', 'hr_key', 'img_path',
                                             'ori_shape_lr', 'ori_shape_hr')
                 ) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        lr = results['img_lr']
        sample = TextSRDataSample()
        if 'img_hr' in results:
            sample.gt_img = to_chw_tensor(results['img_hr'])
        sample.gt_text = LabelData(item=results.get('gt_text', ''))
        meta = {k: results[k] for k in self.meta_keys if k in results}
        meta.update(img_shape=lr.shape[:2], valid_ratio=1.0)
        sample.set_metainfo(meta)
        return dict(inputs=to_chw_tensor(lr), data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
