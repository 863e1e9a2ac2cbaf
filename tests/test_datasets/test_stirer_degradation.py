"""STIRER's official degradations: the stage-1 quality ops (utils/augment.py
on timm's RandAugment, ``dataset.py``) and the collate's random
down-scaling (``LRSTR_collect_fn``), as the project's transforms.

The references are written out from reading the official code: levels from
timm's ``AugmentOp`` (magnitude / 10 * max, capped by ``_get_param``), the
ops from PIL and imgaug (installed with MMOCR), the draw probabilities from
``dataset.py`` (0.8), timm's ``rand_augment_ops`` (0.5 each) and
``RandAugment`` (two distinct ops).
"""
import math
import os.path as osp
from collections import Counter

import cv2
import imgaug.augmenters as iaa
import numpy as np
import pytest
from mmcv.transforms import Compose
from mmengine.config import Config
from mmocr.registry import TRANSFORMS
from PIL import Image, ImageFilter

from stisr_mmocr.datasets.transforms import (QualityGaussianBlur,
                                             QualityMotionBlur,
                                             QualityPoissonNoise, RandomApplyN,
                                             RandomDownscale)

from ..conftest import ROOT, text_crop

#: 0.999 quantiles of the chi-square distribution by degrees of freedom
CHI2_999 = {1: 10.83, 2: 13.82, 3: 16.27, 5: 20.52, 6: 22.46}


def chi_square(counts: dict, probs: dict) -> float:
    n = sum(counts.values())
    assert set(counts) <= set(probs), set(counts) - set(probs)
    return sum(
        (counts.get(k, 0) - n * p)**2 / (n * p) for k, p in probs.items())


def pipelines():
    return Config.fromfile(
        osp.join(ROOT, 'configs/_base_/datasets/textzoom_pipelines.py'))


def crop(h, w, seed=0):
    return text_crop(np.random.default_rng(seed), h, w)


# --------------------------------------------------------------------------
# levels: timm's AugmentOp + the official _get_param, at magnitude 5
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    'op, shape, level',
    [
        # GaussianBlur: round(min(4 * 5 / 10, max(1, 0.02 * max(H, W))))
        (QualityGaussianBlur, (32, 100), 2),
        (QualityGaussianBlur, (32, 60), 1),  # 1.2
        (QualityGaussianBlur, (16, 74), 1),  # 1.48
        (QualityGaussianBlur, (16, 75), 2),  # round(1.5) = 2
        (QualityGaussianBlur, (32, 400), 2),
        # MotionBlur: round(min(20 * 5 / 10, max(3, 0.08 * max(H, W)))) | 1
        (QualityMotionBlur, (32, 100), 9),  # 8 | 1
        (QualityMotionBlur, (32, 40), 3),  # 3.2
        (QualityMotionBlur, (32, 50), 5),  # 4 | 1
        (QualityMotionBlur, (20, 30), 3),  # max(3, 2.4)
        (QualityMotionBlur, (32, 200), 11),  # 10 | 1
        # PoissonNoise: round(min(40 * 5 / 10, max(1, 0.2 * max(H, W)))) | 1
        (QualityPoissonNoise, (32, 100), 21),
        (QualityPoissonNoise, (32, 50), 11),
        (QualityPoissonNoise, (32, 64), 13),  # 12.8
        (QualityPoissonNoise, (16, 30), 7),
        (QualityPoissonNoise, (4, 4), 1),  # max(1, 0.8)
    ])
def test_levels_at_magnitude_5(op, shape, level):
    assert op().level(shape) == level


def test_magnitude_is_clamped_to_ten():
    assert QualityGaussianBlur(magnitude=10).level((32, 400)) == 4
    assert QualityGaussianBlur(magnitude=30).level((32, 400)) == 4
    assert QualityMotionBlur(magnitude=10).level((32, 400)) == 21  # 20 | 1
    assert QualityPoissonNoise(magnitude=0).level((32, 400)) == 1  # 0 | 1


