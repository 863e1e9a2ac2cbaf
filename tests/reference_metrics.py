"""Float64 references of the TextZoom data preparation and of the image
and recognition metrics, written from the formulas for tests, independent
of ``stisr_mmocr``.

Nothing here imports the package under test: an LMDB is read with ``lmdb``
and ``cv2`` only, and every resize, the text mask, PSNR, SSIM and the two
averaging protocols are computed from their definitions:

- Pillow's bicubic resize (what TextZoom loaders use): the convolution of
  ``libImaging/Resample.c`` (cubic kernel with a = -0.5, support scaled by
  the down-scaling factor, weights normalised per output pixel, rounded to
  22-bit fixed point, two passes, each rounded and clipped to ``uint8``,
  in Pillow's order). Bit-exact with Pillow, not a float approximation.
- Pillow's ``'L'`` conversion: ``(19595 R + 38470 G + 7471 B + 2**15) >>
  16``; the TextZoom mask: gray not brighter than its mean -> 255, else 0.
- torch's ``F.interpolate(mode='bicubic', align_corners=False)`` without
  antialias: cubic convolution with A = -0.75 on source index
  ``(dst + 0.5) * in / out - 0.5``, taps clamped to the border.
- PSNR = ``20 log10(1 / sqrt(mse))`` over the RGB channels of images in
  [0, 1]; SSIM with an 11x11 Gaussian window (sigma 1.5), zero padding 5,
  C1 = 0.01**2, C2 = 0.03**2, averaged over the RGB channels and pixels.
- per image: the clamped images' scores averaged over images; per batch
  (TextZoom / TPGSR): raw images grouped into batches of ``batch_size``
  within a subset, PSNR of the batch's mean MSE and the batch's mean SSIM,
  averaged over batches; over subsets, ``avg`` weights by subset size and
  ``mean`` does not.
- MMOCR's word and character metrics (:func:`recog_metrics`).

Tests that need a known reading use :func:`read_one_character` (a CRNN
that reads every image as one character) with labels chosen so that the
accuracies are known from the labels alone.
"""
import contextlib
import difflib
import math
import os.path as osp
import shutil
import tempfile
from typing import Dict, List, Sequence, Tuple

import cv2
import lmdb
import numpy as np
import PIL

SUBSETS = ('easy', 'medium', 'hard')
LR_HW = (16, 64)
HR_HW = (32, 128)
_PRECISION_BITS = 32 - 8 - 2


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------
@contextlib.contextmanager
def open_copy(path: str):
    """A read-only environment of a copy of the LMDB ``path``: lmdb refuses
    a second environment of a path that a dataset of the same process holds
    open."""
    with tempfile.TemporaryDirectory() as tmp:
        env = lmdb.open(shutil.copytree(path, osp.join(tmp, 'lmdb')),
                        readonly=True,
                        lock=False)
        try:
            yield env
        finally:
            env.close()


def read_textzoom(path: str, num: int = None) -> List[Tuple[str, np.ndarray,
                                                            np.ndarray]]:
    """(raw label, HR RGB uint8, LR RGB uint8) of records ``1..num`` (all
    of ``num-samples`` by default) of a TextZoom-layout LMDB."""
    records = []
    with open_copy(path) as env, env.begin() as txn:
        total = int(txn.get(b'num-samples'))
        for i in range(1, (num or total) + 1):
            imgs = []
            for key in (b'image_hr-%09d' % i, b'image_lr-%09d' % i):
                bgr = cv2.imdecode(
                    np.frombuffer(txn.get(key), np.uint8), cv2.IMREAD_COLOR)
                imgs.append(np.ascontiguousarray(bgr[..., ::-1]))
            records.append((txn.get(b'label-%09d' % i).decode(), *imgs))
    return records


def _pil_bicubic(x: float) -> float:
    x = abs(x)
    a = -0.5
    if x < 1.0:
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    if x < 2.0:
        return (((x - 5) * x + 8) * x - 4) * a
    return 0.0


def _pil_coeffs(in_size: int, out_size: int) -> List[Tuple[int, np.ndarray]]:
    """Per output pixel: first source index and the int fixed-point
    weights (``precompute_coeffs`` + ``normalize_coeffs_8bpc``)."""
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = 2.0 * filterscale
    out = []
    for xx in range(out_size):
        center = (xx + 0.5) * scale
        ss = 1.0 / filterscale
        xmin = max(int(center - support + 0.5), 0)
        xmax = min(int(center + support + 0.5), in_size) - xmin
        w = [_pil_bicubic((x + xmin - center + 0.5) * ss)
             for x in range(xmax)]
        total = sum(w)
        w = [v / total if total != 0.0 else v for v in w]
        fixed = [
            int(-0.5 + v * (1 << _PRECISION_BITS)) if v < 0 else int(
                0.5 + v * (1 << _PRECISION_BITS)) for v in w
        ]
        out.append((xmin, np.array(fixed, np.int64)))
    return out


