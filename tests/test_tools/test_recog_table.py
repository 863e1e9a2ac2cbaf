"""tools/analysis_tools/recog_table.py: recognizer x (LR, Bicubic, SR, HR)
x word accuracy on TextZoom-layout test subsets."""
import json
import os.path as osp

import pytest
import torch
from mmengine.registry import init_default_scope
from mmocr.registry import MODELS

from tools.analysis_tools.recog_table import main
from .. import reference_metrics as ref

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CRNN = osp.join(ROOT, 'configs', 'judges', 'crnn_textzoom.py')


def e_reader_checkpoint(path) -> str:
    """A CRNN checkpoint whose classifier ignores the image and always
    scores 'e' highest: it reads every image as 'e'."""
    recognizer = ref.read_one_character(
        MODELS.build(dict(type='SRRecognizerCascade',
                          recognizer=CRNN)).recognizer, 'e')
    torch.save(dict(state_dict=recognizer.state_dict()), path)
    return str(path)


def test_table_rows_and_values(make_textzoom, tmp_path):
    """Subsets of 4 and 3 words read as 'e' by every input: 3 of 4 and 1 of
    3 labels match once lower-cased and stripped of symbols, and ``avg`` is
    weighted by the subsets' sizes (of the 4-decimal subset accuracies)."""
    init_default_scope('mmocr')
    (tmp_path / 'data' / 'test').mkdir(parents=True)
    make_textzoom('data/test/easy', labels=['e', 'E.', 'hello', 'e'])
    make_textzoom('data/test/hard', labels=['x', '-e-', 'ee'])
    crnn = e_reader_checkpoint(tmp_path / 'crnn.pth')
    sr_cfg = tmp_path / 'small_tsrn.py'
    sr_cfg.write_text(
        "model = dict(type='TSRN', num_blocks=1, hidden_channels=16)\n")
    ckpt = tmp_path / 'tsrn.pth'
    torch.save(
        dict(
            state_dict=MODELS.build(
                dict(type='TSRN', num_blocks=1,
                     hidden_channels=16)).state_dict()), ckpt)
    out = tmp_path / 'table.json'
    table = main([
        '--recognizer', 'CRNN', CRNN, crnn, '--sr', 'TSRN',
        str(sr_cfg),
        str(ckpt), '--data-root',
        str(tmp_path / 'data'), '--subsets', 'easy', 'hard', '--batch-size',
        '2', '--out',
        str(out)
    ])
    assert table.splitlines() == [
        '| recognizer | input | easy | hard | avg |',
        '|---|---|---:|---:|---:|',
        '| CRNN | LR | 75.00 | 33.33 | 57.14 |',
        '| CRNN | Bicubic | 75.00 | 33.33 | 57.14 |',
        '| CRNN | TSRN | 75.00 | 33.33 | 57.14 |',
        '| CRNN | HR | 75.00 | 33.33 | 57.14 |',
    ]
    rows = json.loads(out.read_text())
    assert [(row['recognizer'], row['input']) for row in rows] == [
        ('CRNN', 'LR'), ('CRNN', 'Bicubic'), ('CRNN', 'TSRN'), ('CRNN', 'HR')
    ]
    for row in rows:
        assert row['acc'] == pytest.approx(
            dict(easy=75., hard=33.33, avg=100 * (4 * .75 + 3 * .3333) / 7),
            abs=1e-9), row['input']


def test_recognizer_checkpoint_is_loaded(make_textzoom, tmp_path):
    """A CRNN checkpoint whose classifier ignores the image and always
    scores 'e' highest reads every word as 'e': 3 of the 4 labels."""
    init_default_scope('mmocr')
    (tmp_path / 'data' / 'test').mkdir(parents=True)
    make_textzoom('data/test/easy', labels=['e', 'E', 'x', 'e'])
    ckpt = e_reader_checkpoint(tmp_path / 'crnn.pth')
    out = tmp_path / 'table.json'
    main([
        '--recognizer', 'CRNN', CRNN,
        str(ckpt), '--data-root',
        str(tmp_path / 'data'), '--subsets', 'easy', '--out',
        str(out)
    ])
    rows = json.loads(out.read_text())
    assert [row['input'] for row in rows] == ['LR', 'Bicubic', 'HR']
    for row in rows:
        assert row['acc'] == dict(easy=75., avg=75.), row['input']
