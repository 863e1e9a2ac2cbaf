"""tools/infer.py on a folder of crops with a corrupt file, as a user runs
it."""
import json
import os
import os.path as osp
import subprocess
import sys

from tests.test_apis.utils import ROOT, small_cascade_config, write_crops


def test_infer_cli_skips_and_counts_the_corrupt_file(tmp_path):
    crops = write_crops(str(tmp_path / 'crops'))
    with open(tmp_path / 'crops' / 'notes.txt', 'w') as f:
        f.write('not an image')
    out = str(tmp_path / 'out')
    proc = subprocess.run([
        sys.executable, 'tools/infer.py',
        str(tmp_path / 'crops'),
        small_cascade_config(str(tmp_path)), '--out-dir', out, '--batch-size',
        '2'
    ],
                          cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=ROOT),
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'processed 5, skipped 2' in proc.stdout
    assert 'broken.png' in proc.stdout and 'notes.txt' in proc.stdout
    with open(osp.join(out, 'results.json')) as f:
        results = json.load(f)
    assert len(results['predictions']) == len(crops)
    assert sorted(osp.basename(f['input'])
                  for f in results['failed']) == ['broken.png', 'notes.txt']
    assert sorted(os.listdir(osp.join(out, 'sr'))) == sorted(
        osp.basename(p) for p in crops)
