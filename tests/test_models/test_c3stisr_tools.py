"""The C3-STISR TextZoom config run by ``tools/test.py`` on a small
generated TextZoom: PSNR, SSIM and the CRNN judge per subset."""
import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import torch
from mmengine.config import Config
from mmocr.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'configs/c3stisr/c3stisr_triple-clue_textzoom.py'
SUBSETS = ('easy', 'medium', 'hard')


def options(root: str) -> list:
    """--cfg-options: the data under ``root``, no workers, a shrunk model
    and a CRNN judge with random weights; R takes its weights from the
    tested checkpoint only (testing applies ``recognizer_checkpoint`` too)."""
    opts = [
        f'test_dataloader.dataset.datasets.{i}.data_root={root}/test/{s}'
        for i, s in enumerate(SUBSETS)
    ]
    lm = 'model.clue_generator.linguistic.language_model'
    return opts + [
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'test_dataloader.batch_size=16',
        'test_evaluator.metrics.2.judges.crnn.checkpoint=None',
        'model.recognizer_checkpoint=None',
        'model.generator.hidden_channels=16', 'model.generator.num_blocks=1',
        f'{lm}.d_model=32', f'{lm}.n_head=2', f'{lm}.d_inner=64',
        f'{lm}.n_layers=1'
    ]


def test_triple_clue_config_through_tools_test(synthetic_textzoom, tmp_path):
    opts = options(synthetic_textzoom)
    cfg = Config.fromfile(str(REPO / CONFIG))
    cfg.model.generator.update(hidden_channels=16, num_blocks=1)
    cfg.model.clue_generator.linguistic.language_model.update(
        d_model=32, n_head=2, d_inner=64, n_layers=1)
    model = MODELS.build(cfg.model)
    ckpt = str(tmp_path / 'c3stisr.pth')
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), ckpt)

    work = str(tmp_path / 'test')
    proc = subprocess.run(
        [
            sys.executable, 'tools/test.py', CONFIG, ckpt, '--work-dir', work,
            '--cfg-options'
        ] + opts,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1'),
        capture_output=True,
        text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    logs = sorted(glob.glob(os.path.join(work, '*', '*.json')))
    with open(logs[-1]) as f:
        metrics = json.loads(f.readlines()[-1])
    for subset in (*SUBSETS, 'avg'):
        assert 0 < metrics[f'{subset}/PSNR_per_batch'] < 60
        assert -1 <= metrics[f'{subset}/SSIM_per_batch'] <= 1
        assert 0 <= metrics[f'{subset}/crnn_word_acc'] <= 1
