"""STIRER: equality of the native ViT / T5 / Swin blocks with timm and
transformers, the official key layout loaded through the config, outputs,
losses, text focus loss, configs and tools/test.py."""
import os
import os.path as osp
import pickle
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmengine import Config
from mmengine.runner import Runner
from mmengine.structures import LabelData
from mmocr.registry import MODELS

from stisr_mmocr.engine import load_state_dict_strictly
from stisr_mmocr.models.editors import STIRER
from stisr_mmocr.models.editors.stirer import CHARSET
from stisr_mmocr.models.layers.stirer import (SwinTransformerBlock,
                                              T5EncoderDecoder, ViTEncoder)
from stisr_mmocr.models.layers.stirer.stt_transformer import STTTransformer
from stisr_mmocr.models.losses import TextFocusLoss
from stisr_mmocr.models.losses.text_focus_loss import load_confusion_weights
from stisr_mmocr.models.networks import STIRERNet
from stisr_mmocr.structures import TextSRDataSample

from ..conftest import encode_png, text_crop, write_lmdb

# test extras (installed by `make test`): a missing one is an error
import timm  # noqa: E402,F401
import transformers  # noqa: E402,F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
OFFICIAL = osp.join(ROOT, 'third_party', 'STIRER')
TOL = 1e-5

T5_ARGS = dict(vocab_size=38,
               d_model=96,
               d_ff=384,
               num_layers=3,
               num_decoder_layers=6,
               num_heads=6,
               relative_attention_num_buckets=8,
               eos_token_id=37,
               pad_token_id=0,
               decoder_start_token_id=0,
               max_length=21)


def run_tool(*args: str) -> str:
    """Run ``python <tool> <args>`` from the repository root; return its
    output, failing the test with the output's end if it fails."""
    proc = subprocess.run([sys.executable, *args],
                          cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=ROOT),
                          capture_output=True,
                          text=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    return out


def hf_t5():
    """transformers' T5ForConditionalGeneration as the official code builds
    it (random weights, eval mode)."""
    from transformers import T5Config, T5ForConditionalGeneration
    return T5ForConditionalGeneration(T5Config(**T5_ARGS)).eval()


def hf_generate(generate, embeds):
    """HF greedy decoding as the official ``generate(inputs_embeds=...,
    num_beams=1)`` with max_length 21 (transformers 5.x needs lazily grown
    caches for 3 encoder / 6 decoder layers)."""
    kwargs = dict(num_beams=1, do_sample=False, max_length=21)
    try:
        from transformers.cache_utils import DynamicCache, EncoderDecoderCache
        kwargs['past_key_values'] = EncoderDecoderCache(
            DynamicCache(), DynamicCache())
    except ImportError:
        pass
    with torch.no_grad():
        return generate(inputs_embeds=embeds, **kwargs)


def timm_vit(in_chans, embed_dim=192, depth=6, num_heads=3):
    """timm's VisionTransformer as the official ViTEncoder builds it."""
    from timm.models.vision_transformer import VisionTransformer
    return VisionTransformer((16, 64), (16, 2),
                             in_chans,
                             embed_dim=embed_dim,
                             depth=depth,
                             num_heads=num_heads,
                             mlp_ratio=4.,
                             qkv_bias=True,
                             num_classes=0,
                             global_pool='',
                             class_token=False).eval()


def max_diff(a, b):
    return (a - b).abs().max().item()


@pytest.fixture(scope='module')
def release_model():
    """The release architecture with random weights, in eval mode."""
    torch.manual_seed(0)
    return STIRER().eval()


# --------------------------------------------------------------------------
# equality with the reference libraries (fp32, CPU, same random weights)
# --------------------------------------------------------------------------
def test_vit_encoder_matches_timm():
    torch.manual_seed(0)
    ref = timm_vit(52, embed_dim=96, depth=3)
    mine = ViTEncoder(in_chans=52, embed_dim=96, depth=3, num_heads=3)
    mine.load_state_dict(ref.state_dict(), strict=True)
    mine.eval()
    x = torch.randn(3, 52, 16, 64)
    with torch.no_grad():
        assert max_diff(ref.forward_features(x), mine(x)) <= TOL


