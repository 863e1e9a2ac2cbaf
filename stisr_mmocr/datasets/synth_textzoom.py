"""Generate a small synthetic dataset in the TextZoom LMDB layout.

Every LMDB holds ``num-samples`` (ASCII integer) and, for ``i`` in
``1..num-samples``, ``label-%09d`` (utf-8 word), ``image_hr-%09d`` (PNG of the
high-resolution crop) and ``image_lr-%09d`` (PNG of the low-resolution crop,
exactly half the HR size). Words are rendered with random fonts, colours,
backgrounds, rotation and perspective; the LR crop is a degraded copy of the
HR crop. The layout under ``OUT_DIR`` mirrors the real TextZoom release::

    OUT_DIR/train1        first half of the training samples
    OUT_DIR/train2        second half (disjoint from train1)
    OUT_DIR/test/easy     mild degradation
    OUT_DIR/test/medium   stronger blur, lower effective LR scale
    OUT_DIR/test/hard     strongest degradation, smaller text

Training samples mix the three difficulty levels. Generation is seeded: the
same arguments give byte-identical LMDB values, whatever ``--workers``. Split
LMDBs that already exist are emptied and rewritten. Fonts in ``--font-dir``
must cover the characters of the word list (symbol fonts do not).

``tools/dataset_converters/synth_textzoom.py`` is the command line of
:func:`generate_textzoom`.
"""
import functools
import math
import os
import os.path as osp
import zlib
from multiprocessing import Pool
from multiprocessing.pool import Pool as PoolType
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import cv2
import lmdb
import numpy as np
from PIL import Image, ImageDraw, ImageFont
from tqdm import tqdm

from .default_words import DEFAULT_WORDS
from ..utils import bgr_to_rgb, rgb_to_bgr, rgb_to_gray

# Luminance gap between text and background colours, in grey levels.
MIN_CONTRAST = 80
LMDB_MAP_SIZE = 1 << 30
FONT_SUFFIXES = ('.ttf', '.otf')


class Level(NamedTuple):
    """Rendering and degradation ranges of one difficulty level.

    Ranges are ``(low, high)`` pairs sampled uniformly. Lengths are in HR
    pixels unless stated otherwise.
    """
    rotate: float  # max rotation, degrees
    perspective: float  # max corner jitter, fraction of the HR height
    text_ratio: Tuple[float, float]  # font size / HR height
    bold_prob: float  # chance of a one-pixel stroke (bolder text)
    shift: float  # max LR/HR misalignment
    blur: Tuple[float, float]  # Gaussian sigma before downsampling
    scale: Tuple[float, float]  # extra downsampling beyond the x2 of LR
    noise: Tuple[float, float]  # Gaussian noise std on LR, grey levels
    jpeg: Tuple[int, int]  # JPEG quality of the LR crop


LEVELS = {
    'easy':
    Level(
        rotate=2.,
        perspective=0.03,
        text_ratio=(0.65, 0.85),
        bold_prob=0.3,
        shift=0.5,
        blur=(0.3, 0.7),
        scale=(1.0, 1.0),
        noise=(0., 2.),
        jpeg=(85, 96)),
    'medium':
    Level(
        rotate=4.,
        perspective=0.06,
        text_ratio=(0.6, 0.8),
        bold_prob=0.2,
        shift=1.0,
        blur=(0.6, 1.1),
        scale=(1.15, 1.4),
        noise=(2., 5.),
        jpeg=(55, 80)),
    'hard':
    Level(
        rotate=7.,
        perspective=0.1,
        text_ratio=(0.55, 0.75),
        bold_prob=0.,
        shift=1.5,
        blur=(1.0, 1.5),
        scale=(1.4, 1.8),
        noise=(3., 6.),
        jpeg=(30, 55)),
}
# Difficulty mix of the training splits.
TRAIN_LEVEL_PROBS = {'easy': 0.4, 'medium': 0.35, 'hard': 0.25}


