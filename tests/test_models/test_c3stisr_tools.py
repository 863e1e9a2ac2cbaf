"""The C3-STISR TextZoom config run by ``tools/test.py`` on a small
generated TextZoom: PSNR, SSIM and the CRNN judge per subset, checked
against the float64 reference of ``tests/reference_metrics.py``."""
import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmocr.registry import MODELS

from .. import reference_metrics as ref

REPO = Path(__file__).resolve().parents[2]
CONFIG = 'configs/c3stisr/c3stisr_triple-clue_textzoom.py'
CRNN = str(REPO / 'configs' / 'judges' / 'crnn_textzoom.py')
SUBSETS = ('easy', 'medium', 'hard')
# how many records of each subset get a label the judge reads ('e' in some
# case, with symbols that the label filter drops); an accented 'é' is
# dropped by the filter (TextZoom's str_filt), so it does not read as 'e'
E_LABELS = dict(easy=8, medium=4, hard=1)
E_SPELLINGS = ('e', 'E', 'e-', ' e.')


def options(root: str, judge: str) -> list:
    """--cfg-options: the data under ``root``, no workers, a shrunk model,
    the CRNN judge's weights from ``judge``; R takes its weights from the
    tested checkpoint only (testing applies ``recognizer_checkpoint``
    too)."""
    opts = [
        f'test_dataloader.dataset.datasets.{i}.data_root={root}/test/{s}'
        for i, s in enumerate(SUBSETS)
    ]
    lm = 'model.clue_generator.linguistic.language_model'
    return opts + [
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'test_dataloader.batch_size=16',
        f'test_evaluator.metrics.2.judges.crnn.checkpoint={judge}',
        'model.recognizer_checkpoint=None',
        'model.generator.hidden_channels=16', 'model.generator.num_blocks=1',
        f'{lm}.d_model=32', f'{lm}.n_head=2', f'{lm}.d_inner=64',
        f'{lm}.n_layers=1'
    ]


def relabelled_copy(root: str, out: Path) -> dict:
    """The test subsets of ``root`` under ``out``, the first ``E_LABELS``
    records of each relabelled as 'e'; returns the labels per subset."""
    labels = {}
    for subset in SUBSETS:
        words = [w for w, _, _ in ref.read_textzoom(f'{root}/test/{subset}')]
        assert not any(ref.filter_label(w) == 'e' for w in words)
        n = E_LABELS[subset]
        labels[subset] = [E_SPELLINGS[i % len(E_SPELLINGS)]
                          for i in range(n)] + ['é'] + words[n + 1:]
        (out / 'test').mkdir(parents=True, exist_ok=True)
        ref.relabel_textzoom(f'{root}/test/{subset}',
                             str(out / 'test' / subset), labels[subset])
    return labels


def test_triple_clue_config_through_tools_test(synthetic_textzoom, tmp_path):
    """tools/test.py on a random C3-STISR checkpoint reports, per subset
    and averaged, the PSNR / SSIM per batch of 48 (raw output) that the
    reference computes from the same weights run here on the reference LR
    inputs, and the word accuracy of a judge that reads every image as 'e':
    the share of labels that filter to 'e', known from the labels."""
    root = tmp_path / 'data'
    labels = relabelled_copy(synthetic_textzoom, root)
    judge = ref.read_one_character(
        MODELS.build(Config.fromfile(CRNN).model), 'e')
    judge_ckpt = str(tmp_path / 'judge.pth')
    torch.save(dict(state_dict=judge.state_dict()), judge_ckpt)

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
        ] + options(str(root), judge_ckpt),
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS='1'),
        capture_output=True,
        text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    logs = sorted(glob.glob(os.path.join(work, '*', '*.json')))
    with open(logs[-1]) as f:
        metrics = json.loads(f.readlines()[-1])

    model.eval()
    per_subset, sizes = {}, {}
    for subset in SUBSETS:
        _, lr, hr = ref.textzoom_pairs(str(root / 'test' / subset))
        with torch.no_grad():
            sr = model(torch.from_numpy(lr).float(), mode='tensor')
        image = ref.subset_metrics(sr.double().numpy(), hr, batch_size=48)
        per_subset[subset] = {
            k: v
            for k, v in image.items() if k.endswith('per_batch')
        }
        per_subset[subset]['crnn_word_acc'] = sum(
            ref.filter_label(t) == 'e' for t in labels[subset]) / len(hr)
        sizes[subset] = len(hr)
    expected = ref.with_averages(per_subset, sizes)
    # 8, 4 and 1 of 16 labels: written out, not only recomputed
    assert [expected[f'{s}/crnn_word_acc'] for s in (*SUBSETS, 'avg')] == \
        pytest.approx([0.5, 0.25, 0.0625, 13 / 48])
    ref.assert_metrics_match(metrics, expected)
