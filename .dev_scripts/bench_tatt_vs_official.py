"""TATT's inference and training step here against the authors' code, with
the same weights, in one process and one run (these machines are noisy:
only ratios from one run count).

Official side: TATT's ``TSRN_TL_TRANS`` and meijieru's ``CRNN`` from a
git-ignored checkout of mjq11302010044/TATT (``third_party/TATT``), driven
by the lines of ``interfaces/super_resolution.py`` that evaluate (L306-414)
and train (rotation L647-654, step L772-1034, update L1072-1085) ``--arch
tatt``, executed verbatim as ``check_tatt_reference.py`` executes them (its
set-up is reused; the angles are drawn with NumPy as the official loop
does, L641-645). Ours: ``configs/tatt/tatt_textzoom.py`` through
``tools/analysis_tools/benchmark.py`` (the runner's ``test_step`` /
``train_step``) with the official weights converted by
``stisr_mmocr.converters.convert_tatt``. Both sides get random LR / HR
batches of the same size; the sides alternate for ROUNDS rounds and the
median step time of each side and the ratio official / ours (> 1: ours is
faster) are printed per round.

Usage (from the repository root, with the checkout in third_party/TATT):
    .venv/bin/python .dev_scripts/bench_tatt_vs_official.py \\
        [--infer-batch 48] [--train-batch 64] [--iters 5] [--warmup 2] \\
        [--rounds 2] [--threads 2]
"""
import argparse
import importlib.util
import math
import os.path as osp
import statistics
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(HERE)


def load(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = load('check_tatt_reference',
             osp.join(HERE, 'check_tatt_reference.py'))
bench = load('benchmark',
             osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark.py'))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--infer-batch', type=int, default=48)
    parser.add_argument('--train-batch', type=int, default=64)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--threads', type=int, default=2)
    return parser.parse_args()


def time_official(step, iters: int, warmup: int) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def official_infer(sr, student, batch: int):
    lr, _ = check.batch(batch, torch.float32)
    sr.eval()
    student.eval()

    def step():
        ns = dict(self=check.official_self(), torch=torch, nn=nn, time=time,
                  aster=[None, [student], None], model_list=[sr],
                  images_lr=lr, cascade_images=lr, images_sr=[],
                  ret_dict={'duration': 0}, i=0, vis_feature=False)
        with torch.no_grad():
            exec(check.EVAL_CODE, ns)

    return step


def official_train(sr, student, teacher, batch: int):
    lr, hr = check.batch(batch, torch.float32)
    sr.train()
    student.train()
    teacher.eval()
    me = check.official_self()
    optimizer = me.optimizer_init([sr], recognizer=[student])

    def step():
        # the official draw (L641-645), then rotation, step and update
        angle = np.random.rand(batch) * 5 * 2 - 5
        arc = torch.tensor(angle / 180. * math.pi).float()
        offs = torch.tensor(np.random.rand(batch)).float()
        ns = dict(self=me, torch=torch, nn=nn, np=np, math=math,
                  Variable=torch.autograd.Variable, images_lr=lr,
                  images_hr=hr, arc=arc, rand_offs=offs, aster=teacher,
                  aster_student=[student], model_list=[sr],
                  image_crit=check.ImageLoss(gradient=True,
                                             loss_weight=[1, 1e-4]),
                  sem_loss=check.SemanticLoss(), ssim=check.ssim_psnr.SSIM(),
                  tri_ssim=check.ssim_psnr.TRI_SSIM(),
                  ctc_loss=torch.nn.CTCLoss(blank=0, reduction='none'),
                  text_label=None, weighted_mask=None, weighted_tics=None,
                  iters=1, _DEBUG=False, optimizer_G=optimizer)
        exec(check.ROT_CODE, ns)
        exec(check.INIT_CODE, ns)
        exec(check.STEP_CODE, ns)
        exec(check.UPDATE_CODE, ns)

    return step


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmocr.registry import MODELS

    from stisr_mmocr.converters import convert_tatt
    init_default_scope('mmocr')
    sr, _ = check.pair_sr(0)
    student, _ = check.pair_crnn(1)
    teacher, _ = check.pair_crnn(2)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'tatt',
                                   'tatt_textzoom.py'))
    cfg.model.update(student_checkpoint=None, teacher_checkpoint=None)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = osp.join(tmp, 'tatt.pth')
        model = MODELS.build(cfg.model)
        state = convert_tatt([dict(state_dict_G=sr.state_dict())],
                             [student.state_dict()],
                             model.stage_modules(0)[0].decoder.dictionary)
        torch.save(dict(state_dict=state), ckpt)
        print(f'TATT, {args.threads} threads, {args.iters} timed steps '
              f'after {args.warmup}; ms per batch')
        for mode, batch in (('infer', args.infer_batch),
                            ('train', args.train_batch)):
            official = official_infer(sr, student, batch) if \
                mode == 'infer' else official_train(sr, student, teacher,
                                                    batch)
            for r in range(args.rounds):
                theirs = time_official(official, args.iters, args.warmup)
                ours = bench.benchmark(cfg, mode, batch, iters=args.iters,
                                       warmup=args.warmup,
                                       checkpoint=ckpt)['ms_per_batch']
                print(f'{mode} batch {batch} round {r + 1}: official '
                      f'{theirs:.1f}, ours {ours:.1f}, official / ours '
                      f'{theirs / ours:.2f}')


if __name__ == '__main__':
    main()
