"""tools/model_converters/tpgsr_official_to_mmocr.py on a TPGSR run folder
written in the layout of TPGSR's ``save_checkpoint``."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from mmengine.config import Config
from mmocr.registry import MODELS

from stisr_mmocr.engine import load_checkpoint_strictly
from tests.test_models.test_c3stisr_release import make_batch
from tests.test_models.test_tpgsr import official_setup
from tests.test_models.tpgsr_reference import tpgsr_eval_cascade

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / 'tools' / 'model_converters' / 'tpgsr_official_to_mmocr.py'
CONFIG = ROOT / 'configs' / 'tpgsr' / 'tpgsr_3stage_textzoom.py'


def run(*args):
    proc = subprocess.run([sys.executable, str(TOOL), *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


def test_run_folder_of_three_stages(tmp_path):
    net, students, _ = official_setup(3)
    run_dir = tmp_path / 'vis_TPGSR-TSRN'
    run_dir.mkdir()
    # save_checkpoint's dict: bookkeeping beside the weights (numpy inside)
    torch.save(dict(state_dict_G=net.state_dict(),
                    info=dict(iters=200, epochs=1, batch_size=48),
                    best_history_res=dict(easy=np.float64(0.5)),
                    best_model_info=dict(), param_num=3545869,
                    converge=[dict(iterator=200, acc=0.5)]),
               run_dir / 'model_best_0.pth')
    for i, student in enumerate(students):
        torch.save(student.state_dict(), run_dir / f'recognizer_best_{i}.pth')
    out = tmp_path / 'tpgsr_3stage.pth'
    code, log = run(run_dir, out, '--config', CONFIG)
    assert code == 0, log[-3000:]
    cfg = Config.fromfile(str(CONFIG)).model
    cfg.update(student_checkpoint=None, teacher_checkpoint=None)
    model = MODELS.build(cfg).eval()
    load_checkpoint_strictly(model, str(out))
    for m in (net, *students):
        m.eval()
    lr, *_ = make_batch(2)
    with torch.no_grad():
        expected = tpgsr_eval_cascade([net], students, lr, stu_iter=3)[-1]
        diff = (model(lr, mode='tensor') - expected).abs().max().item()
    assert diff <= 1e-5

    # one student short of the three stages: refused, keys listed
    (run_dir / 'recognizer_best_2.pth').unlink()
    code, log = run(run_dir, tmp_path / 'short.pth', '--config', CONFIG)
    assert code != 0 and not (tmp_path / 'short.pth').exists()
    assert 'missing keys' in log and 'student.2.' in log, log[-3000:]
    # a gap in the numbering names what was found
    (run_dir / 'recognizer_best_1.pth').rename(
        run_dir / 'recognizer_best_2.pth')
    code, log = run(run_dir, tmp_path / 'gap.pth', '--config', CONFIG)
    assert code != 0
    assert "expected recognizer_best_0.pth ... recognizer_best_<n-1>.pth, " \
        "found ['recognizer_best_0.pth', 'recognizer_best_2.pth']" in log
