"""Inputs shared by the inferencer and CLI tests."""
import os
import os.path as osp

from stisr_mmocr.datasets.synth_textzoom import (SplitSpec, find_fonts,
                                                     load_words, make_sample)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def write_crops(out_dir: str, num: int = 5, level: str = 'hard') -> list:
    """Write ``num`` LR crops (PNG, their own sizes) rendered by the
    synthetic TextZoom generator, plus one corrupt ``broken.png``; return
    the crop paths."""
    os.makedirs(out_dir, exist_ok=True)
    spec = SplitSpec(f'test/{level}', level, 0, load_words(None),
                     find_fonts(None))
    paths = []
    for i in range(num):
        path = osp.join(out_dir, f'word_{i + 1}.png')
        with open(path, 'wb') as f:
            f.write(make_sample(spec, i)[2])
        paths.append(path)
    with open(osp.join(out_dir, 'broken.png'), 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n truncated')
    return paths


def small_cascade_config(out_dir: str) -> str:
    """The shipped TSRN + CRNN cascade config with a one-block TSRN and no
    checkpoints (nothing to download)."""
    path = osp.join(out_dir, 'cascade.py')
    base = osp.join(ROOT, 'configs', 'cascade', 'tsrn_crnn_ocrdataset.py')
    with open(path, 'w') as f:
        f.write(f"_base_ = ['{base}']\n"
                "model = dict(generator=dict(_delete_=True, type='TSRN', "
                'num_blocks=1, hidden_channels=16), '
                'recognizer_checkpoint=None)\n')
    return path
