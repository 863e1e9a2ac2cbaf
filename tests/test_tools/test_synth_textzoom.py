# Copyright (c) OpenMMLab. All rights reserved.
import os
import os.path as osp
import shutil
import subprocess
import sys

import cv2
import lmdb
import numpy as np
import pytest

from stisr_mmocr.datasets.synth_textzoom import (DEFAULT_WORDS,
                                                     generate_textzoom)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO_ROOT, 'tools', 'dataset_converters',
                  'synth_textzoom.py')
SPLITS = ('train1', 'train2', 'test/easy', 'test/medium', 'test/hard')


def read_lmdb(path: str) -> dict:
    """Return every key/value pair of an LMDB."""
    env = lmdb.open(path, readonly=True, lock=False)
    with env.begin() as txn:
        items = dict(txn.cursor())
    env.close()
    return items


def read_all(written: dict) -> dict:
    return {name: read_lmdb(info['path']) for name, info in written.items()}


def decode(png: bytes) -> np.ndarray:
    assert png.startswith(b'\x89PNG\r\n\x1a\n')
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None and img.ndim == 3
    return img


def labels(items: dict) -> list:
    num = int(items[b'num-samples'])
    return [
        items[b'label-%09d' % i].decode('utf-8') for i in range(1, num + 1)
    ]


def find_ttf():
    """A TTF file shipped with matplotlib or the system, or None."""
    candidates = []
    try:
        import matplotlib
        candidates.append(
            osp.join(matplotlib.get_data_path(), 'fonts', 'ttf',
                     'DejaVuSans.ttf'))
    except ImportError:
        pass
    candidates.append('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf')
    return next((c for c in candidates if osp.isfile(c)), None)


@pytest.fixture(scope='module')
def small(tmp_path_factory):
    out_dir = str(tmp_path_factory.mktemp('small'))
    return generate_textzoom(out_dir, num_train=7, num_test=4)


def test_layout(small):
    assert list(small) == list(SPLITS)
    counts = {name: info['num_samples'] for name, info in small.items()}
    assert counts == {
        'train1': 4,
        'train2': 3,
        'test/easy': 4,
        'test/medium': 4,
        'test/hard': 4
    }
    vocabulary = {w.lower() for w in DEFAULT_WORDS}
    for name, info in small.items():
        assert info['path'].replace(os.sep, '/').endswith(name)
        assert osp.isfile(osp.join(info['path'], 'data.mdb'))
        items = read_lmdb(info['path'])
        num = int(items[b'num-samples'].decode('ascii'))
        assert num == info['num_samples']
        expected = {b'num-samples'}
        for i in range(1, num + 1):
            expected |= {
                b'label-%09d' % i,
                b'image_hr-%09d' % i,
                b'image_lr-%09d' % i
            }
        assert set(items) == expected
        for i in range(1, num + 1):
            assert items[b'label-%09d' % i].decode('utf-8').lower() \
                in vocabulary
            hr = decode(items[b'image_hr-%09d' % i])
            lr = decode(items[b'image_lr-%09d' % i])
            assert 32 <= hr.shape[0] <= 48 and hr.shape[1] >= hr.shape[0]
            assert hr.shape[0] == 2 * lr.shape[0]
            assert hr.shape[1] == 2 * lr.shape[1]


def test_train_splits_disjoint(small):
    train1 = read_lmdb(small['train1']['path'])
    train2 = read_lmdb(small['train2']['path'])
    hr1 = {v for k, v in train1.items() if k.startswith(b'image_hr')}
    hr2 = {v for k, v in train2.items() if k.startswith(b'image_hr')}
    assert len(hr1) == 4 and len(hr2) == 3
    assert not hr1 & hr2


def test_deterministic(small, tmp_path):
    # Worker processes must not change the output.
    same = generate_textzoom(
        str(tmp_path / 'same'), num_train=7, num_test=4, workers=2)
    assert read_all(same) == read_all(small)
    other = read_all(
        generate_textzoom(
            str(tmp_path / 'other'), num_train=7, num_test=4, seed=1))
    for name, items in read_all(small).items():
        assert items[b'image_hr-000000001'] != \
            other[name][b'image_hr-000000001']


