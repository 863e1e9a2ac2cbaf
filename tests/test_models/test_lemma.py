"""LEMMA (``configs/lemma``): the authors' checkpoint layouts load strictly
through the configs' initialisers, wrong inputs fail clearly, the labels
and the guidance loss are the official ones, and the network equals the
reference written from ``model/lemma.py`` (``lemma_reference.py``)."""
import copy
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmocr.registry import MODELS

from stisr_mmocr.models.editors.lemma import abinet_labels
from tests.test_models import lemma_reference as ref
from tests.test_models import lemma_step_reference as step_ref
from tests.test_models.test_c3stisr_release import (make_batch, model_step,
                                                    randomize_norms, rel_diff)

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


def randomized_reference(seed: int = 0):
    """The reference network (official layout) with seeded random weights
    that exercise every path: non-trivial norms and PReLUs, a warping STN,
    class biases that give varied lengths (as the reference's check)."""
    torch.manual_seed(seed)
    net = ref.build_lemma()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        randomize_norms(net, gen)
        for m in net.modules():
            if isinstance(m, nn.PReLU):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) *
                               0.5)
        net.stn_head.stn_fc2.weight.normal_(0, 1e-2, generator=gen)
        prior = net.position_prior
        for cls in (prior.vision.cls, prior.language.cls):
            cls.bias.normal_(0, 1., generator=gen)
        prior.language.cls.bias[0] += 3.
    return net


def lemma_pair(dtype=torch.float32):
    net = randomized_reference()
    ours = MODELS.build(dict(type='LEMMANet'))
    ours.load_state_dict(net.state_dict(), strict=True)
    return net.to(dtype), ours.to(dtype)


def test_eval_forward_matches_lemma():
    net, ours = lemma_pair()
    net.eval()
    ours.eval()
    lr, *_ = make_batch(2)
    with torch.no_grad():
        expected, prior = net(lr)
        out, our_prior = ours.forward_with_guidance(lr)
    diff = (out - expected).abs().max().item()
    print(f'LEMMA eval SR max abs diff: {diff:.3e}')
    assert out.shape == (2, 4, 32, 128)
    assert diff <= 1e-5
    for key in ('attn_map', 'img_logits', 'text_logits'):
        assert (our_prior[key] - prior[key]).abs().max() <= 1e-5, key
    assert torch.equal(our_prior['pt_lengths'], prior['pt_lengths'])


def test_training_forward_and_gradients_match_lemma():
    """Training mode, float64, dropout active with the same seed: the SR
    image, the guidance readings and every parameter's gradient."""
    net, ours = lemma_pair(torch.float64)
    net.train()
    ours.train()
    lr, hr, labels, _ = make_batch(2, torch.float64)
    outputs = []
    for model, forward in ((net, net), (ours, ours.forward_with_guidance)):
        torch.manual_seed(123)
        sr, prior = forward(lr)
        loss = sr.mean() + prior['img_logits'].mean() + \
            prior['text_logits'].mean() + 0.01 * ref.abinet_finetune_loss(
                prior, ref.abinet_labels(labels))
        grads = torch.autograd.grad(loss, list(model.parameters()))
        outputs.append((sr, prior, loss, grads))
    (sr_a, prior_a, loss_a, grads_a), (sr_b, prior_b, loss_b, grads_b) = \
        outputs
    assert rel_diff(sr_b, sr_a) <= 1e-10
    assert rel_diff(prior_b['text_logits'], prior_a['text_logits']) <= 1e-10
    assert abs(loss_b.item() - loss_a.item()) <= 1e-12 * abs(loss_a.item())
    # floor: the biases of convolutions before a training-mode batch norm
    # have an exact gradient of 0 (both sides give ~1e-16 of noise)
    worst = max(rel_diff(b, a, floor=1e-6) for a, b in zip(grads_a, grads_b))
    print(f'LEMMA train-mode forward SR rel diff {rel_diff(sr_b, sr_a):.3e},'
          f' gradients max rel diff {worst:.3e}')
    assert worst <= 1e-8
    # the guidance loss of the model is the reference's fine-tune loss
    assert abinet_labels(labels).equal(ref.abinet_labels(labels))


