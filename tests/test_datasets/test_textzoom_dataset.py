import pickle

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmocr.registry import DATASETS
from torch.utils.data import DataLoader

import stisr_mmocr  # noqa: F401
from stisr_mmocr.datasets import SynthRecogLMDBDataset, TextZoomDataset
from stisr_mmocr.datasets.lmdb_text_dataset import open_lmdb
from stisr_mmocr.structures import TextSRDataSample

from ..conftest import encode_png, text_crop, textzoom_records, write_lmdb

PIPELINE = [
    dict(type='DecodeTextImages'),
    dict(type='ResizeLRHR'),
    dict(type='AddMaskChannel'),
    dict(type='PackTextSRInputs'),
]


def labels(ds):
    return [ds.get_data_info(i)['gt_text'] for i in range(len(ds))]


def test_registered_and_items(make_textzoom):
    root = make_textzoom(labels=['Hello', 'wor ld', 'A-1'])
    ds = DATASETS.build(
        dict(type='TextZoomDataset', data_root=root, pipeline=PIPELINE))
    assert len(ds) == 3 and ds.num_skipped == 0
    item = ds[1]
    assert item['inputs'].shape == (4, 16, 64)
    assert item['inputs'].dtype == torch.uint8
    sample = item['data_samples']
    assert isinstance(sample, TextSRDataSample)
    assert sample.gt_img.shape == (4, 32, 128)
    assert sample.gt_text.item == 'world'
    assert sample.lmdb_index == 2 and sample.sample_idx == 1
    assert ds[2]['data_samples'].gt_text.item == 'a1'


def test_voc_type_all_and_max_len(make_textzoom):
    root = make_textzoom(labels=['Hello', 'averyveryverylongword', 'A-1'])
    ds = TextZoomDataset(root, voc_type='all', max_len=10)
    assert labels(ds) == ['Hello', 'A-1']
    assert ds.num_skipped == 1
    assert 'max_len' in ds.skipped_keys[0]


def test_bad_records_skipped_and_counted(tmp_path, caplog):
    rec = textzoom_records(
        ['good', 'nolabel', 'nohr', 'corrupt', 'emptyhr', 'fine'])
    del rec['label-%09d' % 2]
    del rec['image_hr-%09d' % 3]
    rec['image_lr-%09d' % 4] = b'not an image'
    rec['image_hr-%09d' % 5] = b''
    root = write_lmdb(str(tmp_path / 'bad'), rec)
    # start-up reads labels and image keys only: missing and empty images
    # are skipped and listed, undecodable bytes surface when decoded
    ds = TextZoomDataset(root, pipeline=PIPELINE)
    assert ds.num_skipped == 3
    assert [ds.get_data_info(i)['lmdb_index'] for i in range(3)] == [1, 4, 6]
    assert ds.skipped_keys == [
        'label-000000002 (missing)', 'image_hr-000000003 (missing)',
        'image_hr-000000005 (empty)'
    ]
    # every kept record is a distinct sample: no neighbour substitution,
    # the corrupt one raises with its key and LMDB even in training mode
    assert [ds[i]['data_samples'].gt_text.item for i in (0, 2)] == [
        'good', 'fine'
    ]
    with pytest.raises(ValueError,
                       match='image_lr-000000004 of LMDB .*bad does not'):
        ds[1]
    # check_images=True decodes during the scan and skips it up front
    ds = TextZoomDataset(root, check_images=True, pipeline=PIPELINE)
    assert ds.num_skipped == 4
    assert ds.skipped_keys[2] == 'image_lr-000000004 (does not decode)'
    assert [ds[i]['data_samples'].lmdb_index for i in range(2)] == [1, 6]


def test_empty_labels_kept_out_with_min_len(tmp_path):
    """Labels empty after the official filter ('é', '!!') are skipped and
    counted with min_len=1, never replaced by a neighbour; without it they
    stay as ''."""
    rec = textzoom_records(['ok', '\u00e9', '!!', 'Caf\u00e9'])
    root = write_lmdb(str(tmp_path / 'empty'), rec)
    assert labels(TextZoomDataset(root)) == ['ok', '', '', 'caf']
    ds = TextZoomDataset(root, min_len=1, max_len=20, pipeline=PIPELINE)
    assert labels(ds) == ['ok', 'caf']
    assert ds.num_skipped == 2
    assert ds.skipped_keys == [
        'label-000000002 (shorter than min_len=1 after filtering)',
        'label-000000003 (shorter than min_len=1 after filtering)'
    ]
    assert [ds[i]['data_samples'].lmdb_index for i in range(2)] == [1, 4]


