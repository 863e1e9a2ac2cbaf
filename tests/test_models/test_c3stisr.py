"""Tests of C3-STISR: the model, its clue components, losses and weights."""
import copy
import importlib.util
from pathlib import Path

import mmocr
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.structures import LabelData
from mmocr.registry import MODELS
from PIL import Image, ImageDraw, ImageFont

import stisr_mmocr  # noqa: F401
from stisr_mmocr.converters import crnn_key_map
from stisr_mmocr.engine import load_state_dict_strictly
from stisr_mmocr.models.layers.c3stisr import ABINET_PREFIX, extract_weights
from stisr_mmocr.structures import TextSRDataSample
from tests.test_tools.test_crnn_converter import convert_crnn

REPO = Path(__file__).resolve().parents[2]
RELEASED = REPO / 'configs' / 'c3stisr' / 'c3stisr_textzoom.py'
TRIPLE = REPO / 'configs' / 'c3stisr' / 'c3stisr_triple-clue_textzoom.py'
ABINET = (
    Path(mmocr.__file__).parent / '.mim' / 'configs' / 'textrecog' / 'abinet' /
    'abinet_20e_st-an_mj.py')
WORDS = ['hello', 'world', 'abc', 'x7']


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Small CPU tensors: one intra-op thread is faster, above all on a
    loaded machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def small(config: Path = RELEASED, **clue_overrides) -> dict:
    """The model dict of ``config``, shrunk for CPU tests (no weights), with
    clue generator arguments overridden; ``linguistic=None`` also drops the
    linguistic loss."""
    cfg = copy.deepcopy(Config.fromfile(str(config)).model)
    cfg.recognizer_checkpoint = None
    cfg.generator.update(hidden_channels=16, num_blocks=2)
    gen = cfg.clue_generator
    gen.recognition = dict(
        type='DistributionClue', projection=dict(mid_channels=(32, 16, 16)))
    if gen.linguistic is not None:
        gen.linguistic.update(
            processing=dict(projection=dict(mid_channels=(32, 16, 16))))
        gen.linguistic.language_model.update(
            d_model=32, n_head=2, d_inner=64, n_layers=1, checkpoint=None)
    gen.fusion = dict(type='GatedFusion', mid_channels=16)
    gen.update(clue_overrides)
    if gen.linguistic is None:
        cfg.linguistic_loss = None
    return cfg.to_dict()


def batch(n: int = 2, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    hr = torch.rand(n, 4, 32, 128, generator=gen)
    lr = torch.nn.functional.avg_pool2d(hr, 2)
    samples = []
    for img, word in zip(hr, WORDS * n):
        sample = TextSRDataSample()
        sample.gt_img = img
        sample.gt_text = LabelData(item=word)
        samples.append(sample)
    return lr, samples


@pytest.fixture(scope='module')
def triple():
    torch.manual_seed(0)
    model = MODELS.build(small(TRIPLE))
    model.init_weights()
    return model


def test_shapes_released_variant():
    model = MODELS.build(small())
    lr, samples = batch()
    model.eval()
    with torch.no_grad():
        out = model.generate(lr)
        preds = model(lr, samples, mode='predict')
    assert model.clue_generator.clue_names == ('rec', 'ling')
    assert model.clue_generator.visual is None
    assert out['sr'].shape == (2, 4, 32, 128)
    assert out['logits'].shape == (2, 26, 37)
    assert out['lm_logits'].shape == (2, 26, 37)
    assert out['clue'].shape == (2, 32, 16, 64)
    assert out['weights'].shape == (2, 2, 32, 16, 64)
    assert preds[0].pred_img.shape == (4, 32, 128)
    model.train()
    losses = model(lr, samples, mode='loss')
    assert set(losses) == {'loss_pixel', 'loss_distill', 'loss_ling'}
    assert all(torch.isfinite(v) for v in losses.values())


def test_shapes_triple_clue(triple):
    lr, samples = batch()
    triple.eval()
    with torch.no_grad():
        out = triple.generate(lr)
    assert triple.clue_generator.clue_names == ('rec', 'ling', 'vis')
    assert out['sr'].shape == (2, 4, 32, 128)
    assert set(out['clues']) == {'rec', 'ling', 'vis'}
    assert all(h.shape == (2, 32, 16, 64) for h in out['clues'].values())
    assert out['weights'].shape == (2, 3, 32, 16, 64)
    assert len(out['texts']) == 2
    assert triple(lr, mode='tensor').shape == (2, 4, 32, 128)


def test_training_logits_follow_tpgsr_crnn_input():
    """R reads through its reader: TPGSR's ``parse_crnn_data`` (bicubic to
    32x100, unclamped, gray 0.299 R + 0.587 G + 0.114 B, values in [0, 1]
    since MMOCR's preprocessor divides the 0-255 input by 255), then
    MiniVGG and the BiLSTM decoder's training branch, with gradients."""
    torch.manual_seed(0)
    model = MODELS.build(small())
    model.train()
    lr, _ = batch()
    lr.requires_grad_()
    logits = model.recognize(model.recognizer, lr)
    # TPGSR's CRNN input, written out
    x = torch.nn.functional.interpolate(
        lr.detach()[:, :3], size=(32, 100), mode='bicubic',
        align_corners=False)
    x = 0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]
    crnn = model.recognizer
    feat = crnn.backbone(x)
    expected = crnn.decoder.decoder(feat.squeeze(2).permute(2, 0, 1))
    expected = expected.permute(1, 0, 2)
    assert logits.shape == (2, 26, 37)
    torch.testing.assert_close(logits, expected, rtol=1e-4, atol=1e-5)
    logits.sum().backward()
    assert lr.grad is not None and lr.grad.abs().sum() > 0
    assert crnn.backbone.cnn.conv0.weight.grad is not None


