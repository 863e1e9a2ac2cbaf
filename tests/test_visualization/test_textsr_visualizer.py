"""TextSRLocalVisualizer: LR | SR | HR panels, texts, wrong characters."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import LabelData
from mmocr.registry import VISUALIZERS

import stisr_mmocr  # noqa: F401
from stisr_mmocr.structures import TextSRDataSample
from stisr_mmocr.visualization import mark_errors

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CRNN = osp.join(ROOT, 'configs', 'judges', 'crnn_textzoom.py')
RED = np.array([220, 0, 0])


@pytest.fixture(autouse=True)
def mmocr_scope():
    init_default_scope('mmocr')


def sample(pred_text='hello'):
    gen = torch.Generator().manual_seed(0)
    hr = torch.rand(4, 32, 128, generator=gen)
    s = TextSRDataSample()
    s.gt_img = hr
    s.pred_img = hr.flip(-1)
    s.gt_text = LabelData(item='Hello')
    s.pred_text = LabelData(item=pred_text)
    lr = (torch.nn.functional.avg_pool2d(hr[None, :3], 2)[0] * 255).byte()
    return lr.permute(1, 2, 0).numpy(), s


def test_mark_errors():
    assert mark_errors('hel1o', 'hello') == [True, True, True, False, True]
    assert mark_errors('HELLO', 'hello') == [True] * 5
    assert mark_errors('HELLO', 'hello', ignore_case=False) == [False] * 5
    assert mark_errors('helo', 'hello') == [True] * 4
    assert mark_errors('xhello', 'hello') == [False] + [True] * 5
    assert mark_errors('', 'abc') == []


def test_writes_three_differing_panels(tmp_path):
    vis = VISUALIZERS.build(
        dict(
            type='TextSRLocalVisualizer',
            name='test_panels',
            judges=dict(crnn=dict(type='TextRecogJudge', recognizer=CRNN))))
    lr, s = sample()
    out = str(tmp_path / 'sample.png')
    canvas = vis.add_datasample('sample', lr, s, out_file=out)
    img = cv2.imread(out)[..., ::-1]
    # 3 panels of 2 x (32, 128); text lines: 'crnn' and 'rec' + title + GT
    m, lh, h, w = 6, 20, 64, 256
    assert img.shape == (2 * m + lh + h + 2 * lh + lh, m + 3 * (w + m), 3)
    assert np.array_equal(img, canvas)
    panels = [
        img[m + lh:m + lh + h, m + i * (w + m):m + i * (w + m) + w]
        for i in range(3)
    ]
    assert not np.array_equal(panels[0], panels[1])
    assert not np.array_equal(panels[1], panels[2])
    assert not np.array_equal(panels[0], panels[2])
    # LR drawn by nearest neighbour: 2 x 2 (x zoom 2) blocks of one colour
    assert np.array_equal(panels[0][::4, ::4], panels[0][3::4, 3::4])
    # HR panel is the ground truth, zoomed
    hr = (s.gt_img[:3] * 255).round().byte().permute(1, 2, 0).numpy()
    assert np.array_equal(panels[2][::2, ::2], hr)


def red_pixels(img):
    """Red pixels in the text lines under the panels."""
    text = img[6 + 20 + 64:].astype(int)
    return int((np.abs(text - RED).sum(-1) < 60).sum())


def test_wrong_characters_are_red():
    vis = VISUALIZERS.build(
        dict(type='TextSRLocalVisualizer', name='test_red'))
    lr, right = sample('hello')
    assert red_pixels(vis.draw_panels(lr, right)) == 0
    lr, wrong = sample('hexxo')
    assert red_pixels(vis.draw_panels(lr, wrong)) > 0
    # without a ground truth nothing is marked
    assert red_pixels(vis.draw_panels(lr, wrong, draw_gt=False)) == 0


def test_missing_panels_are_left_out():
    vis = VISUALIZERS.build(
        dict(type='TextSRLocalVisualizer', name='test_missing'))
    lr, s = sample()
    del s.gt_img
    assert vis.draw_panels(lr, s).shape[1] == 6 + 2 * (256 + 6)
    del s.pred_img
    assert vis.draw_panels(lr, s).shape[1] == 6 + 1 * (128 + 6)