# --------------------------------------------------------------------------
# each op against the official op on a fixed image
# --------------------------------------------------------------------------
def test_gaussian_blur_is_pils_at_the_official_radius():
    img = crop(32, 100)
    results = QualityGaussianBlur(prob=1.)(dict(img_lr=img.copy()))
    expected = Image.fromarray(img).filter(ImageFilter.GaussianBlur(2))
    np.testing.assert_array_equal(results['img_lr'], np.asarray(expected))


@pytest.mark.parametrize('angle, direction', [(0., 0.), (17., -0.3),
                                              (133.3, 0.55), (271.9, 1.),
                                              (359., -1.)])
def test_motion_blur_is_imgaugs(monkeypatch, angle, direction):
    img = np.random.default_rng(1).integers(0, 256, (32, 100, 3), np.uint8)
    draws = {(0., 360.): angle, (-1., 1.): direction}
    monkeypatch.setattr(np.random, 'uniform', lambda lo, hi: draws[(lo, hi)])
    out = QualityMotionBlur(prob=1.)(dict(img_lr=img.copy()))['img_lr']
    # the official op: utils/augment.py's motion_blur -> iaa.MotionBlur(k)
    official = iaa.MotionBlur(k=9, angle=angle, direction=direction)
    np.testing.assert_array_equal(out, official(image=img))


def test_even_motion_blur_at_angle_zero_is_a_vertical_mean(monkeypatch):
    """Angle 0, direction 0: the kernel is a vertical line of equal
    weights, a k-row mean with reflected (101) borders."""
    img = np.random.default_rng(2).integers(0, 256, (32, 100, 3), np.uint8)
    draws = {(0., 360.): 0., (-1., 1.): 0.}
    monkeypatch.setattr(np.random, 'uniform', lambda lo, hi: draws[(lo, hi)])
    out = QualityMotionBlur(prob=1.)(dict(img_lr=img.copy()))['img_lr']
    padded = np.pad(img.astype(np.float64), ((4, 4), (0, 0), (0, 0)),
                    mode='reflect')
    mean = sum(padded[i:i + 32] for i in range(9)) / 9
    assert np.abs(out.astype(np.float64) - mean).max() <= 0.5 + 1e-6


def signed_poisson_probs(lam, lo, hi):
    """Bins of |noise| for ``s * Poisson(lam)``: <= lo, each k in
    (lo, hi), >= hi."""
    pmf = [
        math.exp(k * math.log(lam) - lam - math.lgamma(k + 1))
        for k in range(hi)
    ]
    probs = {'low': sum(pmf[:lo + 1]), 'high': 1 - sum(pmf)}
    probs.update({k: pmf[k] for k in range(lo + 1, hi)})
    return probs


def noise_bins(noise, lo, hi):
    mag = np.abs(noise.ravel())
    counts = Counter(np.clip(mag, lo, hi).tolist())
    out = {k: counts.get(k, 0) for k in range(lo + 1, hi)}
    out.update(low=counts.get(lo, 0), high=counts.get(hi, 0))
    return out


@pytest.mark.parametrize('source', ['ours', 'imgaug'])
def test_poisson_noise_distribution(source):
    """Noise = fair sign x Poisson(21) per pixel, shared by the channels,
    for a 200x300 crop (lam = 20 | 1); the official op (imgaug) is held
    to the same written-out distribution as ours."""
    img = np.full((200, 300, 3), 128, np.uint8)
    if source == 'ours':
        np.random.seed(0)
        out = QualityPoissonNoise(prob=1.)(dict(img_lr=img.copy()))['img_lr']
    else:
        out = iaa.AdditivePoissonNoise(lam=21, seed=0)(image=img)
    noise = out.astype(np.int64) - 128
    assert (noise[..., 0] == noise[..., 1]).all()
    assert (noise[..., 0] == noise[..., 2]).all()
    noise = noise[..., 0]
    probs = signed_poisson_probs(21, 10, 33)
    stat = chi_square(noise_bins(noise, 10, 33), probs)
    assert stat < 49.73, stat  # 0.999 quantile, 23 degrees of freedom
    nonzero = noise[noise != 0]
    z = ((nonzero > 0).sum() - nonzero.size / 2) / math.sqrt(nonzero.size / 4)
    assert abs(z) < 4, z


