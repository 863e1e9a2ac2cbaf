import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import lmdb
import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import print_log

from stisr_mmocr.structures import filter_text
from stisr_mmocr.utils import bgr_to_rgb

_MAX_LISTED = 10
_ENVS: Dict[str, Tuple[int, lmdb.Environment]] = {}


def check_lmdb_dir(path: str, field: str = 'data_root') -> None:
    """Raise unless ``path`` is an LMDB directory (one holding ``data.mdb``).

    Args:
        path (str): The directory to check.
        field (str): The config field that gave ``path``, named in the
            error. Defaults to 'data_root'.

    Raises:
        FileNotFoundError: ``path`` is not a directory or has no ``data.mdb``.
    """
    if not osp.isdir(path):
        raise FileNotFoundError(f'LMDB directory not found: {field}={path!r} '
                                f'(resolved to {osp.abspath(path)})')
    if not osp.isfile(osp.join(path, 'data.mdb')):
        raise FileNotFoundError(
            f'{field}={path!r} is not an LMDB directory: no data.mdb in '
            f'{osp.abspath(path)}')


def open_lmdb(path: str) -> lmdb.Environment:
    """The read-only, lock-free environment of ``path`` for this process.

    LMDB allows one environment per file and process, and an environment
    must not be used across ``fork``: environments are cached per path and
    reopened (the inherited one closed) when the process id changes, so a
    dataloader worker opens its own on first use.

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
    check_lmdb_dir(path)
    env = lmdb.open(key,
                    readonly=True,
                    lock=False,
                    readahead=False,
                    meminit=False,
                    max_readers=64)
    _ENVS[key] = (os.getpid(), env)
    return env


def decode_image(buf: bytes) -> Optional[np.ndarray]:
    """Decode encoded image bytes to an RGB ``uint8`` array (H, W, 3).

    Args:
        buf (bytes): Encoded image (any bytes-like object).

    Returns:
        np.ndarray or None: None when the bytes are not a decodable image.
    """
    arr = np.frombuffer(buf, dtype=np.uint8)
    if arr.size == 0:
        return None
    img = cv2.imdecode(arr, cv2.IMREAD_COLOR)
    if img is None:
        return None
    return bgr_to_rgb(img)


class LMDBTextDataset(BaseDataset):
    """Base for datasets of text crops in one LMDB (TextZoom, MJ/ST).

    Start-up reads the labels only. The index ``1..num-samples`` is scanned
    once: a record is skipped and counted when its label is missing or not
    UTF-8, when its filtered label is longer than ``max_len`` or shorter
    than ``min_len``, or when one of its image keys is missing or holds no
    bytes. Key presence and value length come from the LMDB index without
    reading the image bytes, so start-up does not touch the images. One
    warning lists the first offending keys; all of them are kept in
    ``skipped_keys``.

    Images are read per item (:meth:`get_data_info` adds the raw bytes) and
    decoded in the pipeline by ``DecodeTextImages``. Bytes that do not
    decode there raise a ``ValueError`` naming the LMDB and the key, which
    stops the run: a corrupt LMDB is a data error to fix, and there is no
    way to skip one item of a sampled batch without handing the sampler's
    slot to another record. ``check_images=True`` decodes every image during
    the scan instead, so undecodable records are skipped, counted and listed
    up front (as slow as decoding the whole LMDB; use it to audit one).

    A bad record is never replaced by a neighbour: a pipeline that returns
    None raises an error naming the record instead of the random refetch
    of :class:`BaseDataset` in training mode.

    The LMDB environment is opened read-only and lock-free, once per process
    and path (:func:`open_lmdb`), so each dataloader worker opens its own
    after ``fork`` and several datasets may share one LMDB.

    Each item handed to the pipeline holds the raw image bytes under
    ``<name>_bytes`` (and the key under ``<name>_key``) for every entry of
    ``image_keys``, the filtered label as ``gt_text``, and ``lmdb_path`` /
    ``lmdb_index`` (the record number) for tracing.

    Args:
        data_root (str): LMDB directory (holds ``data.mdb``); checked at
            construction.
        image_keys (dict[str, str], optional): Result name -> key prefix,
            e.g. ``{'hr': 'image_hr', 'lr': 'image_lr'}``. Defaults to the
            class's ``IMAGE_KEYS`` (set by each layout's subclass).
        voc_type (str): Label vocabulary for :func:`filter_text`.
            Defaults to 'lower' (37 classes).
        max_len (int, optional): Skip records whose filtered label is longer.
            Use it for training sets. Defaults to None (no limit).
        min_len (int): Skip records whose filtered label is shorter; 1 keeps
            empty labels out of a training set. Defaults to 0.
        check_images (bool): Decode every image during the scan so corrupt
            bytes are skipped and counted up front. Defaults to False (they
            raise an error when the pipeline decodes them).
        pipeline (Sequence[dict]): Transforms.
        test_mode (bool): Passed to :class:`BaseDataset`.
        **kwargs: Other :class:`BaseDataset` arguments.
    """

    #: Result name -> LMDB key prefix of the layout (see ``image_keys``).
    IMAGE_KEYS: Optional[Dict[str, str]] = None

    def __init__(self,
                 data_root: str,
                 image_keys: Optional[Dict[str, str]] = None,
                 voc_type: str = 'lower',
                 max_len: Optional[int] = None,
                 min_len: int = 0,
                 check_images: bool = False,
                 pipeline: Sequence[dict] = (),
                 test_mode: bool = False,
                 **kwargs) -> None:
        check_lmdb_dir(data_root)
        image_keys = image_keys or self.IMAGE_KEYS
        if not image_keys:
            raise ValueError(f'{type(self).__name__} needs `image_keys` '
                             '(result name -> LMDB key prefix)')
        self.image_keys = dict(image_keys)
        self.voc_type = voc_type
        self.max_len = max_len
        self.min_len = min_len
        self.check_images = check_images
        self.num_skipped = 0
        self.skipped_keys: List[str] = []
        filter_text('', voc_type)  # validates voc_type early
        super().__init__(data_root=data_root,
                         pipeline=list(pipeline),
                         test_mode=test_mode,
                         **kwargs)

    @property
    def env(self) -> lmdb.Environment:
        """The read-only environment of this process (:func:`open_lmdb`)."""
        return open_lmdb(self.data_root)

    def load_data_list(self) -> List[dict]:
        """Scan the labels and image keys; keep the usable records.

        Returns:
            list[dict]: ``dict(lmdb_index=int, gt_text=str)`` per record.
        """
        data_list, skipped = [], []
        # buffers=True: values are views into the map, so asking for an
        # image only reads the index, never the image bytes
        with self.env.begin(write=False, buffers=True) as txn:
            num = self._num_samples(txn)
            for index in range(1, num + 1):
                label, bad_key = self._check_record(txn, index)
                if bad_key is not None:
                    skipped.append(bad_key)
                    continue
                data_list.append(dict(lmdb_index=index, gt_text=label))
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

    def _num_samples(self, txn: lmdb.Transaction) -> int:
        """The ``num-samples`` record as an int."""
        raw = txn.get(b'num-samples')
        if raw is None:
            raise KeyError(
                f"'num-samples' is missing in LMDB {self.data_root}")
        try:
            return int(bytes(raw))
        except ValueError as e:
            raise ValueError(f"'num-samples' of LMDB {self.data_root} "
                             f'is not an integer: {bytes(raw)!r}') from e

    def _check_record(self, txn: lmdb.Transaction,
                      index: int) -> Tuple[str, Optional[str]]:
        """Return the filtered label and the first bad key (None if fine)."""
        label_key = 'label-%09d' % index
        raw = txn.get(label_key.encode())
        if raw is None:
            return '', f'{label_key} (missing)'
        try:
            label = filter_text(str(raw, 'utf-8'), self.voc_type)
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
            if len(buf) == 0:
                return label, f'{key} (empty)'
            if self.check_images and decode_image(buf) is None:
                return label, f'{key} (does not decode)'
        return label, None

    def get_data_info(self, idx: int) -> dict:
        """Item ``idx`` with its raw image bytes read from the LMDB.

        Args:
            idx (int): Position in the dataset.

        Returns:
            dict: ``lmdb_index``, ``gt_text``, ``lmdb_path``,
            ``sample_idx`` and ``<name>_bytes`` / ``<name>_key`` per image.
        """
        info = super().get_data_info(idx)
        index = info['lmdb_index']
        info['lmdb_path'] = self.data_root
        with self.env.begin(write=False) as txn:
            for name, prefix in self.image_keys.items():
                key = '%s-%09d' % (prefix, index)
                buf = txn.get(key.encode())
                if buf is None:
                    raise KeyError(f'{key} vanished from {self.data_root}')
                info[f'{name}_bytes'] = buf
                info[f'{name}_key'] = key
        return info

    def prepare_data(self, idx: int) -> dict:
        """Item ``idx`` through the pipeline.

        Args:
            idx (int): Position in the dataset.

        Returns:
            dict: The pipeline's output.

        Raises:
            ValueError: The pipeline returned None (never refetched as a
                random other record).
        """
        info = self.get_data_info(idx)
        keys = [info[f'{name}_key'] for name in self.image_keys]
        data = self.pipeline(info)
        if data is None:
            raise ValueError(
                f'{self.__class__.__name__}: the pipeline dropped record '
                f'{info["lmdb_index"]} ({", ".join(keys)}) of '
                f'{self.data_root}; records are not replaced by others')
        return data
