"""tools/analysis_tools/synthetic_study.py: argument checks, the table, and
the whole study at its tiny size (real generator, judge, models, runners)."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from tools.analysis_tools import synthetic_study as study

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
    # the printed verdict is the one the rows give
    assert result['order_broken'] == study.check_order(result['rows'])
    verdict = ('expected ordering broken: ' +
               '; '.join(result['order_broken'])
               if result['order_broken'] else 'expected ordering holds')
    assert verdict in proc.stdout
    names = [r['name'] for r in result['rows']]
    assert names == [
        'Bicubic', 'TSRN', 'C3-STISR', 'STIRER', 'STIRER (own recognizer)',
        'HR'
    ]
    for row in result['rows']:
        assert len(row['acc']) == 4
        assert all(0 <= a <= 100 for a in row['acc'])
        if row['psnr_image'] is not None:
            for protocol in ('image', 'batch'):
                assert all(0 < p < 60 for p in row[f'psnr_{protocol}'])
                assert all(-1 <= s <= 1 for s in row[f'ssim_{protocol}'])
    assert [r['psnr_image'] is None for r in result['rows']] == [
        False, False, False, False, True, True
    ]
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