def test_fusion_weights_sum_to_one(triple):
    lr, _ = batch()
    triple.eval()
    with torch.no_grad():
        weights = triple.generate(lr)['weights']
    assert (weights >= 0).all()
    torch.testing.assert_close(weights.sum(1), torch.ones_like(weights[:, 0]))
    fusion = MODELS.build(dict(type='GatedFusion', clue_names=('a', 'b')))
    clues = dict(a=torch.zeros(2, 32, 16, 64), b=torch.ones(2, 32, 16, 64))
    fused, w = fusion(clues, torch.rand(2, 4, 16, 64))
    torch.testing.assert_close(w.sum(1), torch.ones_like(fused))
    torch.testing.assert_close(fused, w[:, 1])  # 0 * w_a + 1 * w_b


def test_gradients_reach_trainable_parts_not_teacher(triple):
    lr, samples = batch()
    triple.train()
    triple.zero_grad()
    losses = triple(lr, samples, mode='loss')
    assert set(losses) == {'loss_pixel', 'loss_distill', 'loss_ling'}
    sum(losses.values()).backward()
    assert not triple.teacher.training
    for name, p in triple.teacher.named_parameters():
        assert not p.requires_grad and p.grad is None, name
    trainable = {
        n: p
        for n, p in triple.named_parameters() if not n.startswith('teacher.')
    }
    no_grad = [n for n, p in trainable.items() if p.grad is None]
    assert not no_grad
    for part in ('recognizer.', 'generator.', 'clue_generator.recognition.',
                 'clue_generator.linguistic.language_model.',
                 'clue_generator.linguistic.processing.',
                 'clue_generator.visual.alignment.',
                 'clue_generator.visual.dsta.', 'clue_generator.fusion.'):
        grads = [
            p.grad.abs().sum() for n, p in trainable.items()
            if n.startswith(part)
        ]
        assert grads and sum(grads) > 0, part


def test_switching_clues_off_removes_parameters():

    def names(model):
        return {n for n, _ in model.named_parameters()}

    released = MODELS.build(small())
    no_ling = MODELS.build(small(linguistic=None))
    rec_vis = MODELS.build(
        small(TRIPLE, linguistic=None, fuse_recognition=True))
    vis_only = MODELS.build(
        small(TRIPLE, linguistic=None, fuse_recognition=False))
    assert any('clue_generator.linguistic.' in n for n in names(released))
    assert not any('clue_generator.linguistic.' in n for n in names(no_ling))
    assert not any('clue_generator.visual.' in n for n in names(released))
    # a single clue needs no fusion
    assert no_ling.clue_generator.fusion is None
    assert not any('clue_generator.fusion.' in n for n in names(no_ling))
    assert rec_vis.clue_generator.clue_names == ('rec', 'vis')
    assert set(rec_vis.clue_generator.fusion.extractors) == {'rec', 'vis'}
    # h_rec stays as the visual clue's guide, unfused
    assert vis_only.clue_generator.clue_names == ('vis', )
    assert vis_only.clue_generator.recognition is not None
    with pytest.raises(ValueError, match='linguistic clue'):
        MODELS.build({
            **small(linguistic=None), 'linguistic_loss':
            small()['linguistic_loss']
        })
    with pytest.raises(ValueError, match='aligned by h_rec'):
        MODELS.build(small(TRIPLE, recognition=None))
    no_teacher = MODELS.build({**small(linguistic=None), 'distill_loss': None})
    assert no_teacher.teacher is None


