"""Time the start-up of the LMDB text datasets against MMOCR's loader.

Builds (or reuses) an LMDB of ``--num`` small text crops, rendered with
OpenCV and stored as real JPEG (4 in 5) and PNG (1 in 5) files, in the
MJ/ST recognition layout (``num-samples``, ``label-%09d``, ``image-%09d``,
indices from 1) or the TextZoom layout (``image_hr-%09d`` and
``image_lr-%09d``). Then it times the construction (``full_init``) of
MMOCR 1.x's ``RecogLMDBDataset`` and of this project's dataset
(``SynthRecogLMDBDataset`` or ``TextZoomDataset``) over it, each build in a
fresh Python process that has imported both packages (imports not timed),
alternating the two for ``--repeats`` rounds, and prints every figure, the
medians and the ratio project / MMOCR. MMOCR's loader only reads labels, so it runs on both
layouts.

The LMDB goes to ``work_dirs/lmdb_startup_benchmark/<layout>_<num>`` unless
``--lmdb`` names another directory; an existing one with the right
``num-samples`` is reused. Timings share the page cache: one untimed build
of each dataset runs first so both read a warm LMDB.

Usage:
    OMP_NUM_THREADS=1 python tools/analysis_tools/lmdb_startup_benchmark.py
        [--layout {mjst,textzoom}] [--num 200000] [--repeats 5]
        [--lmdb DIR]
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from typing import Dict, List

import cv2
import lmdb
import numpy as np

LAYOUTS = {'mjst': ('image', ), 'textzoom': ('image_hr', 'image_lr')}
POOL_SIZE = 4000
WORDS = ('the', 'Hello', 'WORLD', 'coffee', 'Street', 'open24h', 'EXIT',
         'rock-n-roll', 'Cafe', 'station', 'parking', 'STOP', 'a', '2019',
         'ice cream', 'Mr.Smith', 'pharmacy', 'information', 'hotel', 'BAR',
         'supercalifragilisticexpialidocious')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Time the start-up of MMOCR RecogLMDBDataset and of '
        "this project's LMDB dataset on one LMDB")
    parser.add_argument('--layout', choices=sorted(LAYOUTS), default='mjst')
    parser.add_argument('--num', type=int, default=200000)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--lmdb', help='LMDB directory to build or reuse')
    parser.add_argument('--child',
                        choices=('mmocr', 'project'),
                        help=argparse.SUPPRESS)
    return parser.parse_args()


def render_crop(rng: np.random.Generator, word: str,
                height: int) -> np.ndarray:
    """A BGR crop of ``word`` in a random colour on a random background."""
    scale = height / 40.
    (w, h), base = cv2.getTextSize(word, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)
    img = np.empty((height, w + 8, 3), np.uint8)
    img[:] = rng.integers(120, 236, 3)
    img += rng.integers(0, 6, img.shape, dtype=np.uint8)
    color = tuple(int(c) for c in rng.integers(0, 90, 3))
    cv2.putText(img, word, (4, (height + h) // 2), cv2.FONT_HERSHEY_SIMPLEX,
                scale, color, 2, cv2.LINE_AA)
    return img


def encode(img: np.ndarray, as_png: bool) -> bytes:
    """JPEG (quality 90) or PNG bytes of a BGR image."""
    ext, params = ('.png', []) if as_png else ('.jpg',
                                               [cv2.IMWRITE_JPEG_QUALITY, 90])
    ok, buf = cv2.imencode(ext, img, params)
    assert ok
    return buf.tobytes()


def num_samples(path: str) -> int:
    """``num-samples`` of the LMDB at ``path``, 0 when there is none."""
    if not osp.isfile(osp.join(path, 'data.mdb')):
        return 0
    env = lmdb.open(path, readonly=True, lock=False)
    with env.begin() as txn:
        raw = txn.get(b'num-samples')
    env.close()
    return int(raw) if raw is not None else 0


def build_lmdb(path: str, layout: str, num: int) -> None:
    """Write ``num`` records of ``layout``, cycling a pool of encoded
    crops (distinct per pool slot) and random words."""
    rng = np.random.default_rng(0)
    prefixes = LAYOUTS[layout]
    pool: List[Dict[str, bytes]] = []
    for i in range(POOL_SIZE):
        word = WORDS[i % len(WORDS)]
        hr = render_crop(rng, word, 32)
        as_png = i % 5 == 0
        if layout == 'mjst':
            pool.append({'image': encode(hr, as_png)})
        else:
            lr = cv2.resize(hr, (hr.shape[1] // 2, 16),
                            interpolation=cv2.INTER_AREA)
            pool.append({
                'image_hr': encode(hr, as_png),
                'image_lr': encode(lr, as_png)
            })
    words = rng.integers(0, len(WORDS), num)
    os.makedirs(path, exist_ok=True)
    env = lmdb.open(path, map_size=1 << 34)
    chunk = 10000
    for start in range(1, num + 1, chunk):
        with env.begin(write=True) as txn:
            for index in range(start, min(start + chunk, num + 1)):
                crops = pool[index % POOL_SIZE]
                txn.put(b'label-%09d' % index,
                        WORDS[words[index - 1]].encode())
                for prefix in prefixes:
                    txn.put(b'%s-%09d' % (prefix.encode(), index),
                            crops[prefix])
    with env.begin(write=True) as txn:
        txn.put(b'num-samples', str(num).encode())
    env.close()


def child(kind: str, layout: str, path: str) -> None:
    """Build one dataset over ``path`` and print its start-up as JSON.

    Both kinds import MMOCR and this project first, as a training process
    does: ``full_init`` runs ``gc.collect``, whose cost grows with what is
    imported, and that should not favour either side.
    """
    from mmocr.datasets import RecogLMDBDataset

    from stisr_mmocr.datasets import SynthRecogLMDBDataset, TextZoomDataset
    start = time.perf_counter()
    if kind == 'mmocr':
        ds = RecogLMDBDataset(ann_file=path, pipeline=[])
    elif layout == 'mjst':
        ds = SynthRecogLMDBDataset(data_root=path, pipeline=[])
    else:
        ds = TextZoomDataset(data_root=path, pipeline=[])
    seconds = time.perf_counter() - start
    print(json.dumps(dict(seconds=seconds, length=len(ds))))


def time_once(kind: str, layout: str, path: str) -> Dict[str, float]:
    """Start-up of ``kind`` measured in a fresh process."""
    cmd = [
        sys.executable,
        osp.abspath(__file__), '--child', kind, '--layout', layout, '--lmdb',
        path
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    args = parse_args()
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    path = args.lmdb or osp.join(root, 'work_dirs', 'lmdb_startup_benchmark',
                                 f'{args.layout}_{args.num}')
    if args.child:
        child(args.child, args.layout, path)
        return
    if args.repeats < 1 or args.num < 1:
        sys.exit('--repeats and --num must be at least 1')
    if num_samples(path) != args.num:
        if osp.exists(osp.join(path, 'data.mdb')):
            sys.exit(f'{path} holds another LMDB; remove it or pass --lmdb')
        print(f'building {args.num} {args.layout} records in {path} ...',
              flush=True)
        start = time.perf_counter()
        build_lmdb(path, args.layout, args.num)
        print(f'built in {time.perf_counter() - start:.1f} s', flush=True)
    else:
        print(f'reusing {path}', flush=True)
    size_mib = osp.getsize(osp.join(path, 'data.mdb')) / 2**20
    print(
        f'LMDB: {args.num} records, layout {args.layout}, '
        f'{size_mib:.0f} MiB',
        flush=True)
    kinds = ('mmocr', 'project')
    for kind in kinds:  # warm the page cache, untimed
        time_once(kind, args.layout, path)
    times: Dict[str, List[float]] = {k: [] for k in kinds}
    for rnd in range(args.repeats):
        for kind in (kinds if rnd % 2 == 0 else kinds[::-1]):
            res = time_once(kind, args.layout, path)
            times[kind].append(res['seconds'])
            print(
                f'round {rnd + 1}: {kind:8s} {res["seconds"]:.3f} s '
                f'({res["length"]} records)',
                flush=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f'median start-up: MMOCR RecogLMDBDataset {med["mmocr"]:.3f} s, '
          f'project {med["project"]:.3f} s, ratio project/MMOCR '
          f'{med["project"] / med["mmocr"]:.2f}')


if __name__ == '__main__':
    main()
