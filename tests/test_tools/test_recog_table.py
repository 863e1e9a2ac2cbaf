"""tools/analysis_tools/recog_table.py: recognizer x (LR, Bicubic, SR, HR)
x word accuracy on TextZoom-layout test subsets."""
import json
import os.path as osp

import torch
from mmengine.registry import init_default_scope
from mmocr.registry import MODELS

from tools.analysis_tools.recog_table import main

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CRNN = osp.join(ROOT, 'configs', 'judges', 'crnn_textzoom.py')


def test_table_rows_and_values(synthetic_textzoom, tmp_path):
    init_default_scope('mmocr')
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
        '--recognizer', 'CRNN', CRNN, '--sr', 'TSRN',
        str(sr_cfg),
        str(ckpt), '--data-root', synthetic_textzoom, '--subsets', 'easy',
        'hard', '--batch-size', '16', '--out',
        str(out)
    ])
    lines = table.splitlines()
    assert lines[0] == '| recognizer | input | easy | hard | avg |'
    assert [line.split(' | ')[1]
            for line in lines[2:]] == ['LR', 'Bicubic', 'TSRN', 'HR']
    rows = json.loads(out.read_text())
    for row in rows:
        assert set(row['acc']) == {'easy', 'hard', 'avg'}
        assert all(0 <= v <= 100 for v in row['acc'].values())
        assert row['acc']['avg'] == (row['acc']['easy'] +
                                     row['acc']['hard']) / 2


def test_recognizer_checkpoint_is_loaded(make_textzoom, tmp_path):
    """A CRNN checkpoint whose classifier ignores the image and always
    scores 'e' highest reads every word as 'e': 3 of the 4 labels."""
    init_default_scope('mmocr')
    (tmp_path / 'data' / 'test').mkdir(parents=True)
    make_textzoom('data/test/easy', labels=['e', 'E', 'x', 'e'])
    recognizer = MODELS.build(
        dict(type='SRRecognizerCascade', recognizer=CRNN)).recognizer
    classifier = recognizer.decoder.decoder[-1].embedding
    with torch.no_grad():
        classifier.weight.zero_()
        classifier.bias.zero_()
        classifier.bias[recognizer.decoder.dictionary.char2idx('e')] = 10.
    ckpt = tmp_path / 'crnn.pth'
    torch.save(dict(state_dict=recognizer.state_dict()), ckpt)
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
