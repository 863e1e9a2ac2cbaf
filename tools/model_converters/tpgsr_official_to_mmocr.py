"""Convert TPGSR's checkpoints (``mjq11302010044/TPGSR``) to the project's
TPGSR (``RecognizerGuidedSR`` with ``TPGSRNet``, ``configs/tpgsr/``).

TPGSR's training loop saves into its run folder (``ckpt/<vis_dir>/``), per
SR network, ``model_best_{i}.pth`` (``{'state_dict_G': ..., 'info': ...,
...}``; one file with ``--sr_share``) and, per stage, the student CRNN as
``recognizer_best_{i}.pth`` (a bare state dict). Give the run folder, or
the SR checkpoint and the students in stage order with ``--recognizer``.
The key map is :mod:`stisr_mmocr.converters.tpgsr`; the result is checked
against the model of ``--config`` (keys and shapes) before anything is
written, so ``tools/test.py CONFIG OUT`` loads it strictly.

Usage::

    python tools/model_converters/tpgsr_official_to_mmocr.py RUN_DIR OUT \\
        [--config configs/tpgsr/tpgsr_textzoom.py]
    python tools/model_converters/tpgsr_official_to_mmocr.py \\
        model_best_0.pth OUT --recognizer recognizer_best_0.pth \\
        [recognizer_best_1.pth ...] [--config CONFIG]
"""
from pathlib import Path

import stisr_mmocr  # noqa: F401
from stisr_mmocr.converters import convert_tpgsr, guided_cli

CONFIG = str(
    Path(__file__).resolve().parents[2] / 'configs' / 'tpgsr' /
    'tpgsr_textzoom.py')

SR_STEM, RECOGNIZER_STEM = 'model_best', 'recognizer_best'


def parse_args():
    return guided_cli.parse_args('TPGSR', SR_STEM, RECOGNIZER_STEM, CONFIG)


if __name__ == '__main__':
    guided_cli.convert_run(parse_args(), convert_tpgsr, SR_STEM,
                           RECOGNIZER_STEM)