def test_poisson_noise_clips():
    img = np.zeros((32, 100, 3), np.uint8)
    img[:, 50:] = 255
    np.random.seed(0)
    out = QualityPoissonNoise(prob=1.)(dict(img_lr=img.copy()))['img_lr']
    assert out.dtype == np.uint8
    assert (out[:, :50] > 0).mean() == pytest.approx(0.5, abs=0.05)
    assert (out[:, 50:] < 255).mean() == pytest.approx(0.5, abs=0.05)


# --------------------------------------------------------------------------
# the stage-1 pipeline of the configs: which ops, in what order, how often
# --------------------------------------------------------------------------
OPS = ('QualityGaussianBlur', 'QualityMotionBlur', 'QualityPoissonNoise')


def stage1_pipeline():
    return Compose(pipelines().stirer_synth_degrade_pipeline)


def quality_ops(pipeline):
    (apply_n, ) = [
        t for t in pipeline.transforms if isinstance(t, RandomApplyN)
    ]
    return apply_n.transforms


def test_stage1_pipeline_order_and_parameters():
    types = [t['type'] for t in pipelines().stirer_synth_degrade_pipeline]
    assert types == [
        'DecodeTextImages', 'CopyImage', 'RandomApplyN', 'RandomDownscale',
        'ResizeLRHR', 'AddMaskChannel', 'PackTextSRInputs'
    ]
    pipeline = stage1_pipeline()
    apply_n = pipeline.transforms[2]
    assert (apply_n.num, apply_n.prob) == (2, 0.8)
    assert [type(t).__name__ for t in apply_n.transforms] == list(OPS)
    assert all((t.prob, t.magnitude) == (0.5, 5) for t in apply_n.transforms)
    assert pipeline.transforms[3].factors == (1, 2, 3, 4)
    assert pipeline.transforms[3].small_factors == (1, 2, 3)


def record_ops(pipeline, method):
    """Replace ``method`` ('transform': the op was drawn; 'apply': it ran)
    of the quality ops by recorders; return the per-call log."""
    log = []
    for op in quality_ops(pipeline):
        name = type(op).__name__
        if method == 'transform':
            setattr(op, method, lambda r, name=name: log.append(name) or r)
        else:
            setattr(op,
                    method,
                    lambda img, level, name=name: log.append(
                        (name, img.shape)) or img)
    return log


def run_degradation(pipeline, n, hr):
    """Run the steps before the down-scaling ``n`` times; yield per run."""
    head = Compose(pipeline.transforms[1:3])
    for _ in range(n):
        yield head(dict(img_hr=hr))


def test_two_distinct_ops_drawn_on_80_percent():
    pipeline = stage1_pipeline()
    log = record_ops(pipeline, 'transform')
    np.random.seed(0)
    counts = Counter()
    for _ in run_degradation(pipeline, 6000, crop(32, 100)):
        counts[tuple(log)] += 1
        log.clear()
    # none on 20%; each ordered pair of distinct ops on 80% / 6
    probs = {(): 0.2}
    probs.update({(a, b): 0.8 / 6 for a in OPS for b in OPS if a != b})
    stat = chi_square(counts, probs)
    assert stat < CHI2_999[6], (stat, counts)


def test_applied_ops_and_their_resolution():
    pipeline = stage1_pipeline()
    log = record_ops(pipeline, 'apply')
    np.random.seed(1)
    counts = Counter()
    for _ in run_degradation(pipeline, 6000, crop(40, 150)):
        assert all(shape == (40, 150, 3) for _, shape in log)  # full size
        counts[frozenset(name for name, _ in log)] += 1
        log.clear()
    # P(nothing) = 0.2 + 0.8 * 0.25; one op X: 0.8 * 2/3 * 0.25;
    # a pair {X, Y}: 0.8 * 1/3 * 0.25
    probs = {frozenset(): 0.4}
    probs.update({frozenset([a]): 0.8 * 2 / 3 * 0.25 for a in OPS})
    probs.update({
        frozenset([a, b]): 0.8 / 3 * 0.25
        for i, a in enumerate(OPS)
        for b in OPS[i + 1:]
    })
    stat = chi_square(counts, probs)
    assert stat < CHI2_999[6], (stat, counts)


