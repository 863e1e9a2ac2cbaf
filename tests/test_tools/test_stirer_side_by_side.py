"""The bookkeeping of .dev_scripts/stirer_side_by_side.py: how it
edits the authors' train.py and how it summarises the two runs (the runs
themselves need the authors' checkout and take half an hour)."""
import importlib.util
import os.path as osp

import pytest

SCRIPT = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
    '.dev_scripts', 'stirer_side_by_side.py')
_spec = importlib.util.spec_from_file_location('stirer_side_by_side', SCRIPT)
side_by_side = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(side_by_side)
_patch_source = side_by_side._patch_source
mean_over_subsets = side_by_side.mean_over_subsets
window_means = side_by_side.window_means

# The lines of train.py the tool edits, in the authors' spelling.
TRAIN_PY = """args = {'seed': 3407}
torch.manual_seed(args['seed']) #cpu
train_loader = DataLoader(ds, shuffle=True, num_workers=16)
def eval(model, eval_dataset):
    loader = DataLoader(ds, num_workers=2)
"""


def test_patch_source_applies_each_edit_once():
    out = _patch_source(TRAIN_PY)
    assert out.splitlines()[:3] == [
        "args = {'seed': 3407}",
        'args.update(SIDE_BY_SIDE_ARGS)',
        "torch.manual_seed(args['seed']) #cpu",
    ]
    assert 'num_workers=16' not in out and 'num_workers=2' not in out
    assert out.count('num_workers=0') == 2
    assert out.rstrip().endswith('acc = eval(model, eval_datasets)')


@pytest.mark.parametrize('source', [
    TRAIN_PY.replace('num_workers=2', 'num_workers=4'),
    TRAIN_PY + "torch.manual_seed(args['seed']) #cpu\n",
])
def test_patch_source_refuses_another_train_py(source):
    with pytest.raises(RuntimeError, match='exactly'):
        _patch_source(source)


def test_window_means():
    losses = [dict(iter=i, loss=float(v)) for i, v in
              zip(range(1, 8), (4, 2, 6, 1, 3, 8, 10))]
    assert window_means(losses, 'loss', 3) == [(1, 3, 4.0), (4, 6, 4.0),
                                               (7, 7, 10.0)]


def test_mean_over_subsets_is_unweighted():
    evals = [dict(iter=50, subsets=dict(
        easy={3: dict(acc=30.0)}, medium={3: dict(acc=0.0)},
        hard={3: dict(acc=3.0)}))]
    assert mean_over_subsets(evals, 3, 'acc') == [11.0]
