from typing import Sequence

import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import LabelData
from mmocr.registry import TRANSFORMS
from mmocr.structures import TextRecogDataSample


@TRANSFORMS.register_module()
class PackWordInputs(BaseTransform):
    """Pack a word-corpus item: ``inputs`` is the (T, ) int64 ``ctc_path``;
    the :class:`TextRecogDataSample` carries the clean word as ``gt_text``.

    Args:
        meta_keys (Sequence[str]): Keys copied into the metainfo when
            present. Defaults to ('noisy_text', 'sample_idx').
    """

    def __init__(
        self, meta_keys: Sequence[str] = ('noisy_text', 'sample_idx')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        sample = TextRecogDataSample()
        sample.gt_text = LabelData(item=results['gt_text'])
        sample.set_metainfo(
            {k: results[k]
             for k in self.meta_keys if k in results})
        return dict(
            inputs=torch.from_numpy(results['ctc_path']), data_samples=sample)

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(meta_keys={self.meta_keys})'
