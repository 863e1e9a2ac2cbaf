"""MMOCR's own shipped ``tools/test.py`` / ``tools/train.py`` (inside the
installed ``mmocr`` package, ``mmocr/.mim/tools/``) and ``mim test`` on this
project's configs, run as a user of MMOCR runs them: subprocesses without
the checkout on ``PYTHONPATH``. Every config selects ``StrictRunner``
(``_base_/default_runtime.py``), so they refuse what the project's tools
refuse and print the same metrics."""
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import mmocr
import pytest
import torch
from mmengine.config import Config
from mmocr.registry import MODELS

from tests.test_tools.test_train_test_tools import data_options, last_metrics
from tests.test_tools.test_tsrn_converter import OfficialTSRN

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MMOCR_TOOLS = osp.join(osp.dirname(mmocr.__file__), '.mim', 'tools')
STIRER_TEST = 'configs/stirer/stirer_synthetic-textzoom_test.py'
TSRN_DEMO = 'configs/tsrn/tsrn_synthetic-textzoom_demo.py'
SMALL_TSRN = dict(num_blocks=3, hidden_channels=32)
NO_WORKERS = [
    f'{split}_dataloader.{key}'
    for split in ('train', 'val', 'test')
    for key in ('num_workers=0', 'persistent_workers=False')
]


def run(args, cwd=ROOT):
    """Run a command with the installed packages only (no checkout on
    ``PYTHONPATH``); returns (exit code, stdout + stderr)."""
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['OMP_NUM_THREADS'] = '1'
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


def metrics(work_dir):
    """The evaluation metrics of the last run in ``work_dir`` (timings
    left out)."""
    return {
        k: v
        for k, v in last_metrics(work_dir).items()
        if k not in ('time', 'data_time', 'step')
    }


def exceptions(out):
    """The exception lines of a traceback in ``out``."""
    return [
        line for line in out.splitlines()
        if re.match(r'[\w.]*(Error|Exception): ', line)
    ]


def mmocr_tool(name):
    return [sys.executable, osp.join(MMOCR_TOOLS, f'{name}.py')]


def project_tool(name):
    return [sys.executable, osp.join(ROOT, 'tools', f'{name}.py')]


def test_mmocr_ships_its_tools():
    for name in ('train', 'test'):
        assert osp.isfile(osp.join(MMOCR_TOOLS, f'{name}.py'))


def test_every_runnable_config_selects_the_strict_runner():
    """Configs that run (a train or test loop) build StrictRunner under
    MMOCR's tools, which look ``runner_type`` up in mmengine's root
    registry."""
    from mmengine.registry import RUNNERS

    from stisr_mmocr.engine import StrictRunner
    from tests.test_configs import CONFIGS
    model_only = []
    for path in CONFIGS:
        cfg = Config.fromfile(osp.join(ROOT, path))
        if not (cfg.get('train_cfg') or cfg.get('test_cfg')):
            model_only.append(path)
            continue
        assert RUNNERS.get(cfg.get('runner_type', 'Runner')) is \
            StrictRunner, path
    # the judge's model config, which other configs read
    assert model_only == ['configs/judges/crnn_textzoom.py']


@pytest.fixture(scope='module')
def stirer_network_state(tmp_path_factory):
    """The authors' plain STIRER state dict (the network's own keys, as
    ``STIRER_Final_Release.pth``), random weights."""
    torch.manual_seed(1)
    model = MODELS.build(Config.fromfile(osp.join(ROOT, STIRER_TEST)).model)
    path = str(tmp_path_factory.mktemp('stirer') / 'STIRER_plain.pth')
    state = model.generator.state_dict()
    torch.save(state, path)
    return path, state


@pytest.mark.parametrize('tool', [mmocr_tool, project_tool],
                         ids=['mmocr', 'project'])
def test_plain_network_state_dict_refused_before_data_is_read(
        tool, stirer_network_state, tmp_path):
    """The run stops with the file and the mismatched keys named; the test
    data do not exist, so reaching them would fail differently."""
    path, state = stirer_network_state
    missing = str(tmp_path / 'no_data')
    code, out = run(tool('test') + [
        STIRER_TEST, path, '--work-dir', str(tmp_path / 'work'),
        '--cfg-options'
    ] + [o for o in data_options(missing) if o.startswith('test')])
    assert code != 0, out[-3000:]
    assert f'weights from {path} do not match STIRER:' in out, out[-3000:]
    assert f'missing keys ({len(state)}): generator.' in out
    assert f'unexpected keys ({len(state)}): ' in out
    assert "every model key is a checkpoint key under the prefix " \
        "'generator.'" in out
    # the one exception raised is the report (the missing data were not
    # reached), and no test iteration ran
    assert exceptions(out) == [
        f'RuntimeError: weights from {path} do not match STIRER:'
    ], out[-3000:]
    assert '(test) [' not in out


@pytest.mark.parametrize('tool', [mmocr_tool, project_tool],
                         ids=['mmocr', 'project'])
