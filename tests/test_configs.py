"""Every config of the model zoo parses, and its training, validation and
test loops accept the arguments the config gives them (a loop is otherwise
built only when a run reaches it)."""
import glob
import inspect
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import LOOPS
from mmengine.runner import (EpochBasedTrainLoop, IterBasedTrainLoop,
                             TestLoop, ValLoop)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(
    osp.relpath(p, ROOT)
    for p in glob.glob(osp.join(ROOT, 'configs', '*', '*.py'))
    if not osp.basename(p).startswith('_') and '_base_' not in p)

# phase -> (loop key, the other keys mmengine's Runner requires with it, the
# loop arguments the Runner passes itself)
PHASES = {
    'train': ('train_cfg', ('train_dataloader', 'optim_wrapper'),
              {'runner', 'dataloader'}),
    'val': ('val_cfg', ('val_dataloader', 'val_evaluator'),
            {'runner', 'dataloader', 'evaluator'}),
    'test': ('test_cfg', ('test_dataloader', 'test_evaluator'),
             {'runner', 'dataloader', 'evaluator'}),
}
# configs that only describe a model for other configs to load (no loop)
MODEL_ONLY = {'configs/judges/crnn_textzoom.py'}


def loop_class(phase: str, loop_cfg: dict):
    """The loop class mmengine's Runner builds for ``loop_cfg`` (its
    ``build_train_loop`` / ``build_val_loop`` / ``build_test_loop``) and the
    arguments it passes the class from the config."""
    loop_cfg = dict(loop_cfg)
    if 'type' in loop_cfg:
        return LOOPS.get(loop_cfg.pop('type')), loop_cfg
    if phase == 'train':
        by_epoch = loop_cfg.pop('by_epoch')
        return (EpochBasedTrainLoop
                if by_epoch else IterBasedTrainLoop), loop_cfg
    return (ValLoop if phase == 'val' else TestLoop), loop_cfg


def test_the_zoo_is_found():
    assert len(CONFIGS) > 30
    assert 'configs/tsrn/tsrn_textzoom.py' in CONFIGS
    assert MODEL_ONLY <= set(CONFIGS)


@pytest.mark.parametrize('path', CONFIGS)
def test_loops_accept_the_config(path):
    cfg = Config.fromfile(osp.join(ROOT, path))
    built = []
    for phase, (key, companions, given) in PHASES.items():
        loop_cfg = cfg.get(key)
        # the Runner refuses a loop without its dataloader and evaluator
        # (optimizer), and those without the loop
        present = [k for k in (key, *companions) if cfg.get(k) is not None]
        assert present in ([], [key, *companions]), (
            f'{path}: {phase} needs all or none of {[key, *companions]}, '
            f'has {present}')
        if loop_cfg is None:
            continue
        loop, args = loop_class(phase, loop_cfg)
        assert loop is not None, f'{path}: unknown {phase} loop {loop_cfg}'
        params = inspect.signature(loop.__init__).parameters
        assert not any(p.kind is p.VAR_KEYWORD for p in params.values()), (
            f'{path}: {loop.__name__} takes **kwargs: its arguments cannot '
            'be checked')
        accepted = set(params) - {'self'} - given
        unknown = set(args) - accepted
        assert not unknown, f'{path}: {loop.__name__} does not take {unknown}'
        missing = {
            name
            for name, p in params.items()
            if name in accepted and p.default is p.empty and name not in args
        }
        assert not missing, f'{path}: {loop.__name__} needs {missing}'
        built.append(phase)
    # every config but a model description can at least be tested
    if path in MODEL_ONLY:
        assert built == [], path
    else:
        assert 'test' in built, f'{path}: no test loop'
