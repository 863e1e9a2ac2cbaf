"""TextSRInferencer on users' crops, and the cascade as MMOCRInferencer's
``rec`` model."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from stisr_mmocr.apis import TextSRInferencer
from .utils import ROOT, small_cascade_config, write_crops


@pytest.fixture(autouse=True)
def mmocr_scope():
    init_default_scope('mmocr')


@pytest.fixture
def crops(tmp_path):
    return write_crops(str(tmp_path / 'crops'))


def test_cascade_on_a_folder_with_a_corrupt_file(crops, tmp_path):
    inferencer = TextSRInferencer(small_cascade_config(str(tmp_path)))
    assert inferencer.lr_hw == (16, 64) and inferencer.mask
    out = str(tmp_path / 'out')
    results = inferencer(
        osp.dirname(crops[0]), batch_size=4, out_dir=out, progress_bar=False)
    assert [f['input'] for f in results['failed']
            ] == [osp.join(osp.dirname(crops[0]), 'broken.png')]
    preds = results['predictions']
    assert [p['input'] for p in preds] == crops
    for pred, path in zip(preds, crops):
        h, w = cv2.imread(path).shape[:2]
        assert pred['ori_shape'] == [h, w]
        assert pred['aspect_ratio'] == pytest.approx(w / h)
        assert cv2.imread(pred['sr_image']).shape == (32, 128, 3)
        assert isinstance(pred['text'], str) and 0 <= pred['score'] <= 1
        assert osp.isfile(osp.join(out, 'vis', osp.basename(path)))
    with open(osp.join(out, 'results.json')) as f:
        saved = json.load(f)
    assert saved['predictions'] == preds and len(saved['failed']) == 1
    assert saved['lr_hw'] == [16, 64]


def test_sr_model_on_bgr_arrays(crops):
    inferencer = TextSRInferencer(
        osp.join(ROOT, 'configs', 'bicubic', 'bicubic_textzoom.py'))
    arrays = [cv2.imread(p) for p in crops[:2]]
    arrays.append(np.zeros((5, 3, 3), np.uint8))
    results = inferencer(arrays, progress_bar=False)
    assert results['failed'] == []
    preds = results['predictions']
    assert [p['input'] for p in preds] == ['array_0', 'array_1', 'array_2']
    assert preds[2]['ori_shape'] == [5, 3]
    assert all(p['sr_shape'] == [32, 128] and 'text' not in p for p in preds)


def test_cascade_as_mmocr_inferencer_rec(crops, tmp_path):
    from mmocr.apis import MMOCRInferencer
    inferencer = MMOCRInferencer(rec=small_cascade_config(str(tmp_path)))
    out = str(tmp_path / 'mmocr')
    results = inferencer([cv2.imread(crops[0]), crops[1]],
                         out_dir=out,
                         save_vis=True)
    assert len(results['predictions']) == 2
    for pred in results['predictions']:
        assert len(pred['rec_texts']) == 1 and len(pred['rec_scores']) == 1
    assert osp.isfile(osp.join(out, 'vis', 'word_2.jpg'))