class SplitSpec(NamedTuple):
    """Everything a worker needs to render one sample of a split."""
    name: str
    level: Optional[str]  # None: draw from ``TRAIN_LEVEL_PROBS``
    seed: int
    words: Tuple[str, ...]
    fonts: Tuple[Optional[str], ...]  # None: Pillow's built-in font


def load_words(words: Union[None, str, os.PathLike, Sequence[str]]) -> tuple:
    """Resolve the word list.

    Args:
        words: None for :data:`DEFAULT_WORDS`, a path to a text file with one
            word per line, or a sequence of words.

    Returns:
        tuple[str]: The non-empty words.
    """
    if words is None:
        return DEFAULT_WORDS
    if isinstance(words, (str, os.PathLike)):
        with open(words, encoding='utf-8') as f:
            words = f.read().splitlines()
    words = tuple(w.strip() for w in words if w.strip())
    if not words:
        raise ValueError('the word list is empty')
    return words


def find_fonts(font_dir: Union[None, str, os.PathLike]) -> tuple:
    """List the font files to render with.

    Args:
        font_dir: Directory searched (not recursively) for ``*.ttf`` and
            ``*.otf`` files, or None for Pillow's built-in scalable font.

    Returns:
        tuple: Sorted font paths, or ``(None, )`` for the built-in font.
    """
    if font_dir is None:
        return (None, )
    if not osp.isdir(font_dir):
        raise FileNotFoundError(f'font directory not found: {font_dir}')
    fonts = tuple(
        sorted(
            osp.join(font_dir, name) for name in os.listdir(font_dir)
            if name.lower().endswith(FONT_SUFFIXES)))
    if not fonts:
        raise FileNotFoundError(
            f'no *.ttf or *.otf font files in font directory: {font_dir}')
    return fonts


@functools.lru_cache(maxsize=512)
def _load_font(path: Optional[str], size: int) -> ImageFont.FreeTypeFont:
    """Load a font at a pixel size, caching the result per process."""
    if path is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(path, size)


def _luminance(rgb: np.ndarray) -> float:
    return float(rgb_to_gray(rgb, 'float'))


def _uniform(rng: np.random.Generator, bounds: Tuple[float, float]) -> float:
    return float(rng.uniform(*bounds))


def _render_mask(rng: np.random.Generator, text: str, font_path: Optional[str],
                 height: int, level: Level) -> np.ndarray:
    """Render the text coverage of an HR crop, warped by rotation and
    perspective.

    Returns:
        np.ndarray: float32 mask of shape (height, width) in [0, 1]; the width
        is even and proportional to the text length.
    """
    size = max(8, round(height * _uniform(rng, level.text_ratio)))
    stroke = int(rng.random() < level.bold_prob)
    font = _load_font(font_path, size)
    left, top, right, bottom = font.getbbox(text, stroke_width=stroke)
    if bottom - top > 0.9 * height:  # tall glyphs: shrink to fit
        size = max(8, int(size * 0.9 * height / (bottom - top)))
        font = _load_font(font_path, size)
        left, top, right, bottom = font.getbbox(text, stroke_width=stroke)
    text_w, text_h = right - left, bottom - top
    pad = height * rng.uniform(0.1, 0.35)
    width = max(height, 2 * math.ceil((text_w + 2 * pad) / 2))
    x = (width - text_w) / 2 + rng.uniform(-0.3, 0.3) * pad - left
    y = (height - text_h) / 2 + rng.uniform(-0.2, 0.2) * (height - text_h) \
        - top
    canvas = Image.new('L', (width, height), 0)
    ImageDraw.Draw(canvas).text((x, y),
                                text,
                                fill=255,
                                font=font,
                                stroke_width=stroke,
                                stroke_fill=255)
    # Limit the rotation so that the word ends stay inside the crop.
    margin = max(height - text_h, 1) / 2
    max_angle = min(level.rotate,
                    math.degrees(math.atan(margin / max(text_w / 2, 1))))
    angle = math.radians(rng.uniform(-max_angle, max_angle))
    src = np.array([[0, 0], [width, 0], [width, height], [0, height]],
                   dtype=np.float32)
    center = np.array([width / 2, height / 2], dtype=np.float32)
    rot = np.array([[math.cos(angle), -math.sin(angle)],
                    [math.sin(angle), math.cos(angle)]],
                   dtype=np.float32)
    jitter = rng.uniform(-1, 1, (4, 2)) * level.perspective * height
    dst = ((src - center) @ rot.T + center + jitter).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    mask = cv2.warpPerspective(
        np.asarray(canvas), matrix, (width, height), flags=cv2.INTER_LINEAR)
    return mask.astype(np.float32) / 255


