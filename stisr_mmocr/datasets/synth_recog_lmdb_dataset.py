from mmocr.registry import DATASETS

from .lmdb_text_dataset import LMDBTextDataset


@DATASETS.register_module()
class SynthRecogLMDBDataset(LMDBTextDataset):
    """Synthetic recognition crops (MJSynth / SynthText LMDB layout).

    Keys: ``num-samples``, ``label-%09d`` and ``image-%09d``. Items carry
    ``hr_bytes``; a degradation transform makes the LR image on the fly
    (STIRER's stage 1). Start-up reads the labels and checks the image keys
    without reading images (see :class:`LMDBTextDataset`), so the 16 M MJ +
    ST crops are not decoded before the first step.

    Arguments: see :class:`LMDBTextDataset`.
    """

    IMAGE_KEYS = dict(hr='image')
    METAINFO = dict(dataset_type='SynthRecog')
