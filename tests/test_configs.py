"""Every config of the model zoo parses, and its training loop accepts the
arguments the config gives it (a loop is otherwise built only when a run
reaches training)."""
import glob
import inspect
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import LOOPS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
    if not osp.basename(p).startswith('_') and '_base_' not in p)


def test_the_zoo_is_found():
    assert len(CONFIGS) > 30
    assert 'configs/tsrn/tsrn_textzoom.py' in CONFIGS


@pytest.mark.parametrize('path', CONFIGS)
def test_train_loop_accepts_the_config(path):
    cfg = Config.fromfile(osp.join(ROOT, path))
    train_cfg = cfg.get('train_cfg')
    if not train_cfg:
        return
    train_cfg = dict(train_cfg)
    loop = LOOPS.get(train_cfg.pop('type'))
    assert loop is not None, f'{path}: unknown train loop'
    accepted = set(inspect.signature(loop.__init__).parameters) - {
        'self', 'runner', 'dataloader'
    }
    unknown = set(train_cfg) - accepted
    assert not unknown, f'{path}: {loop.__name__} does not take {unknown}'