def _pil_pass(img: np.ndarray, out_size: int, axis: int) -> np.ndarray:
    """One pass of Pillow's 8-bit resampling along ``axis`` (0 rows,
    1 columns) of an (H, W, C) uint8 image."""
    src = np.moveaxis(img.astype(np.int64), axis, 0)
    rows = []
    for xmin, k in _pil_coeffs(src.shape[0], out_size):
        acc = (1 << (_PRECISION_BITS - 1)) + np.tensordot(
            k, src[xmin:xmin + len(k)], axes=(0, 0))
        rows.append(np.clip(acc >> _PRECISION_BITS, 0, 255))
    return np.moveaxis(np.stack(rows), 0, axis).astype(np.uint8)


def _pil_vertical_first(in_hw: Tuple[int, int],
                        out_hw: Tuple[int, int]) -> bool:
    """Whether Pillow runs the vertical pass first. Before Pillow 13 the
    horizontal pass always came first; Pillow 13 (python-pillow/Pillow
    #9549) runs the vertical one first when the height shrinks by more
    than twice as many pixels as the width does (measured on Pillow
    13.0.0: it explains every one of 300 random sizes where the order
    matters)."""
    if int(PIL.__version__.split('.')[0]) < 13:
        return False
    (h, w), (new_h, new_w) = in_hw, out_hw
    return new_h < h and h - new_h > 2 * (w - new_w)


def pil_resize_bicubic(img: np.ndarray, hw: Tuple[int, int]) -> np.ndarray:
    """``Image.fromarray(img).resize((w, h), Image.BICUBIC)`` of an (H, W,
    C) uint8 image, re-implemented: two passes, each rounded to uint8, in
    Pillow's order; a dimension that keeps its size is not resampled."""
    passes = [(1, hw[1]), (0, hw[0])]
    if _pil_vertical_first(img.shape[:2], hw):
        passes.reverse()
    out = img
    for axis, size in passes:
        if img.shape[axis] != size:
            out = _pil_pass(out, size, axis)
    return out


def pil_gray(img: np.ndarray) -> np.ndarray:
    """Pillow's ``convert('L')`` of an RGB uint8 image."""
    rgb = img[..., :3].astype(np.int64)
    return ((rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471
             + 0x8000) >> 16).astype(np.uint8)


def with_mask(img: np.ndarray) -> np.ndarray:
    """Append the TextZoom text mask (gray <= its mean -> 255) as channel 4."""
    gray = pil_gray(img).astype(np.float64)
    mask = np.where(gray > gray.mean(), 0, 255).astype(np.uint8)
    return np.concatenate([img[..., :3], mask[..., None]], axis=2)


def textzoom_pairs(path: str,
                   num: int = None) -> Tuple[List[str], np.ndarray,
                                             np.ndarray]:
    """What the TextZoom test pipeline gives a model for the records of an
    LMDB: raw labels, LR (N, 4, 16, 64) and HR (N, 4, 32, 128), float64 in
    [0, 1] (RGB + mask, PIL-bicubic resized)."""
    labels, lrs, hrs = [], [], []
    for label, hr, lr in read_textzoom(path, num):
        labels.append(label)
        lrs.append(with_mask(pil_resize_bicubic(lr, LR_HW)))
        hrs.append(with_mask(pil_resize_bicubic(hr, HR_HW)))

    def nchw(imgs):
        return np.stack(imgs).transpose(0, 3, 1, 2).astype(np.float64) / 255

    return labels, nchw(lrs), nchw(hrs)


def filter_label(text: str) -> str:
    """A label in the 37-class setting: lower case, then only ``0-9a-z``
    (TextZoom's ``str_filt``: accented letters are dropped, not folded)."""
    return ''.join(c for c in text.lower()
                   if c in '0123456789abcdefghijklmnopqrstuvwxyz')


def relabel_textzoom(src: str, dst: str, labels: Sequence[str]) -> str:
    """Copy the TextZoom-layout LMDB ``src`` to ``dst`` with the first
    ``len(labels)`` records only, relabelled with ``labels`` (the images
    are kept byte for byte)."""
    records = {b'num-samples': str(len(labels)).encode()}
    with open_copy(src) as env, env.begin() as txn:
        for i, label in enumerate(labels, start=1):
            records[b'label-%09d' % i] = label.encode()
            for key in (b'image_hr-%09d' % i, b'image_lr-%09d' % i):
                records[key] = txn.get(key)
    env = lmdb.open(dst, map_size=1 << 26)
    with env.begin(write=True) as txn:
        for key, value in records.items():
            txn.put(key, value)
    env.close()
    return dst