def _random_colours(rng: np.random.Generator) -> Tuple[np.ndarray, ...]:
    """Draw background and text colours at least ``MIN_CONTRAST`` apart."""
    while True:
        background, text = rng.uniform(0, 255, (2, 3))
        if abs(_luminance(background) - _luminance(text)) >= MIN_CONTRAST:
            return background, text


def _compose_hr(rng: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    """Paint the text mask over a gradient, textured background.

    Returns:
        np.ndarray: uint8 RGB image with the shape of ``mask``.
    """
    height, width = mask.shape
    background, text = _random_colours(rng)
    background2 = np.clip(background + rng.normal(0, 30, 3), 0, 255)
    theta = rng.uniform(0, 2 * math.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = xs * math.cos(theta) + ys * math.sin(theta)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    bg = background + ramp[..., None] * (background2 - background)
    texture = rng.normal(0, rng.uniform(2, 10),
                         (height // 8 + 2, width // 8 + 2)).astype(np.float32)
    bg += cv2.resize(
        texture, (width, height), interpolation=cv2.INTER_CUBIC)[..., None]
    bg += rng.normal(0, 1.5, bg.shape)
    alpha = mask[..., None]
    hr = bg * (1 - alpha) + text * alpha
    return np.clip(np.round(hr), 0, 255).astype(np.uint8)


def _degrade(rng: np.random.Generator, hr: np.ndarray,
             level: Level) -> np.ndarray:
    """Make the LR crop (half the HR size) from an HR crop.

    Returns:
        np.ndarray: uint8 RGB image of shape (H / 2, W / 2, 3).
    """
    height, width = hr.shape[:2]
    shift = rng.uniform(-level.shift, level.shift, 2)
    img = cv2.warpAffine(
        hr.astype(np.float32),
        np.array([[1, 0, shift[0]], [0, 1, shift[1]]], dtype=np.float32),
        (width, height),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE)
    img = cv2.GaussianBlur(img, (0, 0), _uniform(rng, level.blur))
    lr_wh = (width // 2, height // 2)  # OpenCV's (W, H)
    scale = _uniform(rng, level.scale)
    if scale > 1:
        small_wh = (max(2, round(lr_wh[0] / scale)),
                    max(2, round(lr_wh[1] / scale)))
        img = cv2.resize(img, small_wh, interpolation=cv2.INTER_AREA)
        img = cv2.resize(img, lr_wh, interpolation=cv2.INTER_LINEAR)
    else:
        img = cv2.resize(img, lr_wh, interpolation=cv2.INTER_AREA)
    img += rng.normal(0, _uniform(rng, level.noise), img.shape)
    img = np.clip(np.round(img), 0, 255).astype(np.uint8)
    quality = int(rng.integers(level.jpeg[0], level.jpeg[1] + 1))
    _, buf = cv2.imencode('.jpg', rgb_to_bgr(img),
                          [cv2.IMWRITE_JPEG_QUALITY, quality])
    return bgr_to_rgb(cv2.imdecode(buf, cv2.IMREAD_COLOR))


def _png(rgb: np.ndarray) -> bytes:
    ok, buf = cv2.imencode('.png', rgb_to_bgr(rgb))
    assert ok, 'PNG encoding failed'
    return buf.tobytes()


def _random_case(rng: np.random.Generator, word: str) -> str:
    mode = rng.choice(3, p=(0.4, 0.3, 0.3))
    return (word.lower(), word.upper(), word.capitalize())[mode]


def make_sample(spec: SplitSpec, index: int) -> Tuple[str, bytes, bytes]:
    """Render one sample; depends only on ``spec`` and ``index``.

    Args:
        spec: The split being generated.
        index: Zero-based sample index within the split.

    Returns:
        tuple: The label, HR PNG bytes and LR PNG bytes.
    """
    rng = np.random.default_rng(
        [spec.seed, zlib.crc32(spec.name.encode()), index])
    level_name = spec.level or str(
        rng.choice(
            list(TRAIN_LEVEL_PROBS), p=list(TRAIN_LEVEL_PROBS.values())))
    level = LEVELS[level_name]
    label = _random_case(rng, spec.words[rng.integers(len(spec.words))])
    font_path = spec.fonts[rng.integers(len(spec.fonts))]
    height = 2 * int(rng.integers(16, 25))  # even, 32..48
    mask = _render_mask(rng, label, font_path, height, level)
    hr = _compose_hr(rng, mask)
    lr = _degrade(rng, hr, level)
    return label, _png(hr), _png(lr)


def _write_split(path: str, spec: SplitSpec, num: int,
                 pool: Optional[PoolType]) -> None:
    """Write one split LMDB, replacing any content it had."""
    os.makedirs(path, exist_ok=True)
    worker = functools.partial(make_sample, spec)
    if pool is None:
        samples = map(worker, range(num))
    else:
        samples = pool.imap(worker, range(num), chunksize=16)
    env = lmdb.open(path, map_size=LMDB_MAP_SIZE)
    with env.begin(write=True) as txn:
        txn.drop(env.open_db(), delete=False)
        for i, (label, hr, lr) in enumerate(
                tqdm(samples, total=num, desc=spec.name), start=1):
            txn.put(b'label-%09d' % i, label.encode('utf-8'))
            txn.put(b'image_hr-%09d' % i, hr)
            txn.put(b'image_lr-%09d' % i, lr)
        txn.put(b'num-samples', str(num).encode())
    env.close()


def generate_textzoom(out_dir: str,
                      num_train: int = 2000,
                      num_test: int = 300,
                      words: Union[None, str, os.PathLike,
                                   Sequence[str]] = None,
                      font_dir: Union[None, str, os.PathLike] = None,
                      seed: int = 0,
                      workers: int = 0) -> Dict[str, dict]:
    """Write the synthetic TextZoom splits under ``out_dir``.

    Args:
        out_dir: Output root.
        num_train: Training samples, split between ``train1`` (the larger
            half) and ``train2``.
        num_test: Samples in each of ``test/easy``, ``test/medium`` and
            ``test/hard``.
        words: None for :data:`DEFAULT_WORDS`, a word-list file (one word per
            line) or a sequence of words.
        font_dir: Directory of ``*.ttf``/``*.otf`` fonts, or None for Pillow's
            built-in font.
        seed: Non-negative random seed.
        workers: Worker processes; 0 or 1 renders in this process. The
            output does not depend on it.

    Returns:
        dict: Maps each split name (``'train1'``, ``'train2'``,
        ``'test/easy'``, ...) to ``dict(path=..., num_samples=...)``.
    """
    if num_train < 0 or num_test < 0 or seed < 0:
        raise ValueError('num_train, num_test and seed must be non-negative')
    word_list = load_words(words)
    fonts = find_fonts(font_dir)
    plan: List[Tuple[str, Optional[str], int]] = [
        ('train1', None, num_train - num_train // 2),
        ('train2', None, num_train // 2),
    ] + [(f'test/{level}', level, num_test) for level in LEVELS]
    pool = Pool(workers) if workers > 1 else None
    written = {}
    try:
        for name, level, num in plan:
            path = osp.join(out_dir, *name.split('/'))
            spec = SplitSpec(name, level, seed, word_list, fonts)
            _write_split(path, spec, num, pool)
            written[name] = dict(path=path, num_samples=num)
    finally:
        if pool:
            pool.close()
            pool.join()
    return written
