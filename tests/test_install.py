"""The package in an existing MMOCR environment: what it declares to pip,
and that importing it changes nothing outside it."""
import os.path as osp
import subprocess
import sys
import textwrap
from importlib import metadata

import numpy as np
import torch
from packaging.requirements import Requirement

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def read_requirements(name):
    with open(osp.join(ROOT, 'requirements', name)) as f:
        return [
            Requirement(line.strip()) for line in f
            if line.strip() and not line.startswith('#')
        ]


def test_declared_ranges_and_lock():
    """setup.py declares ranges (no exact pins); every pinned version of the
    lock file lies inside its range; the mm* ranges are MMOCR 1.0.1's."""
    declared = {r.name.lower(): r for r in read_requirements('runtime.txt')}
    assert all(
        not any(s.operator in ('==', '===') for s in r.specifier)
        for r in declared.values()), declared
    assert {n: str(declared[n].specifier)
            for n in ('mmcv', 'mmengine', 'mmdet', 'mmocr')} == {
                'mmcv': '<2.2.0,>=2.0.0rc4',
                'mmengine': '<1.1.0,>=0.7.1',
                'mmdet': '<3.2.0,>=3.0.0rc5',
                'mmocr': '<1.1.0,>=1.0.0'
            }
    locked = read_requirements('lock.txt')
    for req in locked:
        (spec, ) = req.specifier
        assert spec.operator == '==', req
        name = req.name.lower()
        if name in declared:
            assert declared[name].specifier.contains(spec.version), req
    assert set(declared) - {r.name.lower() for r in locked} == {'mmcv'}


def test_installed_distribution_declares_the_ranges():
    """What pip resolves for ``pip install .`` is the installed metadata;
    this environment satisfies all of it."""
    requires = [Requirement(r) for r in metadata.requires('stisr_mmocr')]
    declared = {str(r) for r in read_requirements('runtime.txt')}
    assert {str(r) for r in requires if not r.marker} == declared
    for req in requires:
        if req.marker:  # extras
            continue
        assert req.specifier.contains(metadata.version(req.name),
                                      prereleases=True), req


def test_import_leaves_mmengine_loading_alone(tmp_path):
    """In a fresh process: mmengine's loader for local files, and what it
    makes of a plain state dict and of a checkpoint holding a numpy array,
    are the same before and after ``import stisr_mmocr``."""
    plain = str(tmp_path / 'plain.pth')
    torch.save({'w': torch.arange(3.)}, plain)
    with_numpy = str(tmp_path / 'numpy.pth')
    torch.save({'state_dict': {'w': torch.ones(1)}, 'meta': np.zeros(2)},
               with_numpy)
    script = textwrap.dedent(f'''
        from mmengine.runner.checkpoint import CheckpointLoader, _load_checkpoint

        def outcome(path):
            try:
                return sorted(_load_checkpoint(path, map_location='cpu'))
            except Exception as err:
                return type(err).__name__

        def state():
            return (CheckpointLoader._schemes[''].__module__,
                    CheckpointLoader._schemes[''].__name__,
                    outcome({plain!r}), outcome({with_numpy!r}))

        before = state()
        import stisr_mmocr
        after = state()
        print(before)
        print(after)
        ''')
    proc = subprocess.run([sys.executable, '-c', script],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    before, after = proc.stdout.strip().splitlines()[-2:]
    assert before == after
    assert before == ("('mmengine.runner.checkpoint', 'load_from_local', "
                      "['w'], 'UnpicklingError')")


def test_project_readers_take_training_checkpoints(tmp_path):
    """Where the project reads checkpoints (runner, StrictPretrained,
    judges, converters: ``read_checkpoint``), an mmengine training
    checkpoint with numpy arrays loads on torch >= 2.6."""
    from stisr_mmocr.engine import read_checkpoint
    path = str(tmp_path / 'iter_1.pth')
    torch.save({'state_dict': {'w': torch.ones(1)}, 'meta': np.zeros(2)},
               path)
    checkpoint = read_checkpoint(path)
    assert torch.equal(checkpoint['state_dict']['w'], torch.ones(1))
    assert np.array_equal(checkpoint['meta'], np.zeros(2))