def read_one_character(recognizer, char: str):
    """Make a CTC recognizer (MMOCR's CRNN) read every image as ``char``:
    its classifier ignores its input and scores ``char`` highest in every
    frame. Returns the recognizer."""
    import torch
    classifier = recognizer.decoder.decoder[-1].embedding
    with torch.no_grad():
        classifier.weight.zero_()
        classifier.bias.zero_()
        classifier.bias[recognizer.decoder.dictionary.char2idx(char)] = 10.
    return recognizer


# ---------------------------------------------------------------------------
# torch's bicubic interpolation
# ---------------------------------------------------------------------------
def _torch_cubic_matrix(in_size: int, out_size: int,
                        scale: float = None) -> np.ndarray:
    """(out, in) matrix of torch's bicubic interpolation along one axis
    (A = -0.75, align_corners=False, border taps clamped). ``scale`` is the
    source step per output pixel (``1 / scale_factor`` when the caller
    gives a scale factor, ``in / out`` when it gives a size)."""
    a = -0.75
    scale = in_size / out_size if scale is None else scale
    mat = np.zeros((out_size, in_size))
    for dst in range(out_size):
        real = scale * (dst + 0.5) - 0.5
        base = math.floor(real)
        t = real - base
        weights = (
            ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
            ((a + 2) * t - (a + 3)) * t * t + 1,
            ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
            ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a,
        )
        for k, w in zip(range(-1, 3), weights):
            mat[dst, min(max(base + k, 0), in_size - 1)] += w
    return mat


def torch_bicubic(x: np.ndarray, hw: Tuple[int, int] = None,
                  scale_factor: float = None) -> np.ndarray:
    """``F.interpolate(x, size=hw or scale_factor=..., mode='bicubic',
    align_corners=False)`` in float64, (N, C, H, W)."""
    h, w = x.shape[-2:]
    if hw is None:
        hw = (int(h * scale_factor), int(w * scale_factor))
        scales = (1 / scale_factor, 1 / scale_factor)
    else:
        scales = (None, None)
    rows = _torch_cubic_matrix(h, hw[0], scales[0])
    cols = _torch_cubic_matrix(w, hw[1], scales[1])
    return np.einsum('ih,nchw,jw->ncij', rows, x, cols)