@pytest.mark.parametrize('shift', [(0, 0), (8, 1)])
def test_swin_block_matches_timm(shift):
    from timm.models.swin_transformer import \
        SwinTransformerBlock as TimmBlock
    torch.manual_seed(0)
    # always_partition keeps the (16, 2) window and (8, 1) shift on the
    # 16-high map, as SwinIR / STIRER do
    ref = TimmBlock(48, (16, 64),
                    6,
                    window_size=(16, 2),
                    shift_size=shift,
                    mlp_ratio=2.,
                    always_partition=True).eval()
    mine = SwinTransformerBlock(48, (16, 64), 6, (16, 2), shift, 2.).eval()
    # timm keeps the index and mask out of its state dict; ours are
    # persistent buffers, as in the official checkpoint
    result = mine.load_state_dict(ref.state_dict(), strict=False)
    assert not result.unexpected_keys
    assert set(
        result.missing_keys) <= {'attn.relative_position_index', 'attn_mask'}
    assert torch.equal(mine.attn.relative_position_index,
                       ref.attn.relative_position_index)
    if min(shift):
        assert torch.equal(mine.attn_mask, ref.attn_mask)
    x = torch.randn(2, 16 * 64, 48)
    with torch.no_grad():
        expected = ref(x.view(2, 16, 64, 48)).view(2, -1, 48)
        assert max_diff(expected, mine(x)) <= TOL


def test_t5_teacher_forcing_matches_transformers():
    torch.manual_seed(0)
    ref = hf_t5()
    mine = T5EncoderDecoder().eval()
    assert set(mine.state_dict()) == set(ref.state_dict())
    mine.load_state_dict(ref.state_dict(), strict=True)
    embeds = torch.randn(4, 32, 96)
    labels = torch.randint(0, 38, (4, 31))
    labels[0, 20:] = -100
    with torch.no_grad():
        out = ref(inputs_embeds=embeds, labels=labels)
        logits, loss = mine(embeds, labels)
    assert max_diff(out.logits, logits) <= TOL
    assert abs(out.loss.item() - loss.item()) <= TOL


def test_t5_greedy_decoding_matches_transformers():
    torch.manual_seed(0)
    ref = hf_t5()
    for p in ref.parameters():
        if p.dim() == 2:  # sharper logits than HF's init: varied tokens
            torch.nn.init.trunc_normal_(p, std=.2)
    mine = T5EncoderDecoder().eval()
    mine.load_state_dict(ref.state_dict(), strict=True)
    embeds = torch.randn(4, 32, 96)
    expected = hf_generate(ref.generate, embeds)
    ids, scores = mine.generate(embeds)
    assert expected.shape[1] == 21  # some sequence never ends
    assert torch.equal(expected[:, 1:], ids)
    assert scores.shape == ids.shape and (scores <= 0).all()

    # a strong EOS: every sequence ends early and decoding stops there
    with torch.no_grad():
        for model in (ref, mine):
            shared = model.shared.weight
            shared[37] = shared[37] * 4
    expected = hf_generate(ref.generate, embeds)
    ids, _ = mine.generate(embeds)
    assert expected.shape[1] < 21
    assert torch.equal(expected[:, 1:], ids)
    assert ((ids == 37).sum(1) == 1).all()


# --------------------------------------------------------------------------
# the official key layout
# --------------------------------------------------------------------------
def _bn(prefix, c):
    return {
        f'{prefix}.weight': (c, ),
        f'{prefix}.bias': (c, ),
        f'{prefix}.running_mean': (c, ),
        f'{prefix}.running_var': (c, ),
        f'{prefix}.num_batches_tracked': ()
    }


def _conv(prefix, cout, cin, k):
    return {f'{prefix}.weight': (cout, cin, k, k), f'{prefix}.bias': (cout, )}


def _gru_block(prefix, c):
    """model/stirer.py GruBlock(c, c): conv1 1x1, bn1, BiGRU(c, c // 2)."""
    keys = {**_conv(f'{prefix}.conv1', c, c, 1), **_bn(f'{prefix}.bn1', c)}
    h = c // 2
    for suffix in ('', '_reverse'):
        keys.update({
            f'{prefix}.gru.weight_ih_l0{suffix}': (3 * h, c),
            f'{prefix}.gru.weight_hh_l0{suffix}': (3 * h, h),
            f'{prefix}.gru.bias_ih_l0{suffix}': (3 * h, ),
            f'{prefix}.gru.bias_hh_l0{suffix}': (3 * h, ),
        })
    return keys


def _residual_block(prefix, c):
    """model/stirer.py RecurrentResidualBlockTL(c) without clue."""
    return {
        **_conv(f'{prefix}.conv1', c, c, 3),
        **_bn(f'{prefix}.bn1', c),
        **_conv(f'{prefix}.conv2', c, c, 3),
        **_bn(f'{prefix}.bn2', c),
        **_gru_block(f'{prefix}.gru1', c),
        **_gru_block(f'{prefix}.gru2', c)
    }