def test_init_cfg_weights_are_applied_at_test_time(tool, tmp_path,
                                                   synthetic_textzoom):
    """MMOCR's test.py applies ``init_cfg``: a missing file there stops the
    run, and a file that does not fit is reported key by key."""
    whole, network = str(tmp_path / 'whole.pth'), str(tmp_path / 'net.pth')
    cfg = Config.fromfile(osp.join(ROOT, TSRN_DEMO))
    cfg.model.update(SMALL_TSRN)
    model = MODELS.build(cfg.model)
    torch.save(dict(state_dict=model.state_dict()), whole)
    torch.save(model.generator.state_dict(), network)
    opts = [o for o in data_options(synthetic_textzoom)
            if o.startswith('test')] + [o for o in NO_WORKERS
                                        if o.startswith('test')]
    opts += [f'model.{k}={v}' for k, v in SMALL_TSRN.items()]
    absent = str(tmp_path / 'absent.pth')
    code, out = run(tool('test') + [
        TSRN_DEMO, whole, '--work-dir', str(tmp_path / 'w1'),
        '--cfg-options', 'model.init_cfg.type=StrictPretrained',
        f'model.init_cfg.checkpoint={absent}'
    ] + opts)
    assert code != 0
    assert exceptions(out) == [
        f'FileNotFoundError: model.init_cfg.checkpoint: {absent} does not '
        'exist or is not a file'
    ], out[-3000:]
    # the network's weights given to the whole model: refused, listed
    code, out = run(tool('test') + [
        TSRN_DEMO, whole, '--work-dir', str(tmp_path / 'w2'),
        '--cfg-options', 'model.init_cfg.type=StrictPretrained',
        f'model.init_cfg.checkpoint={network}'
    ] + opts)
    assert code != 0
    assert exceptions(out) == [
        f'RuntimeError: weights from {network} do not match TSRN:'
    ], out[-3000:]
    assert '(test) [' not in out


@pytest.fixture(scope='module')
def converted_tsrn(tmp_path_factory):
    """An official-layout TSRN (3 blocks, 32 channels, STN) converted by
    the project's converter against the demo config with the STN on."""
    work = tmp_path_factory.mktemp('converted_tsrn')
    config = str(work / 'tsrn_small_stn.py')
    with open(config, 'w') as f:
        f.write(f"_base_ = ['{osp.join(ROOT, TSRN_DEMO)}']\n"
                f"model = dict(use_stn=True, **{SMALL_TSRN!r})\n")
    official = str(work / 'model_best.pth')
    torch.save(dict(state_dict_G=small_official_tsrn()), official)
    converted = str(work / 'tsrn_converted.pth')
    code, out = run([
        sys.executable,
        osp.join(ROOT, 'tools', 'model_converters',
                 'tsrn_official_to_mmocr.py'), official, converted,
        '--config', config
    ])
    assert code == 0, out[-3000:]
    return config, converted


def small_official_tsrn():
    """Seeded random weights of the official TSRN, in its key layout."""
    torch.manual_seed(3)
    return OfficialTSRN(srb_nums=SMALL_TSRN['num_blocks'],
                        hidden=SMALL_TSRN['hidden_channels']).state_dict()


def test_same_metrics_as_the_project_tool(converted_tsrn, synthetic_textzoom,
                                          tmp_path):
    config, checkpoint = converted_tsrn
    opts = [o for o in data_options(synthetic_textzoom)
            if o.startswith('test')] + [o for o in NO_WORKERS
                                        if o.startswith('test')]
    results = {}
    for name, tool in (('mmocr', mmocr_tool), ('project', project_tool)):
        work = str(tmp_path / name)
        code, out = run(tool('test') +
                        [config, checkpoint, '--work-dir', work,
                         '--cfg-options'] + opts)
        assert code == 0, out[-3000:]
        assert f'Load checkpoint from {checkpoint} (strict)' in out
        results[name] = metrics(work)
    assert results['mmocr'] == results['project']
    assert set(results['mmocr']) >= {'avg/PSNR_per_image', 'hard/SSIM_per_batch'}


def test_mmocr_train_refuses_a_load_from_that_does_not_fit(
        stirer_network_state, tmp_path):
    """MMOCR's train.py: a ``load_from`` of another model stops training
    before the datasets are built (they do not exist)."""
    path, _ = stirer_network_state
    missing = str(tmp_path / 'no_data')
    code, out = run(mmocr_tool('train') + [
        TSRN_DEMO, '--work-dir', str(tmp_path / 'work'), '--cfg-options',
        f'load_from={path}'
    ] + data_options(missing))
    assert code != 0
    assert exceptions(out) == [
        f'RuntimeError: weights from {path} do not match TSRN:'
    ], out[-3000:]
    assert '(train) [' not in out


def test_mim_test_matches_the_project_tool(converted_tsrn, synthetic_textzoom,
                                           tmp_path):
    config, checkpoint = converted_tsrn
    opts = [o for o in data_options(synthetic_textzoom)
            if o.startswith('test')] + [o for o in NO_WORKERS
                                        if o.startswith('test')]
    mim = shutil.which('mim', path=osp.dirname(sys.executable))
    assert mim, 'openmim is missing: make test installs it'
    work = {name: str(tmp_path / name) for name in ('mim', 'project')}
    code, out = run([mim, 'test', 'mmocr', config, '--checkpoint', checkpoint,
                     '--work-dir', work['mim'], '--cfg-options'] + opts)
    assert code == 0, out[-3000:]
    code, out = run(project_tool('test') + [
        config, checkpoint, '--work-dir', work['project'], '--cfg-options'
    ] + opts)
    assert code == 0, out[-3000:]
    assert metrics(work['mim']) == metrics(work['project'])
