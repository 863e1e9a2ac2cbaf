"""Convert TATT's checkpoints (``mjq11302010044/TATT``) to the project's
TATT (``TATT`` with ``TATTNet``, ``configs/tatt/``).

TATT's training loop saves into its run folder (``ckpt/<vis_dir>/``), per
SR network, ``model_best_acc_{i}.pth`` (``{'state_dict_G': ..., 'info':
..., ...}``; one with ``--sr_share``) and, per stage, the student CRNN as
``recognizer_best_acc_{i}.pth`` (a bare state dict); ``test_TATT.sh``
reads the same files (``--resume=ckpt/TATT/``). Give the run folder, or the
SR checkpoint and the students in stage order with ``--recognizer``. The
key map is :mod:`stisr_mmocr.converters.tatt`; the result is checked
against the model of ``--config`` (keys and shapes) before anything is
written, so ``tools/test.py CONFIG OUT`` loads it strictly.

Usage::

    python tools/model_converters/tatt_official_to_mmocr.py RUN_DIR OUT \\
        [--config configs/tatt/tatt_textzoom.py]
    python tools/model_converters/tatt_official_to_mmocr.py \\
        model_best_acc_0.pth OUT --recognizer recognizer_best_acc_0.pth \\
        [--config CONFIG]
"""
from pathlib import Path

import stisr_mmocr  # noqa: F401
from stisr_mmocr.converters import convert_tatt, guided_cli

CONFIG = str(
    Path(__file__).resolve().parents[2] / 'configs' / 'tatt' /
    'tatt_textzoom.py')

SR_STEM, RECOGNIZER_STEM = 'model_best_acc', 'recognizer_best_acc'


def parse_args():
    return guided_cli.parse_args('TATT', SR_STEM, RECOGNIZER_STEM, CONFIG)


if __name__ == '__main__':
    guided_cli.convert_run(parse_args(), convert_tatt, SR_STEM,
                           RECOGNIZER_STEM)
