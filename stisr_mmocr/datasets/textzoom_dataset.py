from typing import Optional, Sequence

from mmocr.registry import DATASETS

from .lmdb_text_dataset import LMDBTextDataset


@DATASETS.register_module()
class TextZoomDataset(LMDBTextDataset):
    """TextZoom LR/HR pairs from one LMDB split (``train1``, ``easy``, ...).

    Keys: ``num-samples``, ``label-%09d``, ``image_hr-%09d`` and
    ``image_lr-%09d``, indices from 1. Items carry ``hr_bytes``,
    ``lr_bytes`` and the filtered ``gt_text``; images are decoded in the
    pipeline (see :class:`LMDBTextDataset`).

    Args:
        data_root (str): LMDB directory of the split.
        voc_type (str): 'lower' (37 classes, default), 'upper' or 'all'.
        max_len (int, optional): Skip longer labels (training).
        pipeline (Sequence[dict]): Transforms.
        **kwargs: Other :class:`LMDBTextDataset` arguments.
    """

    METAINFO = dict(dataset_type='TextZoom')

    def __init__(self,
                 data_root: str,
                 voc_type: str = 'lower',
                 max_len: Optional[int] = None,
                 pipeline: Sequence[dict] = (),
                 **kwargs) -> None:
        super().__init__(
            data_root=data_root,
            image_keys=dict(hr='image_hr', lr='image_lr'),
            voc_type=voc_type,
            max_len=max_len,
            pipeline=pipeline,
            **kwargs)
