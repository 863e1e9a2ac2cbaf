import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.evaluator import Evaluator
from mmengine.structures import LabelData
from mmocr.registry import EVALUATOR, MODELS

import stisr_mmocr  # noqa: F401
from stisr_mmocr.evaluation.functional import psnr, ssim
from stisr_mmocr.models.judges import TextRecogJudge
from stisr_mmocr.structures import TextSRDataSample

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CRNN_CFG = osp.join(ROOT, 'configs', 'judges', 'crnn_textzoom.py')


def make_samples(n, seed=0, texts=None):
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for i in range(n):
        s = TextSRDataSample()
        s.gt_img = torch.rand(4, 32, 128, generator=gen)
        s.pred_img = (s.gt_img + 0.1 * torch.randn(
            4, 32, 128, generator=gen)).clamp(0, 1)
        s.pred_img_steps = [s.gt_img.clone(), s.pred_img.clone()]
        s.gt_text = LabelData(item=(texts or ['abc'] * n)[i])
        s.pred_text = LabelData(item='ABC' if i % 2 == 0 else 'abd')
        s.pred_text_steps = ['abc', 'x']
        samples.append(s)
    return samples


def test_psnr_ssim_metrics_average_per_image():
    samples = make_samples(5)
    ev = Evaluator([dict(type='PSNR'), dict(type='SSIM', prefix='sr')])
    ev.process(samples[:3])
    ev.process(samples[3:])
    res = ev.evaluate(5)
    pred = torch.stack([s.pred_img for s in samples])
    gt = torch.stack([s.gt_img for s in samples])
    assert res['PSNR_per_image'] == pytest.approx(
        psnr(pred, gt).mean().item(), 1e-5)
    assert res['sr/SSIM_per_image'] == pytest.approx(
        ssim(pred, gt).mean().item(), 1e-5)


def textzoom_psnr(img1, img2):
    """TextZoom's utils/ssim_psnr.calculate_psnr, written out."""
    mse = ((img1[:, :3] * 255 - img2[:, :3] * 255)**2).mean()
    return 20 * torch.log10(255.0 / torch.sqrt(mse))