def _three_conv(prefix, c):
    return {
        **_conv(f'{prefix}.0', c // 4, c, 3),
        **_conv(f'{prefix}.2', c // 4, c // 4, 1),
        **_conv(f'{prefix}.4', c, c // 4, 3)
    }


def official_sr_shapes(depths=(4, 5, 6), dim=48, heads=6, in_chans=4):
    """Keys and shapes of the Swin / SR part of the official STIRER (read
    off model/stirer.py: RSTB with is_eval=False, resi_connection '3conv',
    upsampler 'pixelshuffledirect'); the ViTs and the T5 come from timm and
    transformers."""
    n = 16 * 2  # tokens per (16, 2) window
    shapes = {
        **_conv('conv_first', dim, in_chans, 3),
        'patch_embed.norm.weight': (dim, ),
        'patch_embed.norm.bias': (dim, ),
        'norm.weight': (dim, ),
        'norm.bias': (dim, ),
        **_residual_block('last_sr', dim + in_chans),
        **_conv('down_conv', dim, dim + in_chans, 3),
        **_three_conv('conv_after_body', dim),
        **_conv('upsample.0', 4 * in_chans, dim, 3),
    }
    for i, depth in enumerate(depths):
        p = f'layers.{i}'
        for j in range(depth):
            b = f'{p}.residual_group.blocks.{j}'
            shapes.update({
                f'{b}.norm1.weight': (dim, ),
                f'{b}.norm1.bias': (dim, ),
                f'{b}.attn.relative_position_bias_table':
                ((2 * 16 - 1) * (2 * 2 - 1), heads),
                f'{b}.attn.relative_position_index': (n, n),
                f'{b}.attn.qkv.weight': (3 * dim, dim),
                f'{b}.attn.qkv.bias': (3 * dim, ),
                f'{b}.attn.proj.weight': (dim, dim),
                f'{b}.attn.proj.bias': (dim, ),
                f'{b}.norm2.weight': (dim, ),
                f'{b}.norm2.bias': (dim, ),
                f'{b}.mlp.fc1.weight': (2 * dim, dim),
                f'{b}.mlp.fc1.bias': (2 * dim, ),
                f'{b}.mlp.fc2.weight': (dim, 2 * dim),
                f'{b}.mlp.fc2.bias': (dim, ),
            })
            if j % 2:
                shapes[f'{b}.attn_mask'] = (64 // 2, n, n)
        shapes.update({
            **_three_conv(f'{p}.conv', dim),
            **_residual_block(f'{p}.gru', dim),
            f'{p}.fc.weight': (37, 192),
            f'{p}.fc.bias': (37, ),
            **_conv(f'{p}.conv_after_body', dim, dim, 3),
            **_conv(f'{p}.upsample.0', 4 * in_chans, dim, 3),
        })
    return shapes


@pytest.fixture(scope='module')
def official_layout_state():
    """A state dict in the official key layout with random values: the
    Swin / SR part from the hand-written layout, the ViTs from timm and the
    T5 from transformers (their real key names and values)."""
    torch.manual_seed(1)
    state = {}
    for key, shape in official_sr_shapes().items():
        if key.endswith('relative_position_index'):
            state[key] = torch.randint(0, 93, shape)
        elif key.endswith('num_batches_tracked'):
            state[key] = torch.tensor(7)
        elif key.endswith('running_var'):
            state[key] = torch.rand(shape) + .5
        else:
            state[key] = torch.randn(shape) * .1
    vits = {f'layers.{i}.vit': timm_vit(48) for i in range(3)}
    vits['vit'] = timm_vit(52, embed_dim=96, depth=3)
    for prefix, vit in vits.items():
        state.update({f'{prefix}.{k}': v for k, v in vit.state_dict().items()})
    t5 = hf_t5()
    state.update({f'decoder.{k}': v for k, v in t5.state_dict().items()})
    return dict(state=state, vit=vits['vit'], t5=t5)


def model_from_config(name, checkpoint, **init_cfg):
    """The model of ``configs/stirer/{name}.py`` with the network's
    ``init_cfg`` checkpoint set to ``checkpoint``, weights initialised as
    the runner does."""
    cfg = Config.fromfile(osp.join(ROOT, f'configs/stirer/{name}.py'))
    cfg.model.generator.init_cfg.update(checkpoint=checkpoint, **init_cfg)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def test_official_layout_loads_through_the_config(official_layout_state,
                                                  tmp_path):
    state = official_layout_state['state']
    path = str(tmp_path / 'STIRER_Final_Release.pth')
    torch.save(state, path)  # the authors' plain state dict
    model = model_from_config('stirer_textzoom_test', path).eval()
    assert set(model.generator.state_dict()) == set(state)
    for key, value in model.generator.state_dict().items():
        assert torch.equal(value, state[key]), key
    # the loaded parts compute what the reference modules compute
    x = torch.randn(2, 52, 16, 64)
    with torch.no_grad():
        tokens = model.generator.vit(x)
        assert max_diff(official_layout_state['vit'].forward_features(x),
                        tokens) <= TOL
        labels = torch.randint(0, 38, (2, 31))
        logits, _ = model.generator.decoder(tokens, labels)
        ref = official_layout_state['t5'](inputs_embeds=tokens, labels=labels)
        assert max_diff(ref.logits, logits) <= TOL


def test_mismatching_weights_fail_with_a_report(official_layout_state,
                                                tmp_path):
    state = dict(official_layout_state['state'])
    state.pop('layers.1.fc.bias')
    state['layers.1.extra.weight'] = torch.zeros(1)
    state['conv_first.weight'] = torch.zeros(48, 3, 3, 3)
    path = str(tmp_path / 'bad.pth')
    torch.save(state, path)
    with pytest.raises(RuntimeError) as err:
        model_from_config('stirer_textzoom_test', path)
    msg = str(err.value)
    assert f'weights from {path} do not match STIRERNet' in msg
    assert 'missing keys (1): layers.1.fc.bias' in msg
    assert 'unexpected keys (1): layers.1.extra.weight' in msg
    assert ('shape mismatches (1): conv_first.weight: checkpoint '
            '(48, 3, 3, 3) vs model (48, 4, 3, 3)') in msg

    # T5's tied copies must equal the shared embedding
    tied = dict(official_layout_state['state'])
    tied['decoder.lm_head.weight'] = tied['decoder.lm_head.weight'] + 1
    torch.save(tied, path)
    torch.manual_seed(0)
    net = STIRERNet(init_cfg=dict(type='StrictPretrained', checkpoint=path))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    with pytest.raises(RuntimeError) as err:
        net.init_weights()
    assert ('tied keys with differing values (1): decoder.lm_head.weight '
            '(tied to decoder.shared.weight)') in str(err.value)
    for key, value in net.state_dict().items():  # nothing loaded
        assert torch.equal(value, before[key]), key


def test_missing_weights_name_the_init_cfg_key(tmp_path):
    path = str(tmp_path / 'absent.pth')
    expected = re.escape(f'init_cfg.checkpoint of STIRERNet: {path}')
    with pytest.raises(FileNotFoundError, match=expected):
        STIRERNet(depths=(1, ),
                  num_heads=(6, ),
                  init_cfg=dict(type='StrictPretrained',
                                checkpoint=path)).init_weights()


def test_stage2_config_takes_the_network_of_a_model_checkpoint(tmp_path):
    torch.manual_seed(0)
    trained = STIRER()
    ckpt = str(tmp_path / 'best_mean_word_acc_iter_5.pth')
    torch.save(dict(meta=dict(iter=5), state_dict=trained.state_dict()), ckpt)
    model = model_from_config('stirer_stage2_textzoom', ckpt)
    for key, value in trained.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
    with pytest.raises(KeyError, match="no key of .* starts with 'gen.'"):
        model_from_config('stirer_stage2_textzoom', ckpt, prefix='gen.')


@pytest.mark.skipif(
    not osp.isdir(OFFICIAL),
    reason='official STIRER code not unpacked into third_party/STIRER')
def test_matches_official_stirer_class():
    sys.path.insert(0, OFFICIAL)
    try:
        from model.stirer import STIRER as Official
    finally:
        sys.path.remove(OFFICIAL)
    torch.manual_seed(0)
    ref = Official(upscale=2,
                   img_size=(16, 64),
                   window_size=(16, 2),
                   img_range=1.,
                   depths=[4, 5, 6],
                   embed_dim=48,
                   num_heads=[6, 6, 6],
                   mlp_ratio=2,
                   upsampler='pixelshuffledirect',
                   is_eval=False).eval()
    generate = ref.decoder.generate
    ref.decoder.generate = lambda inputs_embeds, num_beams: hf_generate(
        generate, inputs_embeds)
    model = STIRER().eval()
    load_state_dict_strictly(model.generator, ref.state_dict(), 'official')
    x = torch.rand(2, 4, 16, 64)
    with torch.no_grad():
        sr, ids, srs, logits = ref(x)
        out = model(x, mode='tensor')
    assert max_diff(sr, out['sr']) <= TOL
    for a, b in zip(srs + logits, out['step_sr'] + out['step_logits']):
        assert max_diff(a, b) <= TOL
    assert torch.equal(ids[:, 1:], out['text_ids'])


# --------------------------------------------------------------------------
# outputs, losses, training
# --------------------------------------------------------------------------
def small_stirer(**kwargs):
    """Two thin stages: the same code paths at a CPU-friendly size."""
    return STIRER(generator=dict(type='STIRERNet',
                                 depths=(1, 1),
                                 num_heads=(6, 6),
                                 rec_head=dict(rec_embed_dim=48,
                                               rec_depth=1,
                                               rec_num_heads=3),
                                 decoder=dict(num_layers=1,
                                              num_decoder_layers=2)),
                  **kwargs)


def make_samples(texts, seed=0):
    g = torch.Generator().manual_seed(seed)
    samples = []
    for text in texts:
        s = TextSRDataSample()
        s.gt_img = torch.rand(4, 32, 128, generator=g)
        s.gt_text = LabelData(item=text)
        samples.append(s)
    return samples


def test_tensor_outputs(release_model):
    with torch.no_grad():
        out = release_model(torch.rand(2, 4, 16, 64), mode='tensor')
    assert out['sr'].shape == (2, 4, 32, 128)
    assert len(out['step_sr']) == len(out['step_logits']) == 3
    assert all(s.shape == (2, 4, 32, 128) for s in out['step_sr'])
    assert all(lg.shape == (2, 32, 37) for lg in out['step_logits'])
    assert out['text_ids'].dim() == 2 and out['text_ids'].shape[1] <= 20
    assert out['text_scores'].shape == out['text_ids'].shape
    assert release_model.num_steps == release_model.generator.num_steps == 4


def test_predict_outputs():
    torch.manual_seed(0)
    model = small_stirer().eval()
    with torch.no_grad():
        samples = model(torch.rand(2, 4, 16, 64),
                        make_samples(['ab', 'cd']),
                        mode='predict')
    s = samples[0]
    assert s.pred_img.shape == (4, 32, 128)
    # the raw output is kept (random weights leave [0, 1]); metrics clamp
    assert s.pred_img.min() < 0 or s.pred_img.max() > 1
    assert len(s.pred_img_steps) == len(s.pred_text_steps) == 3
    assert torch.equal(s.pred_img_steps[-1], s.pred_img)
    assert s.pred_text_steps[-1] == s.pred_text.item
    assert set(''.join(s.pred_text_steps)) <= set(CHARSET)
    assert 0 <= s.pred_text.score <= 1
    assert s.gt_text.item == 'ab'


def test_text_decoding():
    logits = torch.full((2, 6, 37), -5.)
    for i, ids in enumerate([[1, 1, 0, 1, 11, 11], [0, 0, 0, 0, 0, 36]]):
        logits[i, torch.arange(6), ids] = 5.
    assert STIRER.decode_ctc(logits) == ['00a', 'z']
    model = small_stirer()
    ids = torch.tensor([[11, 12, 0, 13, 37, 0], [2, 3, 4, 5, 6, 7]])
    scores = torch.log(torch.full(ids.shape, .5))
    texts = model.decode_ar(ids, scores)
    assert texts[0] == ('abc', pytest.approx(.5))
    assert texts[1][0] == '123456'


def test_ar_targets_follow_the_official_collate():
    model = small_stirer()
    ids = model.encode_texts(['Ab-1', 'x' * 15, 'y' * 40])
    assert ids[0] == [11, 12, 2]
    targets = model.ar_targets(ids, torch.device('cpu'))
    assert targets.shape == (3, 31)
    # short words: no EOS, padding (the official collate overwrites it)
    assert targets[0].tolist() == [11, 12, 2] + [0] * 28
    assert targets[1, 15] == 37 and (targets[1, :15] == 34).all()
    assert targets[2, 30] == 37  # truncated to 30 characters + EOS
    model.ar_eos_min_length = 0  # EOS after every word
    assert model.ar_targets(ids, torch.device('cpu'))[0, 3] == 37


@pytest.mark.parametrize('texts, words', [
    (['hello', 'W0rld', 'ab'], ['hello', 'w0rld', 'ab']),
    # dataset.py: lowercase and keep 0-9a-z first, NFKD after, so accents
    # and ligatures are dropped, not folded
    (['Café', 'naïve', '\ufb01le'], ['caf', 'nave', 'le']),
])
def test_loss_is_the_official_formula(texts, words):
    torch.manual_seed(0)
    model = small_stirer().eval()  # no dropout: both sides see the same
    x = torch.rand(3, 4, 16, 64)
    samples = make_samples(texts)
    losses = model(x, samples, mode='loss')
    assert set(losses) == {'loss_img', 'loss_ctc', 'loss_ar'}

    # the loss of train.py, written out on the model's outputs
    hr = torch.stack([s.gt_img for s in samples])
    net = model.generator
    head, feat, srs, logits = net.forward_features(x)
    srs = srs + [net.reconstruct(x, head, feat)]

    def gp(img):
        r = F.pad(img, (0, 1, 0, 0))[:, :, :, 1:]
        l_ = F.pad(img, (1, 0, 0, 0))[:, :, :, :img.shape[3]]
        t = F.pad(img, (0, 0, 1, 0))[:, :, :img.shape[2], :]
        b = F.pad(img, (0, 0, 0, 1))[:, :, 1:, :]
        return torch.sqrt(((r - l_) * .5)**2 + ((t - b) * .5)**2 + 1e-6)

    loss_sr = sum((k + 1) * (20 * ((s - hr)**2).mean() + 1e-2 *
                             (gp(s[:, :3]) - gp(hr[:, :3])).abs().mean())
                  for k, s in enumerate(srs))
    targets = torch.tensor([CHARSET.index(c) + 1 for w in words for c in w])
    lengths = torch.tensor([len(w) for w in words])
    ctc = torch.nn.CTCLoss(blank=0, reduction='mean', zero_infinity=True)
    label_ce = torch.zeros(3, 31, dtype=torch.long)
    for i, w in enumerate(words):
        label_ce[i, :len(w)] = torch.tensor([CHARSET.index(c) + 1 for c in w])
    _, ce = net.decoder(net.encode_text(x, feat), label_ce)
    loss_rec = (len(logits) + 1) * ce + sum((k + 1) * ctc(
        lg.log_softmax(-1).transpose(0, 1), targets, torch.full(
            (3, ), 32), lengths) for k, lg in enumerate(logits))
    expected = .5 * loss_sr + .5 * loss_rec
    total = sum(losses.values())
    assert abs(total.item() - expected.item()) <= 1e-4 * expected.item()


def test_a_few_iterations_reduce_the_loss():
    torch.manual_seed(0)
    model = STIRER(generator=dict(type='STIRERNet',
                                  depths=(1, ),
                                  num_heads=(6, ),
                                  rec_head=dict(rec_embed_dim=48,
                                                rec_depth=1,
                                                rec_num_heads=3),
                                  decoder=dict(num_layers=1,
                                               num_decoder_layers=1)))
    model.train()
    x = torch.rand(2, 4, 16, 64)
    samples = make_samples(['stir', 'zoom'])
    optim = torch.optim.AdamW(model.parameters(), lr=1e-3)
    history = []
    for _ in range(5):
        losses = model(x, samples, mode='loss')
        loss = sum(losses.values())
        optim.zero_grad()
        loss.backward()
        optim.step()
        history.append(loss.item())
    assert all(np.isfinite(history))
    assert history[-1] < .8 * history[0], history


def test_sr_heads_get_their_learning_rate_from_the_config():
    from mmengine.optim import build_optim_wrapper
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/stirer/stirer_stage1_synth-mjst.py'))
    model = small_stirer()
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    assert type(wrapper.optimizer).__name__ == 'AdamW'
    rates = {}
    for group in wrapper.optimizer.param_groups:
        for p in group['params']:
            rates[id(p)] = group['lr']
    for name, p in model.named_parameters():
        head = 'upsample' in name or 'conv_after_body' in name
        assert rates[id(p)] == pytest.approx(5e-4 if head else 1e-4), name


# --------------------------------------------------------------------------
# text focus loss
# --------------------------------------------------------------------------
def test_text_focus_loss_off_without_weights():
    loss = TextFocusLoss()
    assert not loss.enabled
    pred, target = torch.rand(2, 4, 32, 128), torch.rand(2, 4, 32, 128)
    assert torch.allclose(loss(pred, target, ['a', 'b']),
                          F.mse_loss(pred, target))
    model = small_stirer(img_loss=dict(type='TextFocusLoss'))
    losses = model(torch.rand(2, 4, 16, 64),
                   make_samples(['ab', 'cd']),
                   mode='loss')
    assert torch.isfinite(sum(losses.values()))


def test_text_focus_loss_with_a_recognizer(tmp_path):
    torch.manual_seed(0)
    recognizer = STTTransformer()
    # as saved by the authors: a DataParallel state dict
    path = str(tmp_path / 'pretrain_transformer.pth')
    torch.save({
        f'module.{k}': v
        for k, v in recognizer.state_dict().items()
    }, path)
    table = np.random.RandomState(0).rand(62, 62) + .5
    conf = str(tmp_path / 'confuse.pkl')
    with open(conf, 'wb') as f:
        pickle.dump(table, f)
    weights = load_confusion_weights(conf)
    assert weights.shape == (37, 37) and (weights > 0).all()

    loss = TextFocusLoss(recognizer_checkpoint=path, confusion_file=conf)
    assert loss.enabled and not list(loss.parameters())
    assert not loss.state_dict()  # the recognizer is no part of the model
    hr = torch.rand(2, 4, 32, 128)
    pred = (hr + .1 * torch.randn_like(hr)).requires_grad_()
    value = loss(pred, hr, ['ab', 'Cd7'])
    value.backward()
    assert torch.isfinite(value) and value > F.mse_loss(pred, hr)
    assert pred.grad.abs().sum() > 0

    bad = str(tmp_path / 'bad.pth')
    torch.save({'encoder.cnn.extra.weight': torch.zeros(1)}, bad)
    with pytest.raises(RuntimeError, match='not a text focus recognizer'):
        TextFocusLoss(recognizer_checkpoint=bad)


# --------------------------------------------------------------------------
# configs and tools
# --------------------------------------------------------------------------
@pytest.mark.parametrize('name', [
    'stirer_stage1_synth-mjst', 'stirer_stage2_textzoom',
    'stirer_textzoom_test', 'stirer_synthetic-textzoom_demo',
    'stirer_synthetic-textzoom_test'
])
def test_configs_parse(name):
    cfg = Config.fromfile(osp.join(ROOT, f'configs/stirer/{name}.py'))
    assert cfg.model.type == 'STIRER'
    assert cfg.default_scope == 'mmocr'


def test_evaluation_speed_config_has_textzoom_test_sizes():
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/stirer/stirer_synthetic-textzoom_test.py'))
    subsets = cfg.test_dataloader.dataset.datasets
    assert [(d.data_root.rsplit('/', 1)[-1], d.indices)
            for d in subsets] == [('easy', 1619), ('medium', 1411),
                                  ('hard', 1343)]
    assert cfg.test_evaluator.dataset_prefixes == ['easy', 'medium', 'hard']
    assert [m.type for m in cfg.test_evaluator.metrics
            ] == ['PSNR', 'SSIM', 'JudgeAccuracy']


def test_test_config_runs_through_tools_test(synthetic_textzoom, tmp_path):
    """configs/stirer/stirer_textzoom_test.py end to end on a tiny LMDB,
    with random weights saved in the official layout (a plain state dict of
    the network) and a random CRNN."""
    torch.manual_seed(0)
    weights = str(tmp_path / 'release.pth')
    torch.save(STIRERNet().state_dict(), weights)
    opts = [
        f'model.generator.init_cfg.checkpoint={weights}',
        'test_evaluator.metrics.12.judges.crnn.checkpoint=None',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
        'test_dataloader.batch_size=8'
    ]
    for i, subset in enumerate(('easy', 'medium', 'hard')):
        opts.append(f'test_dataloader.dataset.datasets.{i}.data_root='
                    f'{synthetic_textzoom}/test/{subset}')
        opts.append(f'test_dataloader.dataset.datasets.{i}.indices=2')
    work = str(tmp_path / 'work')
    out = run_tool('tools/test.py', 'configs/stirer/stirer_textzoom_test.py',
                   '--work-dir', work, '--cfg-options', *opts)
    assert (f'StrictPretrained: loaded 827 tensors from {weights} into '
            'STIRERNet (strict)') in out
    for subset in ('easy', 'medium', 'hard', 'avg'):
        for k in range(4):
            for metric in ('word_acc', 'PSNR_per_image', 'SSIM_per_image'):
                assert f'{subset}/{metric}_step{k}' in out, (subset, metric)
        assert f'{subset}/crnn_word_acc' in out


SMALL_NETWORK = dict(depths=(1, 1),
                     num_heads=(6, 6),
                     rec_head=dict(rec_embed_dim=48,
                                   rec_depth=1,
                                   rec_num_heads=3),
                     decoder=dict(num_layers=1, num_decoder_layers=2))


def small_stage1_config(synthetic_textzoom, tmp_path):
    """configs/stirer/stirer_stage1_synth-mjst.py at a CPU size: the small
    network, MJ/ST-layout crops (two empty labels among six), the synthetic
    TextZoom test subsets for validation, two iterations."""
    rng = np.random.default_rng(0)
    words = ['alpha', 'Caf\u00e9', '\u00e9', 'beta', '!!', 'gamma']
    rec = {'num-samples': str(len(words)).encode()}
    for i, word in enumerate(words, start=1):
        rec['label-%09d' % i] = word.encode()
        rec['image-%09d' % i] = encode_png(
            text_crop(rng, int(rng.integers(12, 60)),
                      int(rng.integers(40, 200))))
    mjst = write_lmdb(str(tmp_path / 'mjst'), rec)

    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/stirer/stirer_stage1_synth-mjst.py'))
    cfg.model.generator.update(SMALL_NETWORK)
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
    for ds in cfg.train_dataloader.dataset.datasets:
        ds.data_root = mjst
    for ds, subset in zip(cfg.val_dataloader.dataset.datasets,
                          ('easy', 'medium', 'hard')):
        ds.update(data_root=f'{synthetic_textzoom}/test/{subset}', indices=2)
    cfg.val_evaluator.metrics = [dict(type='TextAccuracy')]
    cfg.test_dataloader = cfg.test_evaluator = cfg.test_cfg = None
    cfg.train_cfg.update(max_iters=2, val_interval=2)
    cfg.param_scheduler[0].milestones = [1]
    cfg.default_hooks.checkpoint.interval = 2
    cfg.work_dir = str(tmp_path / 'work')
    return cfg


def test_stage1_config_trains_with_the_official_schedule(
        synthetic_textzoom, tmp_path):
    """configs/stirer/stirer_stage1_synth-mjst.py through mmengine's Runner
    at a CPU size: the official degradation on MJ/ST-layout crops (empty
    labels skipped and counted), iteration-based validation, the shared LR
    drop and the best checkpoint by the unweighted subset mean."""
    cfg = small_stage1_config(synthetic_textzoom, tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.train()

    for ds in runner.train_dataloader.dataset.datasets:
        assert ds.num_skipped == 2 and len(ds) == 4
    rates = [g['lr'] for g in runner.optim_wrapper.optimizer.param_groups]
    assert rates == pytest.approx([5e-5] * len(rates))  # heads had 5e-4
    assert osp.exists(osp.join(cfg.work_dir,
                               'best_mean_word_acc_iter_2.pth'))


def test_stage1_training_from_official_layout_weights(synthetic_textzoom,
                                                      tmp_path):
    """tools/train.py on the stage-1 config, starting from a plain state
    dict in the official layout given by --cfg-options as documented."""
    cfg = small_stage1_config(synthetic_textzoom, tmp_path)
    config = str(tmp_path / 'stage1_small.py')
    cfg.dump(config)
    state = STIRERNet(**SMALL_NETWORK).state_dict()
    # a value that one training step turns into 1001 only if it was loaded
    state['last_sr.bn1.num_batches_tracked'] = torch.tensor(1000)
    weights = str(tmp_path / 'official_init.pth')
    torch.save(state, weights)
    out = run_tool('tools/train.py', config, '--cfg-options',
                   'model.generator.init_cfg.type=StrictPretrained',
                   f'model.generator.init_cfg.checkpoint={weights}',
                   'train_cfg.max_iters=1',
                   'default_hooks.checkpoint.interval=1')
    assert (f'StrictPretrained: loaded {len(state)} tensors from {weights} '
            'into STIRERNet (strict)') in out
    trained = torch.load(osp.join(cfg.work_dir, 'iter_1.pth'),
                         map_location='cpu',
                         weights_only=False)['state_dict']
    assert trained['generator.last_sr.bn1.num_batches_tracked'] == 1001


def test_inferencer_loads_the_weights_the_config_names(tmp_path):
    """TextSRInferencer without ``weights`` takes the network's weights
    from the config's init_cfg, as tools/test.py does."""
    from stisr_mmocr.apis import TextSRInferencer
    torch.manual_seed(0)
    state = STIRERNet(**SMALL_NETWORK).state_dict()
    path = str(tmp_path / 'official.pth')
    torch.save(state, path)
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/stirer/stirer_textzoom_test.py'))
    cfg.model.generator.update(SMALL_NETWORK)
    cfg.model.generator.init_cfg.checkpoint = path
    inferencer = TextSRInferencer(cfg, device='cpu')
    for key, value in inferencer.model.generator.state_dict().items():
        assert torch.equal(value, state[key]), key
