"""The OpenMMLab model index: ``model-index.yml`` and ``configs/*/metafile.yml``.

The expected sets come from the files on disk (metafiles, user configs,
converters, method READMEs), never from the index itself.
"""
import glob
import importlib.util
import math
import os.path as osp
import re
import sys
from collections import Counter

import pytest
import torch
import yaml
from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

TASKS = {'Text Super-Resolution', 'Text Recognition'}
# "TextZoom (published, <source>)", optionally naming the images read
PUBLISHED = re.compile(r'^TextZoom( (HR|LR) images)? \(published, [^()]+\)$')


def _rel(path: str) -> str:
    return osp.relpath(path, ROOT).replace(osp.sep, '/')


def _yaml(rel_path: str):
    with open(osp.join(ROOT, rel_path), encoding='utf-8') as f:
        return yaml.safe_load(f)


def metafiles_on_disk() -> list:
    return sorted(
        _rel(p) for p in glob.glob(osp.join(ROOT, 'configs', '*',
                                            'metafile.yml')))


def config_dirs() -> list:
    """Config directories (not ``_base_``)."""
    return sorted(
        _rel(p) for p in glob.glob(osp.join(ROOT, 'configs', '*'))
        if osp.isdir(p) and not osp.basename(p).startswith('_'))


def user_configs() -> list:
    """Configs a user runs: ``configs/<dir>/*.py`` not starting with ``_``."""
    return sorted(
        _rel(p) for d in config_dirs()
        for p in glob.glob(osp.join(ROOT, d, '*.py'))
        if not osp.basename(p).startswith('_'))


INDEX = _yaml('model-index.yml')
IMPORTS = INDEX['Import']
METAFILES = {path: _yaml(path) for path in IMPORTS}
ENTRIES = [(path, entry) for path, meta in METAFILES.items()
           for entry in meta['Models']]
COLLECTIONS = [(path, coll) for path, meta in METAFILES.items()
               for coll in meta['Collections']]


def _entry_id(item) -> str:
    return item[1].get('Name', '?')


# -- the index ---------------------------------------------------------------


def test_index_imports_every_metafile_once():
    assert len(IMPORTS) == len(set(IMPORTS)), Counter(IMPORTS)
    assert sorted(IMPORTS) == metafiles_on_disk()
    # one metafile per config directory
    assert sorted(osp.dirname(p) for p in IMPORTS) == config_dirs()


def test_every_user_config_indexed_exactly_once():
    configs = Counter(entry['Config'] for _, entry in ENTRIES)
    twice = sorted(c for c, n in configs.items() if n > 1)
    assert not twice, f'configs named by more than one entry: {twice}'
    missing = sorted(set(user_configs()) - set(configs))
    assert not missing, f'user configs without an entry: {missing}'
    extra = sorted(set(configs) - set(user_configs()))
    assert not extra, f'entries naming no user config: {extra}'


@pytest.mark.parametrize('item', ENTRIES, ids=_entry_id)
def test_entry_fields(item):
    path, entry = item
    config = entry['Config']
    assert osp.isfile(osp.join(ROOT, config)), config
    # the config lives next to its metafile, and names the entry
    assert osp.dirname(config) == osp.dirname(path)
    assert entry['Name'] == osp.splitext(osp.basename(config))[0]
    names = {c['Name'] for c in METAFILES[path]['Collections']}
    assert entry['In Collection'] in names
    assert 'Training Data' in entry['Metadata']
    # Weights and Converter are always stated, null where none
    assert 'Weights' in entry and 'Converter' in entry
    weights = entry['Weights']
    assert weights is None or re.match(r'^https://\S+$', weights), weights


def test_names_and_aliases_unique():
    names = Counter(entry['Name'] for _, entry in ENTRIES)
    assert [n for n, c in names.items() if c > 1] == []
    aliases = Counter(
        entry['Alias'] for _, entry in ENTRIES if 'Alias' in entry)
    assert [a for a, c in aliases.items() if c > 1] == []
    collections = Counter(coll['Name'] for _, coll in COLLECTIONS)
    assert [n for n, c in collections.items() if c > 1] == []


@pytest.mark.parametrize('item', COLLECTIONS, ids=_entry_id)
def test_collection_fields(item):
    path, coll = item
    paper = coll['Paper']
    assert re.match(r'^https://\S+$', paper['URL']), paper
    assert isinstance(paper['Title'], str) and paper['Title'].strip()
    assert re.match(r'^https://github\.com/[\w.-]+/[\w.-]+',
                    coll['Code']['URL']), coll['Code']
    arch = coll['Metadata']['Architecture']
    assert isinstance(arch, list) and arch
    assert all(isinstance(a, str) and a for a in arch)
    assert 'Training Data' in coll['Metadata']
    assert coll['README'] == osp.dirname(path) + '/README.md'
    assert osp.isfile(osp.join(ROOT, coll['README']))
    used = {e['In Collection'] for p, e in ENTRIES if p == path}
    assert coll['Name'] in used, f'{coll["Name"]} has no model'