def test_labels_match_the_reference_on_edge_cases():
    texts = ["It's", 'a0', 'x' * 30, '', 'Hello, World!', '\u0130stanbul']
    assert abinet_labels(texts).equal(ref.abinet_labels(texts))


def test_inferencer_on_crops_of_any_size_with_release_weights(tmp_path):
    """tools/infer.py's inferencer with the test config and a
    ``LEMMA-release.pth``-layout file: crops of any size are resized to
    16x64 (the network refuses others) and super-resolved."""
    from stisr_mmocr.apis import TextSRInferencer
    from tests.test_apis.utils import write_crops
    torch.manual_seed(3)
    state = randomized_reference().state_dict()
    path = tmp_path / 'LEMMA-release.pth'
    release_file(path, state)
    cfg = Config.fromfile(str(TEST_CONFIG))
    cfg.model.generator.init_cfg.checkpoint = str(path)
    inferencer = TextSRInferencer(cfg, device='cpu')
    loaded = inferencer.model.generator.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())
    crops = write_crops(str(tmp_path / 'crops'))
    out = tmp_path / 'out'
    results = inferencer(str(tmp_path / 'crops'), batch_size=2,
                         out_dir=str(out))
    assert len(results['predictions']) == len(crops)
    assert {tuple(p['sr_shape']) for p in results['predictions']} == {(32,
                                                                       128)}
    assert len(list((out / 'sr').iterdir())) == len(crops)


def test_training_step_matches_lemma(tmp_path):
    """One float64 step through ``lemma_textzoom.py``'s optimizer wrapper,
    dropout active with the same seed, the text focus loss on a generated
    ``pretrain_transformer.pth`` (official layout) and ``confuse.pkl``:
    every loss term and every updated weight equal the official step's
    (``lemma_step_reference.py``, checked equal to the official loop body
    by ``.dev_scripts/check_lemma_step_reference.py``)."""
    torch.manual_seed(7)
    stt = step_ref.Transformer().eval()
    stt_file = tmp_path / 'pretrain_transformer.pth'
    torch.save(stt.state_dict(), stt_file)  # a bare state dict
    confuse = tmp_path / 'confuse.pkl'
    with open(confuse, 'wb') as f:
        pickle.dump(np.random.default_rng(0).integers(0, 50, (62, 62)), f)
    net, _ = lemma_pair(torch.float64)
    model = MODELS.build(model_cfg(text_focus_loss=dict(
        type='TextFocusLoss', recognizer_checkpoint=str(stt_file),
        confusion_file=str(confuse), mse_weight=1., attention_weight=5.,
        recognition_weight=2.5e-4)))
    model.generator.load_state_dict(net.state_dict(), strict=True)
    model.double()
    model.text_focus_loss._recognizer[0].double()
    lr, hr, _, samples = make_batch(2, torch.float64)
    labels = ['Tel:0800-42!', "it's 9AM"]
    for sample, label in zip(samples, labels):
        sample.gt_text.item = label

    torch.manual_seed(11)
    losses, before = model_step(model, TRAIN_CONFIG, lr, samples)

    net.train()
    stt.double()
    optimizer = step_ref.lemma_optimizer(net)
    ref_before = {k: v.clone() for k, v in net.state_dict().items()}
    torch.manual_seed(11)
    ref_step = step_ref.lemma_train_step(
        net, stt, lr, hr, labels,
        step_ref.official_confusion_weights(str(confuse)))
    step_ref.lemma_update(ref_step['loss'], net, optimizer)

    expected = dict(
        loss_text_focus=100 * (ref_step['mse'] + 5 * ref_step['attention'] +
                               2.5e-4 * ref_step['recognition']),
        loss_guidance=ref_step['finetune'])
    loss_diffs = {
        k: abs(losses[k].item() - v.item()) / abs(v.item())
        for k, v in expected.items()
    }
    after = model.generator.state_dict()
    worst_step = max(
        rel_diff(after[k].double() - before['generator.' + k].double(),
                 v.double() - ref_before[k].double(), floor=1e-3)
        for k, v in net.state_dict().items())
    print(f'LEMMA losses rel diff {loss_diffs}, step max rel diff '
          f'{worst_step:.3e}')
    assert ref_step['attention'] > 0 and ref_step['recognition'] > 0
    assert max(loss_diffs.values()) <= 1e-6
    assert worst_step <= 1e-6
