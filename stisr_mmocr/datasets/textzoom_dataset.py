from mmocr.registry import DATASETS

from .lmdb_text_dataset import LMDBTextDataset


@DATASETS.register_module()
class TextZoomDataset(LMDBTextDataset):
    """TextZoom LR/HR pairs from one LMDB split (``train1``, ``easy``, ...).

    Keys: ``num-samples``, ``label-%09d``, ``image_hr-%09d`` and
    ``image_lr-%09d``, indices from 1. Items carry ``hr_bytes``,
    ``lr_bytes`` and the filtered ``gt_text``; images are decoded in the
    pipeline (see :class:`LMDBTextDataset`).

    Arguments: see :class:`LMDBTextDataset`.
    """

    IMAGE_KEYS = dict(hr='image_hr', lr='image_lr')
    METAINFO = dict(dataset_type='TextZoom')
