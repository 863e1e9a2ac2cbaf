"""SRRecognizerCascade: recognizer input, freezing, training through a frozen
recognizer, and tools/train.py + tools/test.py on TextZoom LMDBs and on an
MMOCR OCRDataset (JSON + PNG files)."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import LabelData
from mmocr.registry import MODELS

import stisr_mmocr  # noqa: F401
from stisr_mmocr.engine import load_pretrained
from stisr_mmocr.models.judges import reader_spec_from_pipeline
from stisr_mmocr.structures import TextSRDataSample
from .. import reference_metrics as ref

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CRNN = osp.join(ROOT, 'configs', 'judges', 'crnn_textzoom.py')
SMALL_TSRN = dict(type='TSRN', num_blocks=1, hidden_channels=16)
# the same in a child config, replacing the base config's file path
SMALL_TSRN_CFG = "dict(_delete_=True, type='TSRN', num_blocks=1, " \
    'hidden_channels=16)'
DICT = dict(
    type='Dictionary',
    dict_file=osp.join(ROOT, 'configs', 'judges', 'dicts',
                       'lower_english_digits.txt'),
    with_start=True,
    with_end=True,
    same_start_end=True,
    with_padding=True)
# A tiny SATRN: an attention decoder whose loss needs its training branch.
TINY_SATRN = dict(
    type='SATRN',
    backbone=dict(type='ShallowCNN', input_channels=3, hidden_dim=32),
    encoder=dict(
        type='SATRNEncoder',
        n_layers=1,
        n_head=2,
        d_k=16,
        d_v=16,
        d_model=32,
        n_position=100,
        d_inner=64,
        dropout=0.5),
    decoder=dict(
        type='NRTRDecoder',
        n_layers=1,
        d_embedding=32,
        n_head=2,
        d_model=32,
        d_inner=64,
        d_k=16,
        d_v=16,
        dropout=0.5,
        module_loss=dict(
            type='CEModuleLoss', flatten=True, ignore_first_char=True),
        dictionary=DICT,
        max_seq_len=8,
        postprocessor=dict(type='AttentionPostprocessor')),
    data_preprocessor=dict(
        type='TextRecogDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375]))


@pytest.fixture(autouse=True)
def mmocr_scope():
    init_default_scope('mmocr')


def batch(n=3, seed=0):
    gen = torch.Generator().manual_seed(seed)
    hr = torch.rand(n, 4, 32, 128, generator=gen)
    samples = []
    for img, text in zip(hr, ['hello', 'world', 'text42', 'abc'][:n]):
        sample = TextSRDataSample()
        sample.gt_img = img
        sample.gt_text = LabelData(item=text)
        samples.append(sample)
    return torch.nn.functional.avg_pool2d(hr, 2), samples


def build(**kwargs):
    cfg = dict(type='SRRecognizerCascade', recognizer=CRNN)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def test_reader_spec_from_mmocr_pipelines():
    load, ann = dict(type='LoadImageFromFile'), dict(type='LoadOCRAnnotations')
    pack = dict(type='PackTextRecogInputs')
    crnn = reader_spec_from_pipeline([
        dict(type='LoadImageFromFile', color_type='grayscale'),
        dict(
            type='RescaleToHeight', height=32, min_width=32, width_divisor=16),
        ann, pack
    ])
    assert crnn == dict(
        gray=True,
        height=32,
        min_width=32,
        max_width=None,
        width_divisor=16,
        interpolation='bilinear')
    abinet = reader_spec_from_pipeline(
        [load, dict(type='Resize', scale=(128, 32)), ann, pack])
    assert abinet == dict(
        gray=False, hw=(32, 128), interpolation='bilinear')
    nrtr = reader_spec_from_pipeline([
        load,
        dict(
            type='RescaleToHeight',
            height=32,
            min_width=32,
            max_width=160,
            width_divisor=16,
            interpolation='bicubic'),
        dict(type='PadToWidth', width=160), ann, pack
    ])
    assert nrtr['pad_width'] == 160 and nrtr['max_width'] == 160
    assert nrtr['interpolation'] == 'bicubic'
    with pytest.raises(ValueError, match='keeps the ratio'):
        reader_spec_from_pipeline(
            [load, dict(type='Resize', scale=(128, 32), keep_ratio=True)])
    with pytest.raises(ValueError, match='RandomRotate'):
        reader_spec_from_pipeline([load, dict(type='RandomRotate')])


def test_reader_follows_the_recognizer_config():
    # crnn_textzoom.py: reader = bicubic 100x32 gray; its preprocessor / 255
    model = build(generator=dict(type='Bicubic'))
    assert (model.reader.hw, model.reader.gray,
            model.reader.interpolation) == ((32, 100), True, 'bicubic')
    sr = torch.rand(2, 4, 32, 128)
    x, samples = model.reader.inputs(model.recognizer, sr)
    assert x.shape == (2, 1, 32, 100)
    gray = torch.nn.functional.interpolate(
        sr[:, :3], size=(32, 100), mode='bicubic', align_corners=False)
    gray = (gray * torch.tensor([.299, .587, .114]).view(1, 3, 1, 1)).sum(1)
    assert torch.allclose(x[:, 0], gray, atol=1e-5)
    # an MMOCR-style rescale to height 32 + pad to width 160 (as NRTR)
    model = build(
        generator=dict(type='Bicubic'),
        reader=dict(
            height=32,
            min_width=32,
            max_width=160,
            width_divisor=16,
            pad_width=160))
    assert model.reader.hw is None and model.reader.gray
    x, samples = model.reader.inputs(model.recognizer,
                                     torch.rand(2, 4, 16, 64))
    assert x.shape == (2, 1, 32, 160)
    assert samples[0].valid_ratio == pytest.approx(128 / 160)
    assert (x[..., 128:] == 0).all()
    with pytest.raises(KeyError, match=r"\['pad'\] in the `reader`"):
        build(reader=dict(pad=160))


def test_predict_reads_exactly_pred_img_like_the_judge():
    model = build(generator=SMALL_TSRN)
    model.eval()
    lr, samples = batch()
    with torch.no_grad():
        out = model(lr, samples, mode='predict')
    assert out[0].pred_img.shape == (4, 32, 128)
    # pred_img is the SR output clamped to [0, 1], nothing else
    with torch.no_grad():
        sr = model.generator(lr, mode='tensor')
    assert sr.min() < 0 or sr.max() > 1  # so the clamp is seen to work
    assert torch.equal(torch.stack([s.pred_img for s in out]), sr.clamp(0, 1))
    assert isinstance(out[0].pred_text.item, str)
    assert len(out[0].pred_text.score) == len(out[0].pred_text.item)
    # the judge of the metrics, with the same weights, reads the same text
    judge = MODELS.build(dict(type='TextRecogJudge', recognizer=CRNN))
    judge.recognizer.load_state_dict(model.recognizer.state_dict())
    reads = judge(torch.stack([s.pred_img for s in out]))
    assert [r.pred_text.item for r in reads] == \
        [s.pred_text.item for s in out]
    # without an SR model the recognizer reads the LR input
    no_sr = build()
    no_sr.eval()
    with torch.no_grad():
        out = no_sr.predict(lr)
    assert 'pred_img' not in out[0] and 'pred_text' in out[0]


def test_frozen_recognizer_trains_the_sr_model():
    model = build(
        generator=SMALL_TSRN,
        pixel_loss=dict(
            type='TextImageLoss', mse_weight=1., gradient_weight=0.))
    model.train()
    assert model.generator.training and not model.recognizer.training
    assert not any(p.requires_grad for p in model.recognizer.parameters())
    buffers = {k: v.clone() for k, v in model.recognizer.state_dict().items()}
    lr, samples = batch()
    losses = model(lr, samples, mode='loss')
    assert set(losses) == {'loss_ctc', 'loss_pixel'}
    sum(losses.values()).backward()
    assert all(p.grad is not None for p in model.generator.parameters()
               if p.requires_grad)
    assert all(p.grad is None for p in model.recognizer.parameters())
    # BN statistics of the frozen recognizer are untouched
    for k, v in model.recognizer.state_dict().items():
        assert torch.equal(v, buffers[k]), k
    model.recog_loss_weight = 0.5
    assert torch.allclose(
        model.loss(lr, samples)['loss_ctc'], losses['loss_ctc'] / 2)


def test_frozen_attention_recognizer_loss_is_deterministic():
    model = build(generator=SMALL_TSRN, recognizer=TINY_SATRN)
    model.train()
    lr, samples = batch()
    first = model.loss(lr, samples)['loss_ce']
    second = model.loss(lr, samples)['loss_ce']
    assert torch.isfinite(first).all() and torch.equal(first, second)
    first.mean().backward()
    assert model.generator.generator.block1[0].weight.grad.abs().sum() > 0
    # back in eval mode the decoder decodes (no targets needed)
    model.eval()
    with torch.no_grad():
        assert 'pred_text' in model.predict(lr)[0]


def test_parts_load_from_a_cascade_checkpoint(tmp_path):
    trained = build(generator=SMALL_TSRN)
    torch.save(dict(state_dict=trained.state_dict()), tmp_path / 'c.pth')
    torch.save(dict(state_dict=trained.generator.state_dict()),
               tmp_path / 'sr.pth')
    for sr_ckpt in ('c.pth', 'sr.pth'):
        model = build(
            generator=SMALL_TSRN,
            generator_checkpoint=str(tmp_path / sr_ckpt),
            recognizer_checkpoint=str(tmp_path / 'c.pth'))
        assert model.recognizer.init_cfg == dict(
            type='StrictPretrained',
            checkpoint=str(tmp_path / 'c.pth'),
            prefix='recognizer.',
            optional_prefix=True)
        # the CRNN's backbone re-initialises itself (Xavier, Uniform) unless
        # the loaded weights mark it initialised
        model.init_weights()
        for k, v in trained.state_dict().items():
            assert torch.equal(model.state_dict()[k], v), k
        # the frozen recognizer stays frozen, in eval mode
        model.train()
        assert not model.recognizer.training
        assert not any(p.requires_grad for p in model.recognizer.parameters())
        assert all(p.requires_grad for p in model.generator.parameters())
    # what StrictRunner does before testing (no init_weights)
    model = build(generator=SMALL_TSRN,
                  generator_checkpoint=str(tmp_path / 'sr.pth'),
                  recognizer_checkpoint=str(tmp_path / 'c.pth'))
    load_pretrained(model)
    for k, v in trained.state_dict().items():
        assert torch.equal(model.state_dict()[k], v), k
    wrong = build(generator=dict(type='TSRN', num_blocks=2),
                  generator_checkpoint=str(tmp_path / 'sr.pth'))
    with pytest.raises(RuntimeError,
                       match='sr.pth do not match TSRN:\n  missing keys'):
        wrong.init_weights()
    # a missing file: named when the weights load (the run checks it
    # before it starts: check_run_files)
    missing = str(tmp_path / 'missing.pth')
    with pytest.raises(FileNotFoundError,
                       match=f'init_cfg.checkpoint of .*: {missing} does '
                       'not exist'):
        build(recognizer_checkpoint=missing).init_weights()


def test_freezing_options():
    model = build(generator=SMALL_TSRN,
                  freeze_generator=True,
                  freeze_recognizer=False)
    model.train()
    assert not model.generator.training and model.recognizer.training
    lr, samples = batch()
    assert not model.super_resolve(lr).requires_grad
    model.loss(lr, samples)['loss_ctc'].backward()
    assert all(p.grad is None for p in model.generator.parameters())
    assert all(p.grad is not None for p in model.recognizer.parameters())
    both = build(generator=SMALL_TSRN, freeze_generator=True)
    with pytest.raises(RuntimeError, match='both'):
        both.loss(lr, samples)
    with pytest.raises(ValueError, match='pixel_loss'):
        build(pixel_loss=dict(type='TextImageLoss'))


# ---------------------------------------------------------------------------
# tools/train.py and tools/test.py, as a user runs them
# ---------------------------------------------------------------------------


def run(args):
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run(
        [sys.executable] + args,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def last_metrics(work_dir):
    files = sorted(glob.glob(osp.join(work_dir, '*', '*.json')))
    assert files, f'no json log under {work_dir}'
    with open(files[-1]) as f:
        return json.loads(f.readlines()[-1])


def write_config(path, base, body):
    path.write_text(f"_base_ = ['{osp.join(ROOT, base)}']\n{body}")
    return str(path)


def data_options(root, keys=('train', 'val', 'test'), num_test=4):
    """--cfg-options pointing the synthetic TextZoom configs at ``root``
    (``num_test`` samples per test subset), without worker processes."""
    splits = dict(
        train=['train1', 'train2'],
        val=[f'test/{s}' for s in ('easy', 'medium', 'hard')])
    splits['test'] = splits['val']
    opts = []
    for key in keys:
        opts += [
            f'{key}_dataloader.num_workers=0',
            f'{key}_dataloader.persistent_workers=False',
            f'{key}_dataloader.batch_size=4'
        ]
        for i, split in enumerate(splits[key]):
            prefix = f'{key}_dataloader.dataset.datasets.{i}'
            opts.append(f'{prefix}.data_root={root}/{split}')
            if key != 'train':
                opts.append(f'{prefix}.indices={num_test}')
    return opts


def test_train_frozen_recognizer_then_test_on_textzoom(synthetic_textzoom,
                                                       tmp_path):
    init_default_scope('mmocr')
    sr = MODELS.build(SMALL_TSRN)
    recognizer = build().recognizer
    torch.save(dict(state_dict=sr.state_dict()), tmp_path / 'sr.pth')
    torch.save(dict(state_dict=recognizer.state_dict()), tmp_path / 'crnn.pth')
    train_cfg = write_config(
        tmp_path / 'train.py',
        'configs/cascade/tsrn_crnn_synthetic-textzoom_train.py',
        f"model = dict(generator={SMALL_TSRN_CFG}, "
        f"generator_checkpoint='{tmp_path}/sr.pth', "
        f"recognizer_checkpoint='{tmp_path}/crnn.pth')\n"
        'train_cfg = dict(max_iters=3, val_interval=100)\n'
        'default_hooks = dict(checkpoint=dict(interval=3))\n')
    work = str(tmp_path / 'train')
    run(['tools/train.py', train_cfg, '--work-dir', work, '--cfg-options'] +
        data_options(synthetic_textzoom))
    trained = torch.load(
        osp.join(work, 'iter_3.pth'), map_location='cpu',
        weights_only=False)['state_dict']
    for k, v in recognizer.state_dict().items():
        assert torch.equal(trained[f'recognizer.{k}'], v), k
    changed = [
        k for k, v in sr.state_dict().items()
        if v.is_floating_point()
        and not torch.equal(trained[f'generator.{k}'], v)
    ]
    assert 'generator.block1.0.weight' in changed and len(changed) > 10

    # the shipped TextZoom test config, on the trained cascade
    test_cfg = write_config(
        tmp_path / 'test.py', 'configs/cascade/tsrn_crnn_textzoom.py',
        f"model = dict(generator={SMALL_TSRN_CFG}, "
        "recognizer_checkpoint=None)\n")
    work = str(tmp_path / 'test')
    run([
        'tools/test.py', test_cfg,
        osp.join(tmp_path, 'train', 'iter_3.pth'), '--work-dir', work,
        '--show-dir', 'pictures', '--cfg-options'
    ] + data_options(synthetic_textzoom, ('test', )))
    # the test config's cascade with iter_3.pth loaded here by torch alone,
    # fed the reference LR inputs in the same batches of 4: its pred_img
    # scored by the reference PSNR / SSIM (per image, clamped) and its
    # pred_text by MMOCR's word / character metrics from their definitions
    model = MODELS.build(Config.fromfile(test_cfg).model)
    model.load_state_dict(
        torch.load(
            osp.join(tmp_path, 'train', 'iter_3.pth'),
            map_location='cpu',
            weights_only=False)['state_dict'])
    model.eval()
    per_subset, sizes = {}, {}
    for subset, path in ref.subset_dirs(synthetic_textzoom).items():
        labels, lr, hr = ref.textzoom_pairs(path, 4)
        with torch.no_grad():
            out = model.predict(torch.from_numpy(lr).float())
        sr = torch.stack([s.pred_img for s in out]).double().numpy()
        image = ref.subset_metrics(sr, hr)
        per_subset[subset] = dict(
            PSNR_per_image=image['PSNR_per_image'],
            SSIM_per_image=image['SSIM_per_image'],
            **ref.recog_metrics([s.pred_text.item for s in out],
                                [ref.filter_label(t) for t in labels]))
        sizes[subset] = len(lr)
    ref.assert_metrics_match(
        last_metrics(work), ref.with_averages(per_subset, sizes))
    pictures = glob.glob(osp.join(work, '*', 'pictures', '*.png'))
    assert len(pictures) == 12
    assert any(p.endswith('easy_000000001.png') for p in pictures)
    assert cv2.imread(pictures[0]).shape[1] == 6 + 3 * (256 + 6)


def test_test_loads_recognizer_checkpoint_of_the_config(
        synthetic_textzoom, tmp_path):
    """tools/test.py with ``model.recognizer_checkpoint`` and no
    ``load_from``: a CRNN whose classifier ignores its input and always
    scores one character highest reads every image as that character, so
    the character precision and recall follow from the labels alone."""
    init_default_scope('mmocr')
    recognizer = build().recognizer
    labels = {}
    for subset in ('easy', 'medium', 'hard'):
        with ref.open_copy(osp.join(synthetic_textzoom, 'test',
                                    subset)) as env, env.begin() as txn:
            labels[subset] = [
                ''.join(c for c in txn.get(b'label-%09d' % i).decode().lower()
                        if c.isalnum()) for i in range(1, 5)
            ]
    counts = {}
    for word in sum(labels.values(), []):
        for c in word:
            counts[c] = counts.get(c, 0) + 1
    char = max(sorted(counts), key=counts.get)
    classifier = recognizer.decoder.decoder[-1].embedding
    with torch.no_grad():
        classifier.weight.zero_()
        classifier.bias.zero_()
        classifier.bias[recognizer.decoder.dictionary.char2idx(char)] = 10.
    torch.save(dict(state_dict=recognizer.state_dict()), tmp_path / 'crnn.pth')
    cfg = write_config(
        tmp_path / 'test.py', 'configs/cascade/tsrn_crnn_textzoom.py',
        f"model = dict(generator={SMALL_TSRN_CFG}, "
        f"recognizer_checkpoint='{tmp_path}/crnn.pth')\n")
    work = str(tmp_path / 'test')
    run(['tools/test.py', cfg, '--work-dir', work, '--cfg-options'] +
        data_options(synthetic_textzoom, ('test', )))
    metrics = last_metrics(work)
    for subset, words in labels.items():
        hits = sum(char in w for w in words)
        assert metrics[f'{subset}/recog/char_precision'] == pytest.approx(
            hits / len(words), abs=1e-4), subset
        assert metrics[f'{subset}/recog/char_recall'] == pytest.approx(
            hits / sum(len(w) for w in words), abs=1e-4), subset


def test_test_on_mmocr_ocrdataset(synthetic_textzoom, tmp_path):
    """A tiny OCRDataset: MMOCR's JSON annotations + PNG crops, read by a
    CRNN that reads every image as 'e' (``recognizer_checkpoint``): each
    metric follows from the annotations, written out below."""
    init_default_scope('mmocr')
    recognizer = ref.read_one_character(build().recognizer, 'e')
    torch.save(dict(state_dict=recognizer.state_dict()), tmp_path / 'crnn.pth')
    texts = ['e', 'E', 'e!', 'Hello', 'x', 'Tree']
    data = tmp_path / 'ocr'
    os.makedirs(data / 'imgs')
    data_list = []
    with ref.open_copy(osp.join(synthetic_textzoom, 'test',
                                'easy')) as env, env.begin() as txn:
        for i, text in enumerate(texts, start=1):
            name = f'imgs/word_{i}.png'
            (data / name).write_bytes(txn.get(b'image_hr-%09d' % i))
            data_list.append(dict(img_path=name, instances=[dict(text=text)]))
    (data / 'textrecog_test.json').write_text(
        json.dumps(
            dict(
                metainfo=dict(
                    dataset_type='TextRecogDataset', task_name='textrecog'),
                data_list=data_list)))
    cfg = write_config(
        tmp_path / 'ocr.py', 'configs/cascade/tsrn_crnn_ocrdataset.py',
        f"model = dict(generator={SMALL_TSRN_CFG}, "
        f"recognizer_checkpoint='{tmp_path}/crnn.pth')\n"
        "test_dataloader = dict(num_workers=0, persistent_workers=False, "
        "dataset=dict(datasets=[dict(type='OCRDataset', "
        f"data_root='{data}', ann_file='textrecog_test.json', "
        "test_mode=True)]))\n"
        "test_evaluator = dict(dataset_prefixes=['tiny'])\n"
        'val_dataloader = test_dataloader\nval_evaluator = test_evaluator\n')
    work = str(tmp_path / 'work')
    run(['tools/test.py', cfg, '--work-dir', work])
    metrics = last_metrics(work)
    # exact: 'e' only; ignore case: + 'E'; ignore case and symbols: + 'e!';
    # characters: an 'e' in 5 of the 6 labels (13 characters without
    # symbols), out of 6 predicted characters; MMOCR rounds to 4 decimals
    assert {k: v for k, v in metrics.items() if k.startswith('tiny/')} == {
        'tiny/recog/word_acc': 0.1667,
        'tiny/recog/word_acc_ignore_case': 0.3333,
        'tiny/recog/word_acc_ignore_case_symbol': 0.5,
        'tiny/recog/char_recall': 0.3846,
        'tiny/recog/char_precision': 0.8333,
    }


def test_old_names_of_the_sr_model_are_refused():
    """The SR model is ``generator`` in every model, as in the others."""
    with pytest.raises(TypeError, match='`sr` is now `generator`'):
        build(sr=SMALL_TSRN)
    with pytest.raises(TypeError, match='`sr_checkpoint` is now '
                       '`generator_checkpoint`'):
        build(generator=SMALL_TSRN, sr_checkpoint='sr.pth')