def test_num_samples_larger_than_records(tmp_path):
    rec = textzoom_records(['a', 'b'], num_samples=4)
    ds = TextZoomDataset(write_lmdb(str(tmp_path / 'short'), rec))
    assert len(ds) == 2 and ds.num_skipped == 2


def test_missing_dir_and_num_samples(tmp_path):
    with pytest.raises(FileNotFoundError, match='data_root=.*nowhere'):
        TextZoomDataset(str(tmp_path / 'nowhere'))
    # at construction, even when loading is deferred
    with pytest.raises(FileNotFoundError, match='data_root=.*nowhere'):
        TextZoomDataset(str(tmp_path / 'nowhere'), lazy_init=True)
    (tmp_path / 'nodata').mkdir()
    with pytest.raises(FileNotFoundError, match='no data.mdb'):
        TextZoomDataset(str(tmp_path / 'nodata'))
    rec = textzoom_records(['a'])
    del rec['num-samples']
    root = write_lmdb(str(tmp_path / 'nonum'), rec)
    with pytest.raises(KeyError, match='num-samples.*nonum'):
        TextZoomDataset(root)


def test_no_usable_record(tmp_path):
    rec = textzoom_records(['a', 'b'])
    for i in (1, 2):
        rec['image_hr-%09d' % i] = b'garbage'
    del rec['image_lr-%09d' % 1]
    root = write_lmdb(str(tmp_path / 'allbad'), rec)
    with pytest.raises(ValueError, match='No usable record.*allbad'):
        TextZoomDataset(root, check_images=True)
    # without the decode check record 2 passes the key scan
    assert len(TextZoomDataset(root)) == 1


def test_lazy_env_per_process(make_textzoom):
    root = make_textzoom()
    ds = TextZoomDataset(root, pipeline=PIPELINE)
    ds[0]
    env = ds.env
    assert ds.env is env and open_lmdb(root) is env
    # a second dataset over the same LMDB shares the environment
    twin = pickle.loads(pickle.dumps(ds))
    assert twin.env is env and len(twin) == 4
    # forked workers open their own environments after the parent's
    loader = DataLoader(
        ds, batch_size=2, num_workers=2, collate_fn=pseudo_collate,
        multiprocessing_context='fork')
    texts = [s.gt_text.item for b in loader for s in b['data_samples']]
    assert texts == ['hello', 'world', 'abc123', 'text']


def test_mask_channel_marks_dark_text(make_textzoom):
    ds = TextZoomDataset(make_textzoom(), pipeline=PIPELINE)
    hr = ds[0]['data_samples'].gt_img.numpy()
    gray = (hr[:3].astype(np.float64) * np.array(
        [0.299, 0.587, 0.114])[:, None, None]).sum(0)
    mask = hr[3] > 0
    assert mask.any() and not mask.all()
    assert gray[mask].mean() < gray[~mask].mean()
    assert set(np.unique(hr[3])) <= {0, 255}


def test_synth_recog_lmdb_with_degradation(tmp_path):
    rng = np.random.default_rng(0)
    rec = {'num-samples': b'3'}
    for i, word in enumerate(['alpha', 'beta', 'gamma'], start=1):
        rec['label-%09d' % i] = word.encode()
        rec['image-%09d' % i] = encode_png(text_crop(rng, 40, 120))
    root = write_lmdb(str(tmp_path / 'mj'), rec)
    pipeline = [
        dict(type='DecodeTextImages', names=('hr', )),
        dict(
            type='RandomDegrade',
            scales=(4, ),
            blur_prob=1.,
            noise_prob=1.,
            jpeg_prob=1.),
        dict(type='ResizeLRHR'),
        dict(type='PackTextSRInputs'),
    ]
    ds = SynthRecogLMDBDataset(root, pipeline=pipeline)
    item = ds[0]
    assert item['inputs'].shape == (3, 16, 64)
    assert item['data_samples'].gt_img.shape == (3, 32, 128)
    assert item['data_samples'].gt_text.item == 'alpha'


def test_random_degrade_scales():
    from stisr_mmocr.datasets.transforms import RandomDegrade
    img = text_crop(np.random.default_rng(0), 40, 120)
    t = RandomDegrade(scales=(4, ), blur_prob=0, noise_prob=0, jpeg_prob=0)
    assert t(dict(img_hr=img))['img_lr'].shape == (10, 30, 3)
    # short side <= 28: factors above 3 are not drawn
    small = img[:20]
    t = RandomDegrade(scales=(2, 4), blur_prob=0, noise_prob=0, jpeg_prob=0)
    for _ in range(5):
        assert t(dict(img_hr=small))['img_lr'].shape == (10, 60, 3)
    with pytest.raises(ValueError, match='scales'):
        RandomDegrade(scales=(0, ))
