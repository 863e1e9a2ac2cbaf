import logging
import os.path as osp
import sys
from typing import Dict, List, Optional

import cv2
import lmdb
import numpy as np
import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import stisr_mmocr  # noqa: E402,F401
from mmocr.utils import register_all_modules  # noqa: E402

# as in a config with default_scope = 'mmocr'
register_all_modules(init_default_scope=True)


def encode_png(img: np.ndarray) -> bytes:
    """RGB uint8 array -> PNG bytes."""
    ok, buf = cv2.imencode('.png', img[..., ::-1])
    assert ok
    return buf.tobytes()


def text_crop(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """A crop with dark strokes on a light background."""
    img = np.full((h, w, 3), rng.integers(180, 255), np.uint8)
    for x in range(2, w - 2, 5):
        img[h // 4:3 * h // 4, x:x + 2] = rng.integers(0, 60, 3)
    return img


def write_lmdb(path: str, records: Dict[str, bytes]) -> str:
    """Write raw key -> value records into a new LMDB directory."""
    env = lmdb.open(path, map_size=1 << 26)
    with env.begin(write=True) as txn:
        for k, v in records.items():
            txn.put(k.encode(), v)
    env.close()
    return path


def textzoom_records(labels: List[str],
                     seed: int = 0,
                     hr_hw=(32, 128),
                     lr_hw=(16, 64),
                     num_samples: Optional[int] = None) -> Dict[str, bytes]:
    """TextZoom-layout records for ``labels`` (indices from 1)."""
    rng = np.random.default_rng(seed)
    rec = {'num-samples': str(num_samples or len(labels)).encode()}
    for i, label in enumerate(labels, start=1):
        hr = text_crop(rng, *hr_hw)
        lr = cv2.resize(hr, lr_hw[::-1], interpolation=cv2.INTER_AREA)
        rec['label-%09d' % i] = label.encode()
        rec['image_hr-%09d' % i] = encode_png(hr)
        rec['image_lr-%09d' % i] = encode_png(lr)
    return rec


@pytest.fixture
def make_textzoom(tmp_path):
    """Factory: write a tiny TextZoom LMDB and return its directory."""

    def _make(name: str = 'split', labels=None, **kwargs) -> str:
        labels = labels or ['hello', 'World', 'abc123', 'text']
        return write_lmdb(
            str(tmp_path / name), textzoom_records(labels, **kwargs))

    return _make


@pytest.fixture(scope='session')
def synthetic_textzoom(tmp_path_factory) -> str:
    """A small synthetic TextZoom (train1/train2/test/{easy,medium,hard})
    made once per session by the project's generator."""
    from stisr_mmocr.datasets.synth_textzoom import generate_textzoom
    out = str(tmp_path_factory.mktemp('synthetic_textzoom'))
    generate_textzoom(out, num_train=64, num_test=16, seed=0)
    return out


@pytest.fixture
def log_records():
    """The records mmengine's current logger emits during the test."""
    from mmengine.logging import MMLogger
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)
