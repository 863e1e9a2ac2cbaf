"""tools/analysis_tools/synthetic_study.py: argument checks, the table, and
the whole study at its tiny size (real generator, judge, models, runners)."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmocr.registry import MODELS

from tools.analysis_tools import synthetic_study as study
from .. import reference_metrics as ref

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ALL_METHODS = 'bicubic,tsrn,c3stisr,stirer'


def test_resolve_methods():
    methods = study.resolve_methods(' TSRN, bicubic ')
    assert [m.name for m in methods] == ['TSRN', 'Bicubic']
    with pytest.raises(ValueError, match="unknown method.*'srcnn'"):
        study.resolve_methods('tsrn,srcnn')
    with pytest.raises(ValueError, match='repeats'):
        study.resolve_methods('tsrn,tsrn')
    with pytest.raises(ValueError, match='no method'):
        study.resolve_methods(' , ')


def test_missing_config_fails_clearly(monkeypatch):
    monkeypatch.setitem(study.METHODS, 'stirer',
                        study.Method('STIRER', 'configs/stirer/nope.py'))
    with pytest.raises(FileNotFoundError, match='configs/stirer/nope.py'):
        study.resolve_methods('bicubic,stirer')


def fake_metrics(acc: float, psnr: float = None, own: float = None) -> dict:
    out = {}
    for i, s in enumerate(study.SLICES):
        out[f'{s}/crnn_word_acc'] = acc - 0.01 * i
        if psnr is not None:
            out[f'{s}/PSNR_per_image'] = psnr
            out[f'{s}/SSIM_per_image'] = psnr / 100
            out[f'{s}/PSNR_per_batch'] = psnr - 1
            out[f'{s}/SSIM_per_batch'] = psnr / 200
        if own is not None:
            out[f'{s}/word_acc'] = own
    return out


def test_table_and_expected_order():
    methods = study.resolve_methods(ALL_METHODS)
    results = {
        'Bicubic': fake_metrics(0.30, 20.),
        'TSRN': fake_metrics(0.40, 21.),
        'C3-STISR': fake_metrics(0.55, 21.5),
        'STIRER': fake_metrics(0.50, 22., own=0.7),
        'HR': fake_metrics(0.80),
    }
    rows = study.table_rows(results, methods)
    assert [r['name'] for r in rows] == [
        'Bicubic', 'TSRN', 'C3-STISR', 'STIRER', 'STIRER (own recognizer)',
        'HR'
    ]
    table = study.format_table(rows).splitlines()
    assert len(table) == 4 + len(rows)
    assert table[2] == ('| Bicubic | 30.0 / 29.0 / 28.0 / 27.0 '
                        '| 20.00 / 20.00 / 20.00 / 20.00 '
                        '| 0.2000 / 0.2000 / 0.2000 / 0.2000 '
                        '| 19.00 / 19.00 / 19.00 / 19.00 '
                        '| 0.1000 / 0.1000 / 0.1000 / 0.1000 |')
    assert table[len(rows) + 1] == (
        '| HR | 80.0 / 79.0 / 78.0 / 77.0 | - | - | - | - |')
    assert study.check_order(rows) == []

    results['TSRN'] = fake_metrics(0.60, 21.)
    broken = study.check_order(study.table_rows(results, methods))
    assert broken == [
        'STIRER (47.0 %) <= TSRN (57.0 %)',
        'C3-STISR (52.0 %) <= TSRN (57.0 %)'
    ]


def row(name: str, avg: float) -> dict:
    """A hand-written table row: only the average judge accuracy counts."""
    return dict(name=name, acc=[0., 0., 0., avg], psnr_image=None,
                ssim_image=None, psnr_batch=None, ssim_batch=None)


def test_check_order_on_hand_written_rows():
    kept = [
        row('Bicubic', 10.), row('TSRN', 20.), row('C3-STISR', 30.),
        row('STIRER', 40.), row('STIRER (own recognizer)', 1.),
        row('HR', 50.)
    ]
    assert study.check_order(kept) == []
    # a tie breaks the order (<=); the own-recognizer row takes no part
    broken = [
        row('Bicubic', 25.), row('TSRN', 25.), row('C3-STISR', 60.),
        row('STIRER', 20.), row('STIRER (own recognizer)', 99.),
        row('HR', 55.)
    ]
    assert study.check_order(broken) == [
        'HR (55.0 %) <= C3-STISR (60.0 %)',
        'STIRER (20.0 %) <= TSRN (25.0 %)',
        'TSRN (25.0 %) <= Bicubic (25.0 %)',
    ]
    # methods left out of the study, a row without accuracy and a NaN
    # average are skipped: the groups around them are compared directly
    partial = [
        row('Bicubic', 30.), dict(row('TSRN', 0.), acc=None),
        row('STIRER', float('nan')), row('HR', 20.)
    ]
    assert study.check_order(partial) == ['HR (20.0 %) <= Bicubic (30.0 %)']
    assert study.check_order([row('HR', 5.)]) == []


# the expected ordering's pairs, (higher, lower), in the order they are
# reported
ORDER_PAIRS = [('HR', 'STIRER'), ('HR', 'C3-STISR'), ('STIRER', 'TSRN'),
               ('C3-STISR', 'TSRN'), ('TSRN', 'Bicubic')]


def test_tiny_study_end_to_end(tmp_path):
    work = str(tmp_path / 'study')
    proc = subprocess.run(
        [
            sys.executable, 'tools/analysis_tools/synthetic_study.py',
            '--size', 'tiny', '--models', ALL_METHODS, '--work-dir', work
        ],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT),
        capture_output=True,
        text=True,
        timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert '| STIRER (own recognizer) |' in proc.stdout
    with open(osp.join(work, 'study_tiny.json')) as f:
        result = json.load(f)
    # the verdict is the one the rows give, derived here from the pairs
    avg = {r['name']: r['acc'][-1] for r in result['rows']}
    assert result['order_broken'] == [
        f'{hi} ({avg[hi]:.1f} %) <= {lo} ({avg[lo]:.1f} %)'
        for hi, lo in ORDER_PAIRS if avg[hi] <= avg[lo]
    ]
    verdict = ('expected ordering broken: ' +
               '; '.join(result['order_broken'])
               if result['order_broken'] else 'expected ordering holds')
    assert verdict in proc.stdout
    names = [r['name'] for r in result['rows']]
    assert names == [
        'Bicubic', 'TSRN', 'C3-STISR', 'STIRER', 'STIRER (own recognizer)',
        'HR'
    ]
    # 4 test images per subset: accuracies are multiples of 25 %, and the
    # size-weighted average of equal subsets is their mean
    columns = ('acc', 'psnr_image', 'ssim_image', 'psnr_batch', 'ssim_batch')
    for r in result['rows']:
        assert all(4 * a / 100 == round(4 * a / 100) for a in r['acc'])
        for column in columns:
            if r[column] is not None:
                assert r[column][3] == pytest.approx(
                    sum(r[column][:3]) / 3, abs=1e-9), (r['name'], column)
    assert [r['psnr_image'] is None for r in result['rows']] == [
        False, False, False, False, True, True
    ]
    # Bicubic's and TSRN's image metrics are the float64 reference's on the
    # study's data: torch's bicubic x2 and the trained TSRN checkpoint
    # (loaded here by torch alone) on the reference LR inputs
    tsrn = MODELS.build(
        Config.fromfile(osp.join(ROOT, study.METHODS['tsrn'].config)).model)
    tsrn.load_state_dict(
        torch.load(
            osp.join(work, 'tsrn_tiny', f'iter_{study.SIZES["tiny"].sr_iters}'
                     '.pth'),
            map_location='cpu',
            weights_only=False)['state_dict'])
    tsrn.eval()

    def by_tsrn(lr):
        with torch.no_grad():
            return tsrn(torch.from_numpy(lr).float(),
                        mode='tensor').double().numpy()

    rows = {r['name']: r for r in result['rows']}
    for name, super_resolve in (
            ('Bicubic', lambda lr: ref.torch_bicubic(lr, scale_factor=2)),
            ('TSRN', by_tsrn)):
        per_subset, sizes = {}, {}
        for subset, path in ref.subset_dirs(
                osp.join(work, 'data_tiny')).items():
            _, lr, hr = ref.textzoom_pairs(path, 4)
            per_subset[subset] = ref.subset_metrics(super_resolve(lr), hr)
            sizes[subset] = len(lr)
        expected = ref.with_averages(per_subset, sizes)
        for column in columns[1:]:
            metric, protocol = column.split('_')
            key = f'{metric.upper()}_per_{protocol}'
            assert rows[name][column] == pytest.approx(
                [expected[f'{s}/{key}'] for s in study.SLICES],
                abs=ref.TOLERANCES[metric.upper()]), (name, column)
    assert set(result['seconds']) == {'data', 'judge', 'HR'} | set(names[:4])
    with open(osp.join(work, 'study_tiny.md')) as f:
        assert f.read().startswith(result['table'])


def test_sr_iters_and_judge_checkpoint_options(tmp_path):
    args = study.parse_args(['--size', 'cpu', '--sr-iters', '1200'])
    assert args.sr_iters == 1200 and args.judge_checkpoint is None
    assert study.study_tag('cpu', None) == 'cpu'
    assert study.study_tag('cpu', 1200) == 'cpu_it1200'
    with pytest.raises(SystemExit):
        study.parse_args(['--sr-iters', '0'])
    missing = str(tmp_path / 'judge.pth')
    with pytest.raises(FileNotFoundError, match='judge.pth does not exist'):
        study.run_study('tiny', study.resolve_methods('bicubic'),
                        str(tmp_path / 'study'), judge_checkpoint=missing)
    assert not (tmp_path / 'study').exists()  # failed before generating
