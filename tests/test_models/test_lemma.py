"""LEMMA (``configs/lemma``): the authors' checkpoint layouts load strictly
through the configs' initialisers, wrong inputs fail clearly, the labels
and the guidance loss are the official ones, and the network equals the
reference written from ``model/lemma.py`` (``lemma_reference.py``)."""
import copy
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmocr.registry import MODELS

from stisr_mmocr.models.editors.lemma import abinet_labels
from tests.test_models.test_c3stisr_release import make_batch

ROOT = Path(__file__).resolve().parents[2]
TEST_CONFIG = ROOT / 'configs' / 'lemma' / 'lemma_textzoom_test.py'
TRAIN_CONFIG = ROOT / 'configs' / 'lemma' / 'lemma_textzoom.py'


def model_cfg(config: Path = TRAIN_CONFIG, **overrides) -> dict:
    cfg = copy.deepcopy(Config.fromfile(str(config)).model)
    values = dict(vision_checkpoint=None, language_checkpoint=None,
                  text_focus_loss=dict(type='TextFocusLoss'))
    values.update(overrides)
    for key, value in values.items():  # replaced, not merged
        cfg[key] = value
    return cfg


def release_file(path: Path, state: dict) -> None:
    """What the authors' save_checkpoint writes (LEMMA-release.pth)."""
    torch.save(dict(state_dict_G=state,
                    info=dict(iters=400, epochs=1, batch_size=64,
                              voc_type='all', up_scale_factor=2),
                    best_history_res=dict(easy=np.float64(0.6), epoch=3),
                    best_model_info=dict(accuracy=0.5, psnr=21., ssim=0.7),
                    param_num=39754541,
                    converge=[dict(iterator=400, acc=0.5)]), path)


def test_release_layout_loads_strictly_through_init_cfg(tmp_path):
    torch.manual_seed(0)
    source = MODELS.build(dict(type='LEMMANet'))
    state = source.state_dict()
    assert len(state) == 1102  # the authors' count, TPS and tables included
    path = tmp_path / 'LEMMA-release.pth'
    release_file(path, state)
    cfg = model_cfg(TEST_CONFIG)
    cfg.generator.init_cfg.checkpoint = str(path)
    model = MODELS.build(cfg)
    model.init_weights()
    loaded = model.generator.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())

    # a file that misses a tensor is refused, the key and file named
    del state['guidanceGen.DWC.bias']
    release_file(path, state)
    model = MODELS.build(cfg)
    with pytest.raises(RuntimeError,
                       match=r'(?s)LEMMA-release\.pth.*'
                       r'guidanceGen\.DWC\.bias'):
        model.init_weights()


def test_abinet_checkpoints_load_into_the_guidance_reader(tmp_path):
    torch.manual_seed(1)
    source = MODELS.build(dict(type='LEMMANet')).position_prior
    files = {}
    for part in ('vision', 'language'):
        files[part] = tmp_path / f'{part}.pth'
        # ABINet's files: {'model': state dict, 'opt': ...}
        torch.save(dict(model=getattr(source, part).state_dict(), opt=None),
                   files[part])
    model = MODELS.build(model_cfg(vision_checkpoint=str(files['vision']),
                                   language_checkpoint=str(
                                       files['language'])))
    model.init_weights()
    for part in ('vision', 'language'):
        ours = getattr(model.generator.position_prior, part).state_dict()
        theirs = getattr(source, part).state_dict()
        assert all(torch.equal(ours[k], v) for k, v in theirs.items())
    with pytest.raises(ValueError, match='one or the other'):
        MODELS.build(model_cfg(TEST_CONFIG,
                               vision_checkpoint=str(files['vision'])))


def test_lr_size_and_scale_fail_clearly():
    net = MODELS.build(dict(type='LEMMANet')).eval()
    with pytest.raises(ValueError, match=r'16x64 LR images .* got 32x128'):
        net(torch.rand(1, 4, 32, 128))
    with pytest.raises(ValueError, match='scale_factor must be 2'):
        MODELS.build(dict(type='LEMMANet', scale_factor=4))


def test_abinet_labels_are_the_official_ones():
    labels = abinet_labels(["It's", 'a0', 'x' * 30])
    assert labels.shape == (3, 26)
    # a..z -> 1..26, '1'..'9' -> 27..35, '0' -> 36, others and the rest 0
    assert labels[0, :5].tolist() == [9, 20, 0, 19, 0]
    assert labels[1, :3].tolist() == [1, 36, 0]
    assert labels[2].tolist() == [24] * 26


def test_guidance_loss_is_the_official_double_softmax():
    torch.manual_seed(2)
    model = MODELS.build(model_cfg())
    model.train()
    lr, hr, labels, samples = make_batch(2)
    losses = model.loss(lr, samples)
    assert set(losses) == {'loss_text_focus', 'loss_guidance'}
    # recompute the CE of softmax(logits) by hand on the same outputs
    torch.manual_seed(2)
    model2 = MODELS.build(model_cfg())
    model2.load_state_dict(model.state_dict())
    model2.train()
    torch.manual_seed(5)
    _, prior = model2.generator.forward_with_guidance(lr)
    ids = abinet_labels(labels)
    expected = 0.
    for key in ('img_logits', 'text_logits'):
        p = prior[key].softmax(-1)
        log_q = p - torch.logsumexp(p, -1, keepdim=True)
        expected += -log_q.gather(-1, ids[..., None]).mean()
    torch.manual_seed(5)
    again = model.loss(lr, samples)
    assert again['loss_guidance'].item() == pytest.approx(
        100 * 0.01 * expected.item(), rel=1e-6)
    assert math.isfinite(losses['loss_text_focus'].item())
