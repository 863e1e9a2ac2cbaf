"""Lazy LMDB datasets: start-up reads labels and image keys, images are
decoded per item, bad records are listed with their keys and never
replaced by another record."""
import logging
import os

import cv2
import numpy as np
import pytest
from mmocr.registry import DATASETS
from torch.utils.data import DataLoader

import stisr_mmocr  # noqa: F401
from stisr_mmocr.datasets import SynthRecogLMDBDataset

from ..conftest import encode_png, text_crop, write_lmdb

DECODE = [dict(type='DecodeTextImages', names=('hr', ))]
WORDS = [
    'alpha', 'Beta', 'gamma-ray', 'DELTA', 'eps', 'zeta9', 'eta', 'theta',
    'iota', 'kappa'
]


def encode_jpg(img: np.ndarray) -> bytes:
    """RGB uint8 array -> JPEG bytes (quality 90)."""
    ok, buf = cv2.imencode('.jpg', img[..., ::-1],
                           [cv2.IMWRITE_JPEG_QUALITY, 90])
    assert ok
    return buf.tobytes()


def reference(buf: bytes) -> np.ndarray:
    """The RGB image of ``buf`` decoded here, apart from the project."""
    bgr = cv2.imdecode(np.frombuffer(buf, np.uint8), cv2.IMREAD_COLOR)
    assert bgr is not None
    return np.ascontiguousarray(bgr[..., ::-1])


def mjst_records(words, seed=0):
    """MJ/ST-layout records: JPEG crops, every third one PNG, of varied
    sizes."""
    rng = np.random.default_rng(seed)
    rec = {'num-samples': str(len(words)).encode()}
    for i, word in enumerate(words, start=1):
        img = text_crop(rng, 24 + 4 * (i % 3), 60 + 10 * i)
        rec['label-%09d' % i] = word.encode()
        rec['image-%09d' % i] = (encode_png(img) if i %
                                 3 == 0 else encode_jpg(img))
    return rec


@pytest.fixture
def mjst(tmp_path):
    rec = mjst_records(WORDS)
    return write_lmdb(str(tmp_path / 'mj'), rec), rec


def test_items_equal_independent_decode(mjst):
    root, rec = mjst
    ds = SynthRecogLMDBDataset(root, pipeline=DECODE)
    assert len(ds) == len(WORDS) and ds.num_skipped == 0
    for i in range(len(ds)):
        item = ds[i]
        key = 'image-%09d' % (i + 1)
        assert item['hr_key'] == key and item['lmdb_index'] == i + 1
        assert item['lmdb_path'] == root and item['sample_idx'] == i
        np.testing.assert_array_equal(item['img_hr'], reference(rec[key]))
        assert item['ori_shape_hr'] == reference(rec[key]).shape[:2]
    assert [ds[i]['gt_text']
            for i in range(3)] == ['alpha', 'beta', 'gammaray']


def test_lazy_equals_eager(mjst):
    root, _ = mjst
    lazy = SynthRecogLMDBDataset(root, pipeline=DECODE)
    eager = SynthRecogLMDBDataset(root, check_images=True, pipeline=DECODE)
    assert len(lazy) == len(eager) == len(WORDS)
    for i in range(len(lazy)):
        a, b = lazy[i], eager[i]
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])


def test_label_filtering_and_counts(tmp_path):
    words = [
        'Hello', 'wor ld', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '!!', 'x',
        'Caf\u00e9', 'x', 'A1-b2'
    ]
    rec = mjst_records(words)
    rec['label-%09d' % 5] = b'\xff\xfe'
    del rec['label-%09d' % 7]
    root = write_lmdb(str(tmp_path / 'labels'), rec)
    ds = SynthRecogLMDBDataset(root, max_len=20, min_len=1)
    assert [ds.get_data_info(i)['gt_text']
            for i in range(len(ds))] == ['hello', 'world', 'caf', 'a1b2']
    assert [ds.get_data_info(i)['lmdb_index']
            for i in range(len(ds))] == [1, 2, 6, 8]
    assert ds.num_skipped == 4
    assert ds.skipped_keys == [
        'label-000000003 (longer than max_len=20)',
        'label-000000004 (shorter than min_len=1 after filtering)',
        'label-000000005 (not utf-8)',
        'label-000000007 (missing)',
    ]
    # the 26-letter label is kept without max_len; '!!' stays as ''
    ds = SynthRecogLMDBDataset(root)
    assert [ds.get_data_info(i)['gt_text'] for i in range(len(ds))] == [
        'hello', 'world', 'abcdefghijklmnopqrstuvwxyz', '', 'caf', 'a1b2'
    ]
    assert ds.num_skipped == 2


