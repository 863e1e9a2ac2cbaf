import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import lmdb
import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from stisr_mmocr.structures import filter_text

_MAX_LISTED = 10
_ENVS: Dict[str, Tuple[int, lmdb.Environment]] = {}


def open_lmdb(path: str) -> lmdb.Environment:
    """The read-only, lock-free environment of ``path`` for this process.

    LMDB allows one environment per file and process, and an environment
    must not be used across ``fork``: environments are cached per path and
    reopened (the inherited one closed) when the process id changes.

    Args:
        path (str): LMDB directory.

    Returns:
        lmdb.Environment: The shared environment.
    """
    key = osp.abspath(path)
    cached = _ENVS.get(key)
    if cached is not None:
        pid, env = cached
        if pid == os.getpid():
            return env
        env.close()
    if not osp.isdir(key):
        raise FileNotFoundError(f'LMDB directory not found: {path}')
    env = lmdb.open(
        key,
        readonly=True,
        lock=False,
        readahead=False,
        meminit=False,
        max_readers=64)
    _ENVS[key] = (os.getpid(), env)
    return env


def decode_image(buf: bytes) -> Optional[np.ndarray]:
    """Decode encoded image bytes to an RGB ``uint8`` array (H, W, 3).

    Returns:
        np.ndarray or None: None when the bytes are not a decodable image.
    """
    arr = np.frombuffer(buf, dtype=np.uint8)
    if arr.size == 0:
        return None
    img = cv2.imdecode(arr, cv2.IMREAD_COLOR)
    if img is None:
        return None
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


class LMDBTextDataset(BaseDataset):
    """Base for datasets of text crops in one LMDB (TextZoom, MJ/ST).

    The index is scanned once at start-up: every record whose label or image
    key is missing, whose image bytes do not decode, or whose filtered label
    is longer than ``max_len`` or shorter than ``min_len`` is skipped and
    counted, and one warning lists the first
    offending keys. A bad record is never replaced by a neighbour. The LMDB
    environment is opened read-only and lock-free, once per process and path
    (:func:`open_lmdb`), so each dataloader worker has its own and several
    datasets may share one LMDB.

    Each item handed to the pipeline holds the raw image bytes under
    ``<name>_bytes`` (and the key under ``<name>_key``) for every entry of
    ``image_keys``, the filtered label as ``gt_text``, and ``lmdb_path`` /
    ``lmdb_index`` (the record number) for tracing.

    Args:
        data_root (str): LMDB directory (holds ``data.mdb``).
        image_keys (dict[str, str]): Result name -> key prefix, e.g.
            ``{'hr': 'image_hr', 'lr': 'image_lr'}``.
        voc_type (str): Label vocabulary for :func:`filter_text`.
            Defaults to 'lower' (37 classes).
        max_len (int, optional): Skip records whose filtered label is longer.
            Use it for training sets. Defaults to None (no limit).
        min_len (int): Skip records whose filtered label is shorter; 1 keeps
            empty labels out of a training set. Defaults to 0.
        check_images (bool): Decode every image during the scan so corrupt
            bytes are skipped up front. Defaults to True.
        pipeline (Sequence[dict]): Transforms.
        test_mode (bool): Passed to :class:`BaseDataset`.
        **kwargs: Other :class:`BaseDataset` arguments.
    """

    def __init__(self,
                 data_root: str,
                 image_keys: Dict[str, str],
                 voc_type: str = 'lower',
                 max_len: Optional[int] = None,
                 min_len: int = 0,
                 check_images: bool = True,
                 pipeline: Sequence[dict] = (),
                 test_mode: bool = False,
                 **kwargs) -> None:
        self.image_keys = dict(image_keys)
        self.voc_type = voc_type
        self.max_len = max_len
        self.min_len = min_len
        self.check_images = check_images
        self.num_skipped = 0
        self.skipped_keys: List[str] = []
        filter_text('', voc_type)  # validates voc_type early
        super().__init__(
            data_root=data_root,
            pipeline=list(pipeline),
            test_mode=test_mode,
            **kwargs)

    @property
    def env(self) -> lmdb.Environment:
        """The read-only environment of this process (:func:`open_lmdb`)."""
        return open_lmdb(self.data_root)

    def load_data_list(self) -> List[dict]:
        """Scan the LMDB index and keep the usable records."""
        data_list, skipped = [], []
        with self.env.begin(write=False) as txn:
            raw = txn.get(b'num-samples')
            if raw is None:
                raise KeyError(
                    f"'num-samples' is missing in LMDB {self.data_root}")
            try:
                num = int(raw)
            except ValueError as e:
                raise ValueError(f"'num-samples' of LMDB {self.data_root} "
                                 f'is not an integer: {raw!r}') from e
            for index in range(1, num + 1):
                label, bad_key = self._check_record(txn, index)
                if bad_key is not None:
                    skipped.append(bad_key)
                    continue
                data_list.append(
                    dict(
                        lmdb_index=index,
                        gt_text=label,
                        lmdb_path=self.data_root))
        self.num_skipped = len(skipped)
        self.skipped_keys = skipped
        if skipped:
            print_log(
                f'{self.__class__.__name__}: skipped {len(skipped)} of {num} '
                f'records in {self.data_root}; first: '
                f'{", ".join(skipped[:_MAX_LISTED])}',
                logger='current',
                level=30)
        if not data_list:
            raise ValueError(f'No usable record in LMDB {self.data_root} '
                             f'({num} records, {len(skipped)} skipped)')
        return data_list

    def _check_record(self, txn: lmdb.Transaction,
                      index: int) -> Tuple[str, Optional[str]]:
        """Return the filtered label and the first bad key (None if fine)."""
        label_key = 'label-%09d' % index
        raw = txn.get(label_key.encode())
        if raw is None:
            return '', f'{label_key} (missing)'
        try:
            label = filter_text(raw.decode('utf-8'), self.voc_type)
        except UnicodeDecodeError:
            return '', f'{label_key} (not utf-8)'
        if self.max_len is not None and len(label) > self.max_len:
            return label, f'{label_key} (longer than max_len={self.max_len})'
        if len(label) < self.min_len:
            return label, (f'{label_key} (shorter than min_len='
                           f'{self.min_len} after filtering)')
        for prefix in self.image_keys.values():
            key = '%s-%09d' % (prefix, index)
            buf = txn.get(key.encode())
            if buf is None:
                return label, f'{key} (missing)'
            if self.check_images and decode_image(buf) is None:
                return label, f'{key} (does not decode)'
        return label, None

    def get_data_info(self, idx: int) -> dict:
        """Item ``idx`` with its raw image bytes read from the LMDB."""
        info = super().get_data_info(idx)
        index = info['lmdb_index']
        with self.env.begin(write=False) as txn:
            for name, prefix in self.image_keys.items():
                key = '%s-%09d' % (prefix, index)
                buf = txn.get(key.encode())
                if buf is None:
                    raise KeyError(f'{key} vanished from {self.data_root}')
                info[f'{name}_bytes'] = bytes(buf)
                info[f'{name}_key'] = key
        return info
