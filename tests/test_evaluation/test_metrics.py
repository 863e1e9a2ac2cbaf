import os.path as osp

import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import LabelData
from mmocr.registry import EVALUATOR

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
    assert res['PSNR'] == pytest.approx(psnr(pred, gt).mean().item(), 1e-5)
    assert res['sr/SSIM'] == pytest.approx(ssim(pred, gt).mean().item(), 1e-5)


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
    assert res['SSIM_step0'] == pytest.approx(1.0, abs=1e-5)
    assert res['word_acc'] == 0.5  # 'ABC' matches 'abc' after the filter
    assert res['word_acc_step0'] == 1.0
    assert res['s1/word_acc_step1'] == 0.0
    assert 'PSNR_step1' in res


def test_textzoom_evaluator_subsets_and_average():
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
    assert res['avg/word_acc'] == pytest.approx(4 / 6)
    with pytest.raises(ValueError, match='average_prefix'):
        EVALUATOR.build(
            dict(
                type='TextZoomEvaluator',
                dataset_prefixes=['avg'],
                metrics=[dict(type='PSNR')]))


def test_judge_accuracy_runs_a_real_mmocr_recognizer():
    judge_cfg = dict(type='TextRecogJudge', recognizer=CRNN_CFG)
    samples = make_samples(3)
    ev = Evaluator(dict(type='JudgeAccuracy', judges=dict(crnn=judge_cfg)))
    ev.process(samples)
    torch.manual_seed(0)
    res = ev.evaluate(3)
    judge = ev.metrics[0].judges['crnn']
    assert isinstance(judge, TextRecogJudge)
    assert not judge.training
    assert all(not p.requires_grad for p in judge.parameters())
    assert judge.input_size == (100, 32) and judge.gray
    keep = TextRecogJudge(CRNN_CFG, judge_input=dict(size=None))
    assert keep.input_size is None and keep.gray
    with pytest.raises(KeyError, match='judge_input'):
        TextRecogJudge(CRNN_CFG, judge_input=dict(sizes=(1, 2)))
    texts = [s.pred_text.item for s in judge(
        torch.stack([s.pred_img for s in samples]))]
    expected = sum(t == 'abc' for t in texts) / 3
    assert res == {'crnn_word_acc': pytest.approx(expected)}


def test_prepare_recog_input():
    from stisr_mmocr.models.judges import prepare_recog_input
    imgs = torch.rand(2, 4, 32, 128)
    gray = prepare_recog_input(imgs, (100, 32), gray=True)
    assert gray.shape == (2, 1, 32, 100)
    same = prepare_recog_input(imgs, None, gray=True)
    expected = (0.299 * imgs[:, 0] + 0.587 * imgs[:, 1] +
                0.114 * imgs[:, 2]) * 255
    assert torch.allclose(same[:, 0], expected, atol=1e-4)
    bgr = prepare_recog_input(imgs, None, gray=False)
    assert torch.allclose(bgr[:, 0], imgs[:, 2] * 255)
