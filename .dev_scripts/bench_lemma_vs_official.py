"""LEMMA's inference and training step here against the authors' code,
with the same weights, in one process and one run (these machines are
noisy: only ratios from one run count).

Official side: ``model/lemma.py`` ``LEMMA`` from a git-ignored checkout of
csguoh/LEMMA (``third_party/LEMMA``), set up as
``check_lemma_reference.py`` does. Inference: ``model(lr)`` in eval mode
without gradients (``interfaces/super_resolution.py`` ``model_inference``).
Training step: the loop's step without the text focus recognizer (whose
official loss needs CUDA), on both sides the same terms: ``100 x (MSE +
0.01 x the guidance CE)`` (``super_resolution.py`` L146-150 with the
attention and recognition terms off), ``clip_grad_norm_(0.25)`` over all
parameters, the two-group Adam of ``interfaces/base.py``. Ours:
``configs/lemma/lemma_textzoom.py`` through
``tools/analysis_tools/benchmark.py`` (the runner's ``test_step`` /
``train_step``; no text focus recognizer: MSE and the guidance CE) with the
official weights (the state dict loads as it is). Random LR / HR batches of
the same size; the sides alternate for ROUNDS rounds; the median step time
of each side and the ratio official / ours (> 1: ours is faster) are
printed per round.

Usage (from the repository root, with the checkout in third_party/LEMMA):
    .venv/bin/python .dev_scripts/bench_lemma_vs_official.py \\
        [--infer-batch 64] [--train-batch 64] [--iters 3] [--warmup 1] \\
        [--rounds 2] [--threads 2]
"""
import argparse
import importlib.util
import os.path as osp
import statistics
import tempfile
import time

import torch
import torch.nn.functional as F

HERE = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(HERE)


def load(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = load('check_lemma_reference',
             osp.join(HERE, 'check_lemma_reference.py'))
bench = load('benchmark',
             osp.join(ROOT, 'tools', 'analysis_tools', 'benchmark.py'))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--infer-batch', type=int, default=64)
    parser.add_argument('--train-batch', type=int, default=64)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
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


def batch(n: int):
    gen = torch.Generator().manual_seed(1)
    hr = torch.rand(n, 4, 32, 128, generator=gen)
    lr = F.avg_pool2d(hr, 2)
    return lr, hr


def official_infer(net, n: int):
    lr, _ = batch(n)
    net.eval()

    def step():
        with torch.no_grad():
            net(lr)

    return step


def official_train(net, n: int):
    lr, hr = batch(n)
    labels = check.ref.abinet_labels(['word'] * n)
    net.train()
    position = [p for name, p in net.named_parameters()
                if 'position_prior' in name]
    others = [p for name, p in net.named_parameters()
              if 'position_prior' not in name]
    optimizer = torch.optim.Adam([{'params': others},
                                  {'params': position, 'lr': 1e-4}],
                                 lr=1e-3, betas=(0.5, 0.999))

    def step():
        sr, prior = net(lr)
        ft = sum(
            F.cross_entropy(prior[k].softmax(-1).view(-1, 37),
                            labels.view(-1))
            for k in ('img_logits', 'text_logits'))
        loss = (F.mse_loss(sr, hr) + 0.01 * ft) * 100
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 0.25)
        optimizer.step()

    return step


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    init_default_scope('mmocr')
    torch.manual_seed(0)
    net = check.official_lemma()
    check.randomize(net, torch.Generator().manual_seed(0))
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'lemma',
                                   'lemma_textzoom.py'))
    cfg.model.update(vision_checkpoint=None, language_checkpoint=None)
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = osp.join(tmp, 'lemma.pth')
        torch.save(dict(state_dict={
            'generator.' + k: v
            for k, v in net.state_dict().items()
        }), ckpt)
        print(f'LEMMA, {args.threads} threads, {args.iters} timed steps '
              f'after {args.warmup}; ms per batch')
        for mode, n in (('infer', args.infer_batch),
                        ('train', args.train_batch)):
            official = official_infer(net, n) if mode == 'infer' else \
                official_train(net, n)
            for r in range(args.rounds):
                theirs = time_official(official, args.iters, args.warmup)
                ours = bench.benchmark(cfg, mode, n, iters=args.iters,
                                       warmup=args.warmup,
                                       checkpoint=ckpt)['ms_per_batch']
                print(f'{mode} batch {n} round {r + 1}: official '
                      f'{theirs:.1f}, ours {ours:.1f}, official / ours '
                      f'{theirs / ours:.2f}')


if __name__ == '__main__':
    main()