# -- published results -------------------------------------------------------


def _readme_numbers(metafile: str) -> set:
    """Every number written in the method page next to ``metafile``."""
    with open(osp.join(ROOT, osp.dirname(metafile), 'README.md'),
              encoding='utf-8') as f:
        return {float(x) for x in re.findall(r'\d+(?:\.\d+)?', f.read())}


RESULTS = [(path, entry) for path, entry in ENTRIES if entry.get('Results')]


def test_some_entries_have_results():
    # the published TextZoom figures of the methods are indexed
    with_results = {osp.basename(osp.dirname(p)) for p, _ in RESULTS}
    assert {'bicubic', 'tsrn', 'c3stisr', 'stirer'} <= with_results


@pytest.mark.parametrize('item', RESULTS, ids=_entry_id)
def test_results_published_numeric_and_quoted(item):
    path, entry = item
    quoted = _readme_numbers(path)
    for result in entry['Results']:
        assert result['Task'] in TASKS, result['Task']
        assert PUBLISHED.match(result['Dataset']), result['Dataset']
        metrics = result['Metrics']
        assert isinstance(metrics, dict) and metrics
        for key, value in metrics.items():
            assert (isinstance(value, (int, float))
                    and not isinstance(value, bool)
                    and math.isfinite(value)), (key, value)
            if 'psnr' in key:
                assert 10 < value < 40, (key, value)
            elif 'ssim' in key and not key.startswith('ssim_x100'):
                assert 0 < value < 1, (key, value)
            else:  # accuracies and SSIM x 100, in %
                assert 0 < value <= 100, (key, value)
            # a published figure is quoted on the method page
            assert float(value) in quoted, (
                f'{key}: {value} not in {osp.dirname(path)}/README.md')


# -- converter commands ------------------------------------------------------


def _commands(entry) -> list:
    conv = entry['Converter']
    if conv is None:
        return []
    assert isinstance(conv, (str, list)) and conv, conv
    return [conv] if isinstance(conv, str) else conv


CONVERTER_CMDS = sorted(
    {cmd for _, entry in ENTRIES for cmd in _commands(entry)})


def test_every_converter_is_indexed():
    scripts = sorted(
        _rel(p) for p in glob.glob(
            osp.join(ROOT, 'tools', 'model_converters', '*.py'))
        if not osp.basename(p).startswith('_'))
    used = {cmd.split()[1] for cmd in CONVERTER_CMDS}
    # abinet_to_c3stisr is optional (the configs download MMOCR's ABINet)
    assert set(scripts) - used <= {
        'tools/model_converters/abinet_to_c3stisr.py'}


@pytest.mark.parametrize('cmd', CONVERTER_CMDS)
def test_converter_command_parses(cmd, monkeypatch):
    """The converter exists and accepts exactly these arguments."""
    argv = cmd.split()
    assert argv[0] == 'python'
    script = argv[1]
    assert re.match(r'^tools/model_converters/\w+\.py$', script), script
    assert osp.isfile(osp.join(ROOT, script))
    if '--config' in argv:
        config = argv[argv.index('--config') + 1]
        assert osp.isfile(osp.join(ROOT, config)), config
    spec = importlib.util.spec_from_file_location(
        'converter_' + osp.splitext(osp.basename(script))[0],
        osp.join(ROOT, script))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, 'argv', argv[1:])
    args = module.parse_args()  # argparse exits on a wrong argument
    assert args.src == argv[2] and args.dst == argv[3]


# -- every indexed config builds, without reading weights --------------------


@pytest.fixture
def no_weight_loading(monkeypatch):
    """Building a model must not read a checkpoint (mmengine loads
    ``init_cfg`` in ``init_weights`` only)."""

    def refuse(*args, **kwargs):
        raise AssertionError(f'weights read while building: {args[:1]}')

    monkeypatch.setattr(torch, 'load', refuse)
    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url', refuse)
    monkeypatch.setattr(torch.hub, 'download_url_to_file', refuse)


@pytest.mark.parametrize(
    'config', sorted(entry['Config'] for _, entry in ENTRIES))
def test_indexed_config_builds(config, no_weight_loading):
    import stisr_mmocr  # noqa: F401
    from mmocr.registry import MODELS
    cfg = Config.fromfile(osp.join(ROOT, config))
    model = MODELS.build(cfg.model)
    assert isinstance(model, torch.nn.Module)