# ---------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------
def mse(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-image MSE over the RGB channels, (N, )."""
    diff = pred[:, :3].astype(np.float64) - gt[:, :3]
    return (diff**2).reshape(len(diff), -1).mean(1)


def psnr_of_mse(value) -> np.ndarray:
    return 20 * np.log10(1 / np.sqrt(value))


def _gaussian(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    x = np.arange(size) - size // 2
    g = np.exp(-x**2 / (2 * sigma**2))
    return g / g.sum()


def _blur(x: np.ndarray, size: int = 11) -> np.ndarray:
    """Zero-padded 2-D Gaussian filter of (N, C, H, W) as two 1-D passes
    (the 2-D window is the outer product of the 1-D one)."""
    g, pad = _gaussian(size), size // 2
    h, w = x.shape[-2:]
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    x = sum(g[k] * x[..., k:k + h, :] for k in range(size))
    return sum(g[k] * x[..., k:k + w] for k in range(size))


def ssim(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-image SSIM over the RGB channels, (N, )."""
    x, y = pred[:, :3].astype(np.float64), gt[:, :3].astype(np.float64)
    mu_x, mu_y = _blur(x), _blur(y)
    var_x = _blur(x * x) - mu_x**2
    var_y = _blur(y * y) - mu_y**2
    cov = _blur(x * y) - mu_x * mu_y
    c1, c2 = 0.01**2, 0.03**2
    smap = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
    return smap.reshape(len(smap), -1).mean(1)


def subset_metrics(sr: np.ndarray, hr: np.ndarray,
                   batch_size: int = 48) -> Dict[str, float]:
    """Both protocols of one subset: per image on ``sr`` clamped to [0, 1],
    per batch of ``batch_size`` on the raw ``sr``."""
    clamped = np.clip(sr, 0, 1)
    raw_mse, raw_ssim = mse(sr, hr), ssim(sr, hr)
    starts = range(0, len(sr), batch_size)
    return {
        'PSNR_per_image': float(psnr_of_mse(mse(clamped, hr)).mean()),
        'SSIM_per_image': float(ssim(clamped, hr).mean()),
        'PSNR_per_batch': float(np.mean([
            psnr_of_mse(raw_mse[s:s + batch_size].mean()) for s in starts
        ])),
        'SSIM_per_batch': float(np.mean(
            [raw_ssim[s:s + batch_size].mean() for s in starts])),
    }


def _alnum(text: str) -> str:
    return ''.join(c for c in text.lower()
                   if c in '0123456789abcdefghijklmnopqrstuvwxyz')


def recog_metrics(preds: Sequence[str],
                  gts: Sequence[str]) -> Dict[str, float]:
    """MMOCR's ``WordMetric`` (exact / ignore case / ignore case and
    symbols) and ``CharMetric`` (characters of the matching blocks of
    ``difflib.SequenceMatcher``, after lower-casing and dropping symbols,
    over all characters of the labels (recall) or of the predictions
    (precision)) of predictions against labels, from their definitions;
    MMOCR reports each to 4 decimals."""
    eps, pairs = 1e-8, list(zip(preds, gts))

    def ratio(num, den):
        return float(f'{1.0 * num / (eps + den):.4f}')

    tp = sum(
        sum(size for _, _, size in difflib.SequenceMatcher(
            None, _alnum(p), _alnum(g)).get_matching_blocks())
        for p, g in pairs)
    return {
        'recog/word_acc': ratio(sum(p == g for p, g in pairs), len(gts)),
        'recog/word_acc_ignore_case': ratio(
            sum(p.lower() == g.lower() for p, g in pairs), len(gts)),
        'recog/word_acc_ignore_case_symbol': ratio(
            sum(_alnum(p) == _alnum(g) for p, g in pairs), len(gts)),
        'recog/char_recall': ratio(tp, sum(len(_alnum(g)) for g in gts)),
        'recog/char_precision': ratio(tp,
                                      sum(len(_alnum(p)) for p in preds)),
    }


def with_averages(per_subset: Dict[str, Dict[str, float]],
                  sizes: Dict[str, int]) -> Dict[str, float]:
    """``<subset>/<key>`` for every subset, plus ``avg/<key>`` (weighted by
    ``sizes``) and ``mean/<key>`` (unweighted)."""
    out = {}
    names = list(per_subset)
    for name in names:
        for key, value in per_subset[name].items():
            out[f'{name}/{key}'] = value
    total = sum(sizes[n] for n in names)
    for key in per_subset[names[0]]:
        out[f'avg/{key}'] = sum(sizes[n] * per_subset[n][key]
                                for n in names) / total
        out[f'mean/{key}'] = sum(per_subset[n][key]
                                 for n in names) / len(names)
    return out


def subset_dirs(root: str, subsets: Sequence[str] = SUBSETS) -> Dict[str, str]:
    """``<root>/test/<subset>`` per subset."""
    return {s: osp.join(root, 'test', s) for s in subsets}


# ---------------------------------------------------------------------------
# comparison
# ---------------------------------------------------------------------------
#: Tolerances of a float32 implementation against these float64 references.
#: PSNR: a float32 MSE of 12,288 values is off by ~1e-6 relative, i.e.
#: 10 / ln 10 * 1e-6 ~ 4e-6 dB; measured <= 3e-7 dB on the generated data.
#: SSIM: float32 variances (E[x^2] - mu^2, cancelling) give ~1e-6; measured
#: <= 3.1e-6 on the generated data. Other metrics (accuracies, counts over
#: counts) are exact up to the float rounding of the averages (1e-9, far
#: below one image's share).
TOLERANCES = {'PSNR': 1e-4, 'SSIM': 1e-5}
OTHER_TOLERANCE = 1e-9


def assert_metrics_match(got: Dict[str, float], expected: Dict[str, float],
                         ignore: Sequence[str] = ('time', 'data_time',
                                                  'step')) -> None:
    """Every metric of ``got`` (a run's log line) is one of ``expected``
    and equal within :data:`TOLERANCES` (by the name's metric;
    :data:`OTHER_TOLERANCE` otherwise), and none is missing."""
    keys = set(got) - set(ignore)
    assert keys == set(expected), (
        f'reported but not expected: {sorted(keys - set(expected))}; '
        f'expected but not reported: {sorted(set(expected) - keys)}')
    errors = []
    for key, value in expected.items():
        tol = next((t for name, t in TOLERANCES.items() if name in key),
                   OTHER_TOLERANCE)
        if not abs(got[key] - value) <= tol:
            errors.append(f'{key}: reported {got[key]!r}, reference '
                          f'{value!r} (tolerance {tol})')
    assert not errors, '\n'.join(errors)
