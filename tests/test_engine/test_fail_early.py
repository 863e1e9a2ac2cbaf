"""A run stops before iteration 1 when a checkpoint or data path of its
config is missing, unreadable or does not fit: the real tools/train.py and
tools/test.py (StrictRunner) on a small generated TSRN config and TextZoom
LMDB, each error naming the config key and the path."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from stisr_mmocr.engine import (CheckpointReadError, check_run_files,
                                load_checkpoint_safely)
from stisr_mmocr.models.networks import TSRNNet

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PIPELINE = [
    dict(type='DecodeTextImages'),
    dict(type='ResizeLRHR'),
    dict(type='AddMaskChannel'),
    dict(type='PackTextSRInputs'),
]
NETWORK = dict(num_blocks=1, hidden_channels=16, use_stn=False)


def loader(root):
    return dict(batch_size=2,
                num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False),
                collate_fn=dict(type='default_collate'),
                dataset=dict(type='TextZoomDataset',
                             data_root=root,
                             pipeline=PIPELINE))


def write_config(path, root, **options):
    """A two-iteration TSRN run on ``root`` (train and test), written to
    ``path``; ``options`` as ``--cfg-options`` would set them."""
    cfg = Config(
        dict(default_scope='mmocr',
             model=dict(type='TSRN', **NETWORK),
             train_dataloader=loader(root),
             train_cfg=dict(type='IterBasedTrainLoop', max_iters=2),
             optim_wrapper=dict(type='OptimWrapper',
                                optimizer=dict(type='Adam', lr=1e-3)),
             test_dataloader=loader(root),
             test_evaluator=dict(type='PSNR'),
             test_cfg=dict(type='TestLoop'),
             default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                                interval=1,
                                                by_epoch=False),
                                logger=dict(type='LoggerHook', interval=1)),
             log_processor=dict(by_epoch=False),
             env_cfg=dict(dist_cfg=dict(backend='gloo'))))
    cfg.merge_from_dict(options)
    cfg.dump(str(path))
    return str(path)


def run_tool(tool, *args):
    """Run tools/{tool}.py; returns (exit code, stdout + stderr)."""
    env = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, f'tools/{tool}.py', *args],
                          cwd=ROOT,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


def assert_stopped_before_iteration_1(code, out, work_dir, *expected):
    """The run failed, its output holds every ``expected`` text, no
    iteration was logged and no checkpoint saved."""
    assert code != 0, out[-3000:]
    for text in expected:
        assert text in out, (text, out[-3000:])
    assert '(train) [' not in out and '(test) [' not in out, out[-3000:]
    saved = [n for n in os.listdir(work_dir)
             if n.endswith('.pth')] if osp.isdir(work_dir) else []
    assert not saved, saved


@pytest.fixture
def tiny_run(make_textzoom, tmp_path):
    """(LMDB root, work dir) of a small run."""
    return make_textzoom(labels=['ab', 'cd', 'ef', 'gh']), str(tmp_path /
                                                                  'work')


def test_the_tiny_run_trains_and_tests(tiny_run, tmp_path):
    """The config the other tests break runs as it is."""
    root, work = tiny_run
    cfg = write_config(tmp_path / 'ok.py', root)
    code, out = run_tool('train', cfg, '--work-dir', work)
    assert code == 0, out[-3000:]
    assert 'Iter(train) [2/2]' in out
    code, out = run_tool('test', cfg, osp.join(work, 'iter_2.pth'),
                         '--work-dir', str(tmp_path / 'test'))
    assert code == 0, out[-3000:]
    assert 'Iter(test) [2/2]' in out and '(strict)' in out


def test_missing_init_cfg_checkpoint(tiny_run, tmp_path):
    root, work = tiny_run
    missing = str(tmp_path / 'absent' / 'pretrained.pth')
    for kind in ('StrictPretrained', 'Pretrained'):
        cfg = write_config(tmp_path / f'{kind}.py', root,
                           **{'model.init_cfg': dict(type=kind,
                                                     checkpoint=missing)})
        for tool in ('train', 'test'):
            code, out = run_tool(tool, cfg, '--work-dir', work)
            assert_stopped_before_iteration_1(
                code, out, work, 'FileNotFoundError',
                f'model.init_cfg.checkpoint: {missing} does not exist')


def test_missing_load_from_and_resume(tiny_run, tmp_path):
    root, work = tiny_run
    missing = str(tmp_path / 'absent.pth')
    cfg = write_config(tmp_path / 'cfg.py', root, load_from=missing)
    code, out = run_tool('train', cfg, '--work-dir', work)
    assert_stopped_before_iteration_1(
        code, out, work, f'load_from: {missing} does not exist')
    cfg = write_config(tmp_path / 'plain.py', root)
    code, out = run_tool('test', cfg, missing, '--work-dir', work)
    assert_stopped_before_iteration_1(
        code, out, work, f'load_from: {missing} does not exist')
    code, out = run_tool('train', cfg, '--work-dir', work, '--resume',
                         missing)
    assert_stopped_before_iteration_1(
        code, out, work, f'load_from (resume): {missing} does not exist')


def truncated_checkpoint(tmp_path, name='truncated.pth'):
    """A TSRN checkpoint cut to 40 % of its bytes."""
    torch.manual_seed(0)
    full = str(tmp_path / 'full.pth')
    torch.save(dict(state_dict={
        f'generator.{k}': v
        for k, v in TSRNNet(**NETWORK).state_dict().items()
    }), full)
    with open(full, 'rb') as f:
        data = f.read()
    path = str(tmp_path / name)
    with open(path, 'wb') as f:
        f.write(data[:int(len(data) * .4)])
    return path


def test_truncated_checkpoints_are_named(tiny_run, tmp_path):
    root, work = tiny_run
    path = truncated_checkpoint(tmp_path)
    # what torch's reader makes of it: an error that names no file
    with pytest.raises(OSError) as err:
        torch.load(path, weights_only=False)
    assert err.value.errno == 22 and path not in str(err.value)
    with pytest.raises(CheckpointReadError,
                       match=f'checkpoint {path} .* truncated'):
        load_checkpoint_safely(path)
    cfg = write_config(tmp_path / 'plain.py', root)
    code, out = run_tool('test', cfg, path, '--work-dir', work)
    assert_stopped_before_iteration_1(code, out, work, 'CheckpointReadError',
                                      f'checkpoint {path} (',
                                      'truncated, corrupt or not a torch')
    assert out.strip().splitlines()[-1].startswith(
        'stisr_mmocr.engine.safe_checkpoint.CheckpointReadError: '
        f'checkpoint {path} ')
    cfg = write_config(
        tmp_path / 'init.py', root,
        **{'model.init_cfg': dict(type='StrictPretrained', checkpoint=path)})
    code, out = run_tool('train', cfg, '--work-dir', work)
    assert_stopped_before_iteration_1(code, out, work, 'CheckpointReadError',
                                      f'checkpoint {path} (')


def test_unreadable_checkpoint(tiny_run, tmp_path):
    if os.geteuid() == 0:
        pytest.skip('root reads files without read permission')
    root, work = tiny_run
    path = str(tmp_path / 'locked.pth')
    torch.save({}, path)
    os.chmod(path, 0)
    cfg = write_config(tmp_path / 'cfg.py', root, load_from=path)
    code, out = run_tool('train', cfg, '--work-dir', work)
    assert_stopped_before_iteration_1(code, out, work, 'PermissionError',
                                      f'load_from: {path} is not readable')


def test_load_from_must_fit_the_model(tiny_run, tmp_path):
    """A plain network state dict (no ``generator.`` prefix) given as
    ``load_from`` is reported key by key, not silently skipped."""
    root, work = tiny_run
    path = str(tmp_path / 'network_only.pth')
    state = TSRNNet(**NETWORK).state_dict()
    torch.save(state, path)
    cfg = write_config(tmp_path / 'cfg.py', root, load_from=path)
    code, out = run_tool('train', cfg, '--work-dir', work)
    assert_stopped_before_iteration_1(
        code, out, work, f'weights from {path} do not match TSRN:',
        f'missing keys ({len(state)}): generator.block1.0.bias',
        f'unexpected keys ({len(state)}): block1.0.bias')


def test_missing_lmdb_stops_training(tiny_run, tmp_path):
    root, work = tiny_run
    missing = str(tmp_path / 'no_such_lmdb')
    cfg = write_config(tmp_path / 'cfg.py', missing)
    code, out = run_tool('train', cfg, '--work-dir', work)
    assert_stopped_before_iteration_1(code, out, work, missing)


def test_model_checkpoints_are_checked_for_training_only(tmp_path):
    """The model's ``*_checkpoint`` keys (C3-STISR's recognizer, which a
    part's ``init_cfg`` loads, or a language model's) are checked before
    training; before testing, only ``init_cfg`` entries of the config are
    (a part's ``StrictPretrained`` checks its file when it loads)."""
    missing = str(tmp_path / 'crnn.pth')
    cfg = Config(
        dict(model=dict(type='C3STISR',
                        recognizer_checkpoint=missing,
                        clue_generator=dict(
                            language_model=dict(checkpoint=None)))))
    with pytest.raises(FileNotFoundError,
                       match=f'model.recognizer_checkpoint: {missing}'):
        check_run_files(cfg, 'train')
    check_run_files(cfg, 'test')
    cfg.model.init_cfg = [
        dict(type='Kaiming', layer='Conv2d'),
        dict(type='StrictPretrained', checkpoint=missing)
    ]
    with pytest.raises(FileNotFoundError,
                       match=f'model.init_cfg.1.checkpoint: {missing}'):
        check_run_files(cfg, 'test')
