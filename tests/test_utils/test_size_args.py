"""Sizes are (H, W) and named ``*_hw``; the old names fail with an error
that names the new one."""
import numpy as np
import pytest
from mmengine.config import Config
from mmocr.registry import MODELS, TRANSFORMS

from stisr_mmocr.models.judges import RecognizerReader
from tests.test_apis.utils import ROOT


def test_resize_lr_hr_sizes_are_height_width():
    resize = TRANSFORMS.build(dict(type='ResizeLRHR', lr_hw=(8, 24),
                                   hr_hw=(16, 48)))
    out = resize(dict(img_lr=np.zeros((5, 7, 3), np.uint8),
                      img_hr=np.zeros((9, 11, 3), np.uint8)))
    assert out['img_lr'].shape == (8, 24, 3)
    assert out['img_hr'].shape == (16, 48, 3)


def test_old_size_names_name_the_new_ones():
    with pytest.raises(TypeError, match='`lr_size` is now `lr_hw`'):
        TRANSFORMS.build(dict(type='ResizeLRHR', lr_size=(64, 16)))
    cfg = Config.fromfile(f'{ROOT}/configs/tsrn/_base_tsrn.py')
    cfg.model.lr_size = cfg.model.pop('lr_hw')
    with pytest.raises(TypeError, match='`lr_size` is now `lr_hw`'):
        MODELS.build(cfg.model)
    with pytest.raises(TypeError, match='`lr_size` is now `lr_hw`'):
        MODELS.build(dict(type='C3ClueGenerator', num_classes=37,
                          lr_size=(16, 64)))
    reader = Config(dict(reader=dict(size=(100, 32), gray=True)))
    with pytest.raises(KeyError, match='`size` is now `hw`'):
        RecognizerReader.from_config(reader)
    with pytest.raises(KeyError, match='`size` is now `hw`'):
        RecognizerReader.from_config(None, dict(size=None))