def test_rewrite_replaces_old_samples(tmp_path):
    out_dir = str(tmp_path)
    generate_textzoom(out_dir, num_train=6, num_test=3)
    written = generate_textzoom(out_dir, num_train=2, num_test=1)
    items = read_lmdb(written['test/hard']['path'])
    assert int(items[b'num-samples']) == 1
    assert len(items) == 4


def psnr_bicubic(items: dict) -> float:
    """Mean PSNR of bicubic-upsampled LR crops against their HR crops."""
    values = []
    for i in range(1, int(items[b'num-samples']) + 1):
        hr = decode(items[b'image_hr-%09d' % i]).astype(np.float64)
        lr = decode(items[b'image_lr-%09d' % i])
        up = cv2.resize(
            lr, (hr.shape[1], hr.shape[0]),
            interpolation=cv2.INTER_CUBIC).astype(np.float64)
        values.append(10 * np.log10(255**2 / np.mean((up - hr)**2)))
    return float(np.mean(values))


def test_degradation_increases(tmp_path):
    data = read_all(generate_textzoom(str(tmp_path), 0, 40))
    easy = psnr_bicubic(data['test/easy'])
    medium = psnr_bicubic(data['test/medium'])
    hard = psnr_bicubic(data['test/hard'])
    assert easy > medium + 0.5
    assert easy > hard + 0.5


def test_words_file(tmp_path):
    word_file = tmp_path / 'words.txt'
    word_file.write_text('alpha\n\nBeta9\n', encoding='utf-8')
    data = read_all(
        generate_textzoom(str(tmp_path / 'out'), 4, 4, words=str(word_file)))
    seen = {
        label.lower()
        for items in data.values()
        for label in labels(items)
    }
    assert seen == {'alpha', 'beta9'}

    (tmp_path / 'empty.txt').write_text('\n', encoding='utf-8')
    with pytest.raises(ValueError, match='empty'):
        generate_textzoom(
            str(tmp_path / 'none'), 2, 1, words=str(tmp_path / 'empty.txt'))


def test_font_dir(small, tmp_path):
    ttf = find_ttf()
    if ttf is None:
        pytest.skip('no TrueType font found on this system')
    font_dir = tmp_path / 'fonts'
    font_dir.mkdir()
    shutil.copy(ttf, font_dir)
    (font_dir / 'README.txt').write_text('not a font', encoding='utf-8')
    data = read_all(
        generate_textzoom(str(tmp_path / 'out'), 7, 4, font_dir=str(font_dir)))
    default = read_all(small)
    for name, items in data.items():
        # Same seed, so the same words, drawn with another font.
        assert labels(items) == labels(default[name])
        decode(items[b'image_hr-000000001'])
        assert items[b'image_hr-000000001'] != \
            default[name][b'image_hr-000000001']


def test_font_dir_errors(tmp_path):
    missing = str(tmp_path / 'no_such_fonts')
    with pytest.raises(FileNotFoundError, match='no_such_fonts'):
        generate_textzoom(str(tmp_path / 'out'), 2, 1, font_dir=missing)
    empty = tmp_path / 'empty_fonts'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='empty_fonts'):
        generate_textzoom(str(tmp_path / 'out'), 2, 1, font_dir=str(empty))


def test_cli(tmp_path):
    out_dir = tmp_path / 'cli'
    result = subprocess.run([
        sys.executable, SCRIPT,
        str(out_dir), '--num-train', '3', '--num-test', '2', '--seed', '5',
        '--workers', '2'
    ],
                            cwd=REPO_ROOT,
                            capture_output=True,
                            text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'test/hard: 2 samples' in result.stdout
    expected = read_all(
        generate_textzoom(
            str(tmp_path / 'api'), num_train=3, num_test=2, seed=5))
    for name in SPLITS:
        cli_items = read_lmdb(osp.join(str(out_dir), *name.split('/')))
        assert cli_items == expected[name]
