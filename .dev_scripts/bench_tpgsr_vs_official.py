"""TPGSR's inference and training step here against the authors' code, with
the same weights, in one process and one run (these machines are noisy:
only ratios from one run count).

Official side: TPGSR's ``TSRN_TL`` and meijieru's ``CRNN`` from a
git-ignored checkout of mjq11302010044/TPGSR (``third_party/TPGSR``), driven
by the lines of ``interfaces/super_resolution.py`` that evaluate (L748-768)
and train (L297-406, L419-424) ``tsrn_tl_cascade``, executed verbatim as
``check_tpgsr_reference.py`` executes them (its set-up is reused). Ours:
``configs/tpgsr`` through ``tools/analysis_tools/benchmark.py`` (the
runner's ``test_step`` / ``train_step``) with the official weights
converted by ``stisr_mmocr.converters.convert_tpgsr``. Both sides get
random LR / HR batches of the same size; the sides alternate for ROUNDS
rounds and the median step time of each side and the ratio official / ours
(> 1: ours is faster) are printed per round.

Usage (from the repository root, with the checkout in third_party/TPGSR):
    .venv/bin/python .dev_scripts/bench_tpgsr_vs_official.py \\
        [--stages 1] [--infer-batch 48] [--train-batch 48] [--iters 5] \\
        [--warmup 2] [--rounds 2] [--threads 2]
"""
import argparse
import importlib.util
import os.path as osp
import statistics
import tempfile
import time

import torch

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(HERE)


def load(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = load('check_tpgsr_reference',
             osp.join(HERE, 'check_tpgsr_reference.py'))
bench = load('benchmark',
             osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark.py'))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--stages', type=int, default=1)
    parser.add_argument('--infer-batch', type=int, default=48)
    parser.add_argument('--train-batch', type=int, default=48)
    parser.add_argument('--iters', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=2)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--threads', type=int, default=2)
    return parser.parse_args()


def official_modules(stages: int):
    """The official SR network, one student per stage and the teacher,
    seeded random weights."""
    torch.manual_seed(0)
    sr = check.official_tsrn_tl()
    students = [
        check.OfficialCRNNModel(32, 1, 37, 256) for _ in range(stages)
    ]
    teacher = check.OfficialCRNNModel(32, 1, 37, 256)
    return sr, students, teacher


def time_official(step, iters: int, warmup: int) -> float:
    for _ in range(warmup):
        step()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def official_infer(sr, students, stages: int, batch: int):
    lr, _ = check.batch(batch, torch.float32)
    sr.eval()
    for s in students:
        s.eval()

    def step():
        ns = dict(self=check.official_self(stu_iter=stages),
                  torch=torch, aster=[None, students, None],
                  model_list=[sr], images_lr=lr, cascade_images=lr,
                  images_sr=[])
        with torch.no_grad():
            exec(check.EVAL_CODE, ns)

    return step


def official_train(sr, students, teacher, stages: int, batch: int):
    lr, hr = check.batch(batch, torch.float32)
    labels = check.ref.collate_labels(['word'] * batch)
    sr.train()
    for s in students:
        s.train()
    teacher.eval()
    me = check.official_self(stu_iter=stages)
    ns = dict(self=me, torch=torch, Variable=torch.autograd.Variable,
              images_lr=lr, images_hr=hr, aster=teacher,
              aster_student=students, model_list=[sr],
              image_crit=check.ImageLoss(gradient=True,
                                         loss_weight=[1, 1e-4]),
              sem_loss=check.SemanticLoss(),
              ctc_loss=torch.nn.CTCLoss(blank=0, reduction='none'),
              text_label=labels[0], weighted_mask=labels[1],
              weighted_tics=labels[2], iters=1, loss_ssim=0.,
              optimizer_G=me.optimizer_init([sr], recognizer=students))

    def step():
        exec(check.STEP_CODE, ns)
        exec(check.UPDATE_CODE, ns)

    return step


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmocr.registry import MODELS

    from stisr_mmocr.converters import convert_tpgsr
    init_default_scope('mmocr')
    sr, students, teacher = official_modules(args.stages)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'tpgsr',
                                   'tpgsr_textzoom.py'))
    cfg.model.update(num_stages=args.stages, student_checkpoint=None,
                     teacher_checkpoint=None)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = osp.join(tmp, 'tpgsr.pth')
        model = MODELS.build(cfg.model)
        state = convert_tpgsr([dict(state_dict_G=sr.state_dict())],
                              [s.state_dict() for s in students],
                              model.stage_modules(0)[0].decoder.dictionary)
        torch.save(dict(state_dict=state), ckpt)
        print(f'TPGSR-{args.stages}, {args.threads} threads, '
              f'{args.iters} timed steps after {args.warmup}; ms per batch')
        for mode, batch in (('infer', args.infer_batch),
                            ('train', args.train_batch)):
            if mode == 'infer':
                official = official_infer(sr, students, args.stages, batch)
            else:
                official = official_train(sr, students, teacher, args.stages,
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
