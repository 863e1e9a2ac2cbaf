"""Tests for ``tools/model_converters/c3stisr_official_to_mmocr.py``."""
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch
from mmengine.runner.checkpoint import _load_checkpoint

from tests.test_models.test_c3stisr_release import (build_release_model,
                                                    official_setup,
                                                    release_config)

REPO_ROOT = Path(__file__).resolve().parents[2]
CONVERTER = (REPO_ROOT / 'tools' / 'model_converters' /
             'c3stisr_official_to_mmocr.py')


def load_converter() -> ModuleType:
    """Import the converter script (``tools`` is not an installed
    package)."""
    spec = importlib.util.spec_from_file_location('c3stisr_official_to_mmocr',
                                                  CONVERTER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def official():
    net, student, _ = official_setup()
    return net.official_state_dict(), student.state_dict()


@pytest.fixture(scope='module')
def model():
    return build_release_model()


def test_dead_parts_and_tps_constants_are_dropped(official, model):
    sr_state, rec_state = official
    state = load_converter().convert_c3stisr(sr_state, rec_state, model)
    assert list(state) == list(model.state_dict())
    assert not any('correction_model' in k or 'dsta' in k for k in state)
    # class order: official class k >= 1 is ALPHABET[k - 1], blank 0 goes
    # to MMOCR's padding index 36
    w = sr_state['infoGen.tconv1.weight']
    assert torch.equal(state['generator.info_gen.tconv1.weight'][36], w[0])
    assert torch.equal(state['generator.info_gen.tconv1.weight'][0], w[1])
    assert torch.equal(state['language_model.proj.weight'][:, 36],
                       sr_state['lm.proj.weight'][:, 0])
    assert torch.equal(state['language_model.cls.bias'][10],
                       sr_state['lm.cls.bias'][11])
    assert torch.equal(state['language_model.token_encoder.position_table'][0],
                       sr_state['lm.token_encoder.pe'][:, 0])
    assert torch.equal(state['generator.srb.4.gru1.gru.weight_hh_l0'],
                       sr_state['block6.gru1.gru.weight_hh_l0'])
    assert torch.equal(state['generator.upsample.1.weight'],
                       sr_state['block8.1.weight'])
    model.load_state_dict(state, strict=True)


def test_module_prefix_is_stripped(official, model):
    sr_state, rec_state = official
    wrapped = {f'module.{k}': v for k, v in sr_state.items()}
    state = load_converter().convert_c3stisr(wrapped, rec_state, model)
    assert torch.equal(state['generator.block1.0.weight'],
                       sr_state['block1.0.weight'])


def test_mismatching_checkpoints_fail_with_a_report(official, model):
    """(c) every mismatch is listed, nothing is returned."""
    sr_state, rec_state = official
    convert = load_converter().convert_c3stisr
    bad = dict(sr_state)
    del bad['block3.conv2.weight']
    del bad['lm.model.layers.1.norm3.bias']
    bad['head9.conv.weight'] = torch.zeros(1)
    bad['lm.model.layers.0.self_attn.in_proj_weight'] = torch.zeros(1)
    bad['infoGen.tconv2.weight'] = torch.zeros(512, 64, 3, 3)
    with pytest.raises(KeyError) as err:
        convert(bad, rec_state, model)
    msg = str(err.value)
    for item in ('head9.conv.weight (SR checkpoint)',
                 'lm.model.layers.0.self_attn.in_proj_weight (SR checkpoint)',
                 'generator.srb.1.conv2.weight',
                 'language_model.decoder_layers.1.norms.1.bias',
                 'infoGen.tconv2.weight -> generator.info_gen.tconv2.weight: '
                 '(512, 64, 3, 3) vs (512, 128, 3, 3)'):
        assert item in msg, item
    assert 'unexpected keys (2)' in msg and 'missing keys (2)' in msg
    # a checkpoint with more residual blocks than the config
    extra = dict(sr_state)
    extra['block7.conv1.weight'] = torch.zeros(64, 64, 3, 3)
    with pytest.raises(KeyError, match='block7.conv1.weight'):
        convert(extra, rec_state, model)
    # the student checkpoint is checked by the CRNN converter
    rec_bad = dict(rec_state)
    rec_bad.pop('rnn.1.embedding.bias')
    with pytest.raises(KeyError,
                       match='recognizer checkpoint.*'
                       'rnn.1.embedding.bias'):
        convert(sr_state, rec_bad, model)


def test_cli(official, tmp_path, monkeypatch):
    sr_state, rec_state = official
    sr_path, rec_path = tmp_path / 'model_best_0.pth', tmp_path / 'rec.pth'
    torch.save(dict(state_dict_G=sr_state, info=dict(arch='c3stisr')), sr_path)
    torch.save(rec_state, rec_path)
    config = tmp_path / 'small.py'
    lm = release_config().language_model
    config.write_text(
        f"_base_ = ['{REPO_ROOT}/configs/c3stisr/"
        "c3stisr_release_textzoom.py']\n"
        f"model = dict(language_model=dict(d_model={lm.d_model}, "
        f'n_head={lm.n_head}, d_inner={lm.d_inner}, '
        f'n_layers={lm.n_layers}))\n')
    out = tmp_path / 'out' / 'c3stisr_release.pth'
    converter = load_converter()
    args = [
        str(sr_path),
        str(out), '--recognizer',
        str(rec_path), '--config',
        str(config)
    ]
    monkeypatch.setattr(sys, 'argv', ['convert'] + args)
    converter.main()
    state = _load_checkpoint(str(out), map_location='cpu')['state_dict']
    build_release_model().load_state_dict(state, strict=True)
    # swapped files: an error, nothing written
    bad_out = tmp_path / 'bad.pth'
    monkeypatch.setattr(sys, 'argv', [
        'convert',
        str(rec_path),
        str(bad_out), '--recognizer',
        str(sr_path), '--config',
        str(config)
    ])
    with pytest.raises(KeyError, match='SR checkpoint.*not a TSRN state'):
        converter.main()
    assert not bad_out.exists()