def test_stage1_pipeline_end_to_end():
    hr = crop(40, 150)
    ok, buf = cv2.imencode('.png', hr[..., ::-1])
    np.random.seed(0)
    out = stage1_pipeline()(dict(hr_bytes=buf.tobytes(),
                                 hr_key='image-000000001',
                                 gt_text='word'))
    assert out['inputs'].shape == (4, 16, 64)
    assert out['data_samples'].gt_img.shape == (4, 32, 128)


def test_random_apply_n_arguments():
    with pytest.raises(ValueError, match='num must be in'):
        RandomApplyN([dict(type='QualityGaussianBlur')], num=2)
    with pytest.raises(ValueError, match='prob'):
        RandomApplyN([dict(type='QualityGaussianBlur')], num=1, prob=1.5)
    assert RandomApplyN([], num=0)(dict(a=1)) == dict(a=1)


# --------------------------------------------------------------------------
# the collate's random down-scaling
# --------------------------------------------------------------------------
def downscale_factors(h, w, n=3000, seed=0):
    img = crop(h, w)
    t = RandomDownscale()
    np.random.seed(seed)
    factors = Counter()
    for _ in range(n):
        out = t(dict(img_lr=img))['img_lr']
        d = {(h // k, w // k): k for k in (4, 3, 2, 1)}[out.shape[:2]]
        if d > 1:
            expected = Image.fromarray(img).resize((w // d, h // d),
                                                   Image.BICUBIC)
            np.testing.assert_array_equal(out, np.asarray(expected))
        else:
            assert out is img
        factors[d] += 1
    return factors


@pytest.mark.parametrize(
    'h, w, factors',
    [
        (11, 60, (1, 2, 3)),
        (28, 120, (1, 2, 3)),
        (120, 28, (1, 2, 3)),  # the short side counts, not the height
        (29, 120, (1, 2, 3, 4)),
        (64, 256, (1, 2, 3, 4)),
    ])
def test_downscale_factor_distribution(h, w, factors):
    counts = downscale_factors(h, w, n=3000)
    probs = {d: 1 / len(factors) for d in factors}
    stat = chi_square(counts, probs)
    assert stat < CHI2_999[len(factors) - 1], (stat, counts)


@pytest.mark.parametrize('h, w', [(10, 60), (40, 10), (6, 6)])
def test_no_downscale_at_10_pixels_or_less(h, w):
    assert downscale_factors(h, w, n=50) == {1: 50}


def test_downscale_arguments():
    with pytest.raises(ValueError, match='factors'):
        RandomDownscale(factors=(0, 2))
    with pytest.raises(ValueError, match='min_side'):
        RandomDownscale(factors=(1, 12))


# --------------------------------------------------------------------------
# stage 2: the real LR image is down-scaled in training only
# --------------------------------------------------------------------------
def test_stage2_downscales_training_lr_only():
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/stirer/stirer_stage2_textzoom.py'))
    for ds in cfg.train_dataloader.dataset.datasets:
        types = [t['type'] for t in ds.pipeline]
        assert types == [
            'DecodeTextImages', 'RandomDownscale', 'ResizeLRHR',
            'AddMaskChannel', 'PackTextSRInputs'
        ]
        assert ds.min_len == 1 and ds.max_len == 20
    for loader in (cfg.val_dataloader, cfg.test_dataloader):
        for ds in loader.dataset.datasets:
            assert 'RandomDownscale' not in [t['type'] for t in ds.pipeline]

    train = [
        TRANSFORMS.build(t)
        for t in cfg.train_dataloader.dataset.datasets[0].pipeline
    ]
    lr, hr = crop(16, 70), crop(32, 128, seed=1)
    np.random.seed(0)
    widths = Counter()
    for _ in range(600):
        results = train[1](dict(img_lr=lr, img_hr=hr))
        widths[results['img_lr'].shape[1]] += 1
        assert results['img_hr'] is hr
    # short side 16 <= 28: factors 1, 2, 3 -> widths 70, 35, 23
    stat = chi_square(widths, {70: 1 / 3, 35: 1 / 3, 23: 1 / 3})
    assert stat < CHI2_999[2], widths