def test_text_focus_loss_off_without_weights(log_records):
    model = MODELS.build(small())
    assert model.text_focus_loss is None
    assert any('text focus loss (alpha2) is off' in r.getMessage()
               for r in log_records)


def test_skeleton_painter_draws_the_decoded_string(triple):
    visual = triple.clue_generator.visual
    painter = visual.painter
    # probabilities whose CTC greedy decoding is 'ab1' (blank = 36)
    dictionary = triple.recognizer.decoder.dictionary
    path = ['a', 'a', None, 'b', None, None, '1'] + [None] * 19
    idx = [
        dictionary.padding_idx if c is None else dictionary.char2idx(c)
        for c in path
    ]
    probs = torch.nn.functional.one_hot(torch.tensor([idx]), 37).float()
    assert visual.decode(probs) == ['ab1']

    images = painter(['ab1', ''])
    assert images.shape == (2, 2, 16, 64)
    assert (images[1] == 1).all()  # empty string: white
    # direct PIL rendering of the upper- and lower-case strings
    font = ImageFont.load_default(size=32)
    for channel, text in enumerate(('AB1', 'ab1')):
        left, top, right, bottom = font.getbbox(text)
        ref = Image.new('L', (right - left + 4, bottom - top + 4), 255)
        ImageDraw.Draw(ref).text((2 - left, 2 - top), text, fill=0, font=font)
        ref = np.asarray(ref.resize((64, 16), Image.BILINEAR)) / 255.
        np.testing.assert_allclose(images[0, channel].numpy(), ref, atol=1e-6)
    # black ink on white, in the middle; the two cases differ
    ink = images[0] < 0.5
    assert ink.any(dim=(1, 2)).all()
    assert not ink[:, :, 0].any() and not ink[:, :, -1].any()
    assert (images[0, 0] != images[0, 1]).any()
    # another string draws differently
    assert (painter(['xyz'])[0] != images[0]).any()


def test_prior_dropout_zeroes_the_first_quarter_of_the_clues():
    torch.manual_seed(0)
    model = MODELS.build(dict(small(), clue_drop_ratio=0.25))
    seen = []
    model.generator.register_forward_pre_hook(
        lambda module, args: seen.append(args[1].detach()))
    lr, _ = batch(4)
    model.train()
    model._forward(lr)
    norms = seen[-1].flatten(1).norm(dim=1)
    assert norms[0] == 0 and (norms[1:] > 0).all()
    model.eval()
    model._forward(lr)
    assert (seen[-1].flatten(1).norm(dim=1) > 0).all()


def test_training_lowers_loss():
    torch.manual_seed(0)
    model = MODELS.build(small())
    model.init_weights()
    model.train()
    lr, samples = batch(seed=1)
    optim = torch.optim.Adam(
        [p for p in model.parameters() if p.requires_grad], lr=1e-3)
    history = []
    for _ in range(4):
        optim.zero_grad()
        loss = sum(model(lr, samples, mode='loss').values())
        loss.backward()
        optim.step()
        history.append(loss.item())
    assert history[-1] < history[0]


def test_distillation_loss():
    loss = MODELS.build(
        dict(type='DistillationLoss', l1_weight=1., kl_weight=1.))
    logits = torch.randn(2, 26, 37)
    assert loss(logits, logits).abs() < 1e-6
    assert loss(logits, torch.randn(2, 26, 37)) > 0
    student = logits.clone().requires_grad_()
    teacher = torch.randn(2, 26, 37, requires_grad=True)
    loss(student, teacher).backward()
    assert student.grad is not None and teacher.grad is None