def textzoom_ssim(img1, img2):
    """TextZoom's utils/ssim_psnr.SSIM (size_average=True), written out."""
    img1, img2 = img1[:, :3], img2[:, :3]
    g = torch.tensor([
        math.exp(-(x - 11 // 2)**2 / float(2 * 1.5**2)) for x in range(11)
    ])
    g = (g / g.sum()).unsqueeze(1)
    window = g.mm(g.t()).float().expand(3, 1, 11, 11).contiguous()

    def conv(x):
        return F.conv2d(x, window, padding=11 // 2, groups=3)

    mu1, mu2 = conv(img1), conv(img2)
    s1 = conv(img1 * img1) - mu1.pow(2)
    s2 = conv(img2 * img2) - mu2.pow(2)
    s12 = conv(img1 * img2) - mu1 * mu2
    c1, c2 = 0.01**2, 0.03**2
    ssim_map = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / (
        (mu1.pow(2) + mu2.pow(2) + c1) * (s1 + s2 + c2))
    return ssim_map.mean()


def unclamped_samples(n, seed=1):
    """Samples whose predictions leave [0, 1] (a raw tanh output)."""
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(n):
        s = TextSRDataSample()
        s.gt_img = torch.rand(4, 32, 128, generator=gen)
        s.pred_img = s.gt_img + 0.3 * torch.randn(4, 32, 128, generator=gen)
        samples.append(s)
    return samples


def test_per_batch_protocol_equals_textzoom_formula_batch_by_batch():
    # 7 images in batches of 3: 3 + 3 + 1, the last one partial
    samples = unclamped_samples(7)
    ev = Evaluator([
        dict(type='PSNR', protocol='per_batch', batch_size=3, clamp=False),
        dict(type='SSIM', protocol='per_batch', batch_size=3, clamp=False),
        dict(type='PSNR', protocol='per_image', prefix='img'),
    ])
    ev.process(samples[:4])  # how the runner batches does not matter
    ev.process(samples[4:])
    res = ev.evaluate(7)
    pred = torch.stack([s.pred_img for s in samples])
    gt = torch.stack([s.gt_img for s in samples])
    chunks = [slice(0, 3), slice(3, 6), slice(6, 7)]
    psnr_ref = sum(textzoom_psnr(pred[c], gt[c]).item() for c in chunks) / 3
    ssim_ref = sum(textzoom_ssim(pred[c], gt[c]).item() for c in chunks) / 3
    assert res['PSNR_per_batch'] == pytest.approx(psnr_ref, rel=1e-5)
    assert res['SSIM_per_batch'] == pytest.approx(ssim_ref, rel=1e-5)
    # per image, on the output clamped to [0, 1] by default
    clamped = pred.clamp(0, 1)
    per_image = [textzoom_psnr(clamped[i:i + 1], gt[i:i + 1]).item()
                 for i in range(7)]
    assert res['img/PSNR_per_image'] == pytest.approx(
        sum(per_image) / 7, rel=1e-5)
    assert abs(res['img/PSNR_per_image'] - res['PSNR_per_batch']) > 0.1


def test_per_batch_needs_a_batch_size_and_protocols_are_named():
    with pytest.raises(ValueError, match='batch_size'):
        Evaluator(dict(type='PSNR', protocol='per_batch'))
    with pytest.raises(ValueError, match='protocol'):
        Evaluator(dict(type='SSIM', protocol='per_subset'))


def test_step_metrics_and_text_accuracy():
    samples = make_samples(4)
    ev = Evaluator([
        dict(type='PSNR', step=1),
        dict(type='SSIM', step=0),
        dict(type='TextAccuracy'),
        dict(type='TextAccuracy', step=0),
        dict(type='TextAccuracy', step=1, prefix='s1'),
    ])
    ev.process(samples)
    res = ev.evaluate(4)
    assert res['SSIM_per_image_step0'] == pytest.approx(1.0, abs=1e-5)
    assert res['word_acc'] == 0.5  # 'ABC' matches 'abc' after the filter
    assert res['word_acc_step0'] == 1.0
    assert res['s1/word_acc_step1'] == 0.0
    assert 'PSNR_per_image_step1' in res


def test_textzoom_evaluator_subsets_and_averages():
    ev = EVALUATOR.build(
        dict(
            type='TextZoomEvaluator',
            dataset_prefixes=['easy', 'medium', 'hard'],
            metrics=[dict(type='TextAccuracy')]))
    ev.dataset_meta = dict(cumulative_sizes=[2, 5, 6])
    samples = make_samples(6)
    # correct: 0 | 2, 3 | 5 -> easy 1/2, medium 2/3, hard 1/1
    for i, s in enumerate(samples):
        s.pred_text = LabelData(item='abc' if i in (0, 2, 3, 5) else 'no')
    ev.process(samples)
    res = ev.evaluate(6)
    assert res['easy/word_acc'] == 0.5
    assert res['medium/word_acc'] == pytest.approx(2 / 3)
    assert res['hard/word_acc'] == 1.0
    # weighted by subset sizes (2, 3, 1): all samples; unweighted: 13/18
    assert res['avg/word_acc'] == pytest.approx(4 / 6)
    assert res['mean/word_acc'] == pytest.approx((1 / 2 + 2 / 3 + 1) / 3)
    with pytest.raises(ValueError, match='average_prefix'):
        EVALUATOR.build(
            dict(
                type='TextZoomEvaluator',
                dataset_prefixes=['avg'],
                metrics=[dict(type='PSNR')]))


def test_textzoom_evaluator_batches_within_each_subset():
    # subsets of 3 and 2 images, batches of 2: [0, 1] [2] | [3, 4]
    samples = unclamped_samples(5, seed=2)
    ev = EVALUATOR.build(
        dict(
            type='TextZoomEvaluator',
            dataset_prefixes=['easy', 'hard'],
            metrics=[dict(type='PSNR', protocol='per_batch', batch_size=2,
                          clamp=False)]))
    ev.dataset_meta = dict(cumulative_sizes=[3, 5])
    ev.process(samples)
    res = ev.evaluate(5)
    pred = torch.stack([s.pred_img for s in samples])
    gt = torch.stack([s.gt_img for s in samples])
    easy = (textzoom_psnr(pred[:2], gt[:2]) +
            textzoom_psnr(pred[2:3], gt[2:3])).item() / 2
    hard = textzoom_psnr(pred[3:], gt[3:]).item()
    assert res['easy/PSNR_per_batch'] == pytest.approx(easy, rel=1e-5)
    assert res['hard/PSNR_per_batch'] == pytest.approx(hard, rel=1e-5)
    assert res['avg/PSNR_per_batch'] == pytest.approx(
        (3 * easy + 2 * hard) / 5, rel=1e-5)
    assert res['mean/PSNR_per_batch'] == pytest.approx(
        (easy + hard) / 2, rel=1e-5)


# A real MMOCR CRNN whose reading is known: no backbone, a 1x1-conv CTC
# decoder over the gray value g of each of 8 frames (the reader averages 32
# rows x 16 columns into one frame). Class k gets the logit
# 2 c_k g - c_k^2 = g^2 - (g - c_k)^2, so the class whose code c_k is
# nearest to g wins: a frame of gray value c_k reads class k; every other
# class gets -10.
CODES = dict(a=0.1, b=0.3, c=0.5, d=0.7, blank=0.9)
CODED_CRNN = dict(
    type='CRNN',
    decoder=dict(
        type='CRNNDecoder',
        in_channels=1,
        rnn_flag=False,
        module_loss=dict(type='CTCModuleLoss', letter_case='lower'),
        postprocessor=dict(type='CTCPostProcessor'),
        dictionary=dict(
            type='Dictionary',
            dict_file=osp.join(ROOT, 'configs', 'judges', 'dicts',
                               'lower_english_digits.txt'),
            with_padding=True,
            with_unknown=False)),
    data_preprocessor=dict(
        type='TextRecogDataPreprocessor', mean=[0], std=[255]))


def coded_crnn_checkpoint(path):
    """Weights of CODED_CRNN: the CTC blank is the padding class (36)."""
    model = MODELS.build(CODED_CRNN)
    conv = model.decoder.decoder
    index = dict(a=10, b=11, c=12, d=13, blank=36)  # '0'..'9', 'a'.., pad
    with torch.no_grad():
        conv.weight.zero_()
        conv.bias.fill_(-10.)
        for char, code in CODES.items():
            conv.weight[index[char]] = 2 * code
            conv.bias[index[char]] = -code**2
    torch.save(dict(state_dict=model.state_dict()), path)


def coded_image(frames, seed):
    """(4, 32, 128) gray image: 8 frames of 16 columns; frame t has the
    code of ``frames[t]`` ('-' is the blank); random mask channel."""
    img = torch.empty(4, 32, 128)
    for t, char in enumerate(frames):
        img[:3, :, 16 * t:16 * (t + 1)] = CODES['blank' if char == '-' else
                                                char]
    img[3] = torch.rand(32, 128, generator=torch.Generator().manual_seed(seed))
    return img


def test_judge_accuracy_of_a_crnn_with_known_readings(tmp_path):
    coded_crnn_checkpoint(tmp_path / 'coded.pth')
    judge_cfg = dict(
        type='TextRecogJudge',
        recognizer=CODED_CRNN,
        checkpoint=str(tmp_path / 'coded.pth'),
        reader=dict(hw=(1, 8), gray=True, interpolation='area'))
    # frames (CTC: repeats merge, blanks drop) -> reading; label; correct
    cases = [
        ('aa-bcc--', 'abc', True),
        ('a-abb-dd', 'aab', False),  # reads 'aabd'
        ('c-ab----', 'CAB', True),  # the filter lowercases the label
        ('--------', 'abc', False),  # reads ''
        ('dddddddd', 'd.', True),  # the filter drops the symbol
    ]
    samples = []
    for i, (frames, label, _) in enumerate(cases):
        sample = TextSRDataSample()
        sample.pred_img = coded_image(frames, seed=i)
        sample.gt_text = LabelData(item=label)
        samples.append(sample)
    ev = Evaluator(dict(type='JudgeAccuracy', judges=dict(crnn=judge_cfg)))
    ev.process(samples[:2])
    ev.process(samples[2:])
    res = ev.evaluate(len(samples))
    assert res == {'crnn_word_acc': pytest.approx(3 / 5)}
    judge = ev.metrics[0].judges['crnn']
    assert isinstance(judge, TextRecogJudge)
    assert not judge.training
    assert all(not p.requires_grad for p in judge.parameters())
    reads = judge(torch.stack([s.pred_img for s in samples]))
    assert [r.pred_text.item for r in reads] == ['abc', 'aabd', 'cab', '',
                                                 'd']


def test_judge_reader_from_the_config_file_and_overrides():
    judge = TextRecogJudge(CRNN_CFG)  # TPGSR's protocol
    assert judge.reader.hw == (32, 100) and judge.reader.gray
    assert judge.reader.interpolation == 'bicubic'
    keep = TextRecogJudge(CRNN_CFG, reader=dict(hw=None))  # STIRER's
    assert keep.reader.hw is None and keep.reader.gray
    with pytest.raises(KeyError, match=r"\['sizes'\] in the `reader`"):
        TextRecogJudge(CRNN_CFG, reader=dict(sizes=(1, 2)))


def test_missing_judge_checkpoint_fails_at_construction(tmp_path):
    missing = str(tmp_path / 'crnn.pth')
    judge = dict(type='TextRecogJudge', recognizer=CRNN_CFG,
                 checkpoint=missing)
    with pytest.raises(FileNotFoundError,
                       match=f'judges.crnn.checkpoint: {missing}'):
        Evaluator(dict(type='JudgeAccuracy', judges=dict(crnn=judge)))


def test_reader_images_colour_and_size():
    from stisr_mmocr.models.judges import RecognizerReader
    imgs = torch.rand(2, 4, 32, 128)
    gray, ratio = RecognizerReader(
        hw=(32, 100), gray=True, interpolation='bicubic').images(imgs)
    assert gray.shape == (2, 1, 32, 100) and ratio == 1
    same, _ = RecognizerReader(gray=True).images(imgs)
    expected = (0.299 * imgs[:, 0] + 0.587 * imgs[:, 1] +
                0.114 * imgs[:, 2]) * 255
    assert torch.allclose(same[:, 0], expected, atol=1e-4)
    bgr, _ = RecognizerReader().images(imgs)
    assert torch.equal(bgr[:, 0], imgs[:, 2] * 255)
    assert torch.equal(bgr[:, 2], imgs[:, 0] * 255)
    padded, ratio = RecognizerReader(pad_width=160).images(imgs)
    assert padded.shape == (2, 3, 32, 160) and ratio == 128 / 160
    assert (padded[..., 128:] == 0).all()