def test_bad_images_listed_with_keys(tmp_path, log_records):
    rec = mjst_records(WORDS[:6])
    del rec['image-%09d' % 2]
    rec['image-%09d' % 3] = b''
    rec['image-%09d' % 5] = b'\x89PNG\r\n\x1a\n truncated'
    root = write_lmdb(str(tmp_path / 'badimg'), rec)
    ds = SynthRecogLMDBDataset(root, pipeline=DECODE)
    assert ds.skipped_keys == [
        'image-000000002 (missing)', 'image-000000003 (empty)'
    ]
    warnings = [r for r in log_records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and warnings[0].getMessage() == (
        f'SynthRecogLMDBDataset: skipped 2 of 6 records in {root}; first: '
        'image-000000002 (missing), image-000000003 (empty)')
    assert [ds.get_data_info(i)['lmdb_index']
            for i in range(len(ds))] == [1, 4, 5, 6]
    ds = SynthRecogLMDBDataset(root, check_images=True, pipeline=DECODE)
    assert ds.skipped_keys[-1] == 'image-000000005 (does not decode)'
    assert [ds.get_data_info(i)['lmdb_index']
            for i in range(len(ds))] == [1, 4, 6]


def test_undecodable_raises_not_substituted(tmp_path):
    rec = mjst_records(WORDS[:5])
    rec['image-%09d' % 3] = b'this is not an image'
    root = write_lmdb(str(tmp_path / 'corrupt'), rec)
    # training mode: BaseDataset would refetch a random record on None
    ds = SynthRecogLMDBDataset(root, pipeline=DECODE, test_mode=False)
    assert len(ds) == 5 and ds.num_skipped == 0
    with pytest.raises(ValueError,
                       match='image-000000003 of LMDB .*corrupt does not'):
        ds[2]
    assert ds[3]['gt_text'] == 'delta'
    loader = DataLoader(ds,
                        batch_size=5,
                        num_workers=2,
                        collate_fn=list,
                        multiprocessing_context='fork')
    with pytest.raises(ValueError, match='image-000000003'):
        list(loader)


def test_pipeline_dropping_an_item_raises(mjst):
    root, _ = mjst
    drop_third = [lambda r: None if r['lmdb_index'] == 3 else r]
    ds = SynthRecogLMDBDataset(root, pipeline=drop_third, test_mode=False)
    assert ds[1]['lmdb_index'] == 2
    with pytest.raises(ValueError,
                       match='dropped record 3 .image-000000003. of .*mj'):
        ds[2]


def test_forked_workers(mjst):
    root, rec = mjst
    parent = os.getpid()
    ds = SynthRecogLMDBDataset(root,
                               pipeline=DECODE +
                               [lambda r: dict(r, pid=os.getpid())])
    ds.env  # the parent holds an open environment before the fork
    loader = DataLoader(ds,
                        batch_size=3,
                        num_workers=2,
                        collate_fn=list,
                        multiprocessing_context='fork')
    items = [item for batch in loader for item in batch]
    assert [it['lmdb_index'] for it in items] == list(range(1, 11))
    assert [it['gt_text'] for it in items] == [
        'alpha', 'beta', 'gammaray', 'delta', 'eps', 'zeta9', 'eta', 'theta',
        'iota', 'kappa'
    ]
    pids = {it['pid'] for it in items}
    assert len(pids) == 2 and parent not in pids
    for it in items:
        key = 'image-%09d' % it['lmdb_index']
        np.testing.assert_array_equal(it['img_hr'], reference(rec[key]))
    # the parent's environment still works after the workers
    np.testing.assert_array_equal(ds[0]['img_hr'],
                                  reference(rec['image-000000001']))


def test_missing_path_named_at_build(tmp_path):
    missing = str(tmp_path / 'data' / 'mjst' / 'ST')
    cfg = dict(type='SynthRecogLMDBDataset', data_root=missing, lazy_init=True)
    with pytest.raises(FileNotFoundError, match=r"data_root='.*data/mjst/ST'"):
        DATASETS.build(cfg)