def _tool(name: str):
    path = REPO / 'tools' / 'model_converters' / f'{name}.py'
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_abinet_checkpoint_loads_into_language_model(tmp_path):
    abinet = MODELS.build(Config.fromfile(str(ABINET)).model)
    state_dict = abinet.state_dict()
    lm_cfg = copy.deepcopy(
        Config.fromfile(str(RELEASED)).model.clue_generator.linguistic.
        language_model.to_dict())
    lm_cfg['checkpoint'] = None
    lm = MODELS.build(lm_cfg)
    weights = extract_weights(state_dict, ABINET_PREFIX, lm)
    lm.load_state_dict(weights, strict=True)
    for k, v in lm.state_dict().items():
        assert torch.equal(v, state_dict[ABINET_PREFIX + k]), k

    # through the config's `checkpoint`, in MMOCR's ABINet checkpoint layout
    # (the vision part cut down to two tensors to keep the file small)
    kept = {
        k: v
        for k, v in state_dict.items()
        if k.startswith(ABINET_PREFIX) or k.startswith('decoder.cls.')
    }
    path = tmp_path / 'abinet.pth'
    torch.save(dict(state_dict=kept, meta=dict()), path)
    lm2 = MODELS.build({**lm_cfg, 'checkpoint': str(path)})
    lm2.init_weights()
    for k, v in lm2.state_dict().items():
        assert torch.equal(v, state_dict[ABINET_PREFIX + k]), k

    # through the converter tool, into a language-model-only checkpoint
    converted = _tool('abinet_to_c3stisr').convert_abinet_language_model(
        state_dict)
    path = tmp_path / 'abinet_lm.pth'
    torch.save(dict(state_dict=converted), path)
    lm3 = MODELS.build({
        **lm_cfg, 'checkpoint': str(path),
        'checkpoint_prefix': ''
    })
    lm3.init_weights()
    for k, v in lm3.state_dict().items():
        assert torch.equal(v, state_dict[ABINET_PREFIX + k]), k

    broken = dict(state_dict)
    del broken[ABINET_PREFIX + 'cls.weight']
    broken[ABINET_PREFIX + 'extra.weight'] = torch.zeros(1)
    with pytest.raises(
            KeyError,
            match=r"missing keys \['cls.weight'\], "
            r"unexpected keys \['extra.weight'\]"):
        extract_weights(broken, ABINET_PREFIX, lm)


def test_converted_crnn_loads_into_recognizer_and_teacher(tmp_path):
    cfg = small()
    model = MODELS.build(cfg)
    target = model.recognizer.state_dict()
    gen = torch.Generator().manual_seed(0)
    official = {
        old:
        torch.randn(target[new].shape, generator=gen)
        if target[new].is_floating_point() else target[new].clone()
        for old, new in crnn_key_map().items()
    }
    converted = convert_crnn(official)
    path = tmp_path / 'crnn_mmocr.pth'
    torch.save(dict(state_dict=converted), path)

    model = MODELS.build({**cfg, 'recognizer_checkpoint': str(path)})
    model.init_weights()
    for k, v in converted.items():
        assert torch.equal(model.recognizer.state_dict()[k], v), k
        assert torch.equal(model.teacher.state_dict()[k], v), k
    assert model.recognizer.init_cfg == dict(
        type='StrictPretrained', checkpoint=str(path))
    # R learns, its teacher stays frozen
    assert all(p.requires_grad for p in model.recognizer.parameters())
    assert not any(p.requires_grad for p in model.teacher.parameters())

    del converted['decoder.decoder.1.embedding.bias']
    converted['decoder.extra'] = torch.zeros(1)
    torch.save(dict(state_dict=converted), path)
    model = MODELS.build({**cfg, 'recognizer_checkpoint': str(path)})
    with pytest.raises(
            RuntimeError,
            match=r'(?s)crnn_mmocr\.pth do not match CRNN:.*missing keys '
            r'\(1\): .*embedding\.bias.*unexpected keys \(1\): '
            r'decoder\.extra'):
        model.init_weights()


def test_old_name_of_the_sr_network_is_refused():
    """The SR network is ``generator`` in every model: ``backbone`` fails
    with the new name, and a checkpoint saved with ``backbone.`` keys is
    refused with a hint at the renamed part."""
    cfg = small()
    cfg['backbone'] = cfg.pop('generator')
    with pytest.raises(TypeError, match='`backbone` is now `generator`'):
        MODELS.build(cfg)
    model = MODELS.build(small())
    old = {(f'backbone.{k[len("generator."):]}'
            if k.startswith('generator.') else k): v
           for k, v in model.state_dict().items()}
    with pytest.raises(RuntimeError,
                       match="the checkpoint's 'backbone.' keys are the "
                       "model's 'generator.' keys under another name"):
        load_state_dict_strictly(model, old, 'old.pth')
