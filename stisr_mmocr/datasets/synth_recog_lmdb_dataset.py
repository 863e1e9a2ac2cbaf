from typing import Optional, Sequence

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

    Args:
        data_root (str): LMDB directory.
        voc_type (str): 'lower' (default), 'upper' or 'all'.
        max_len (int, optional): Skip longer labels.
        pipeline (Sequence[dict]): Transforms.
        **kwargs: Other :class:`LMDBTextDataset` arguments.
    """

    METAINFO = dict(dataset_type='SynthRecog')

    def __init__(self,
                 data_root: str,
                 voc_type: str = 'lower',
                 max_len: Optional[int] = None,
                 pipeline: Sequence[dict] = (),
                 **kwargs) -> None:
        super().__init__(
            data_root=data_root,
            image_keys=dict(hr='image'),
            voc_type=voc_type,
            max_len=max_len,
            pipeline=pipeline,
            **kwargs)
