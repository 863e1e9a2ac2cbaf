"""STIRER stage 1 trained twice on the same data from the same weights: by
the authors' ``train.py`` and by ``tools/train.py`` with
``configs/stirer/stirer_stage1_synth-mjst.py``; one plot of both loss curves
per term and both runs' per-step accuracy and PSNR on the same test split.

Usage:
    python .dev_scripts/stirer_side_by_side.py \
        [--official third_party/STIRER] [--work-dir work_dirs/stirer_side_by_side] \
        [--iters 300] [--batch-size 16] [--val-interval 50] [--num-test 100] \
        [--plot docs/images/stirer_side_by_side.png] [--reuse]

``--official`` is a checkout of zhaominyiz/STIRER kept out of git (e.g.
``git -C MIRROR archive HEAD | tar -x -C third_party/STIRER``). Needs timm,
imgaug and transformers (requirements/tests.txt).

What both runs share:

- **Data**: synthetic TextZoom (``tools/dataset_converters/synth_textzoom.py``);
  the HR crops of ``train1`` / ``train2`` (32-48 px high, their original
  width) become two MJ/ST-layout LMDBs (``image-%09d``, ``label-%09d``) in
  the place of ST and MJ_train, so both loaders degrade them on the fly as
  stage 1 does; ``test/{easy,medium,hard}`` is the test split. The train set
  holds ``iters * batch_size`` crops: one official epoch is the whole run.
- **Weights**: the official ``STIRER`` built exactly as ``train.py`` builds
  it (seed 3407), saved once, loaded strictly by both (ours through
  ``model.generator.init_cfg = dict(type='StrictPretrained', ...)``).
- **Schedule**: ``train.py``'s AdamW (1e-4, SR heads 5e-4), batch size, no
  clipping; the LR drop (after 5 official epochs) lies beyond the run.

What differs, and how the official script is run on this machine (no CUDA,
today's libraries): ``train.py``'s source is executed with ``args`` updated
(paths, batch size, one epoch, ``print_iter=1``, ``eval_iter``),
``num_workers=0`` in its two loaders and one ``eval`` call appended after the
loop; ``.cuda()`` is the identity, DataParallel wraps the model as it does
without GPUs; T5's ``generate`` gets lazily grown caches and
``max_length=21`` (``../shared/bench/official_stirer.py``: transformers 5.x
no longer sizes them); ``collections.Iterable`` (removed in Python 3.10) is
``collections.abc.Iterable``, timm's ``rand_augment_ops`` takes the
pre-0.9 arguments ``(magnitude, hparams, transforms)`` with each op's
probability 0.5 (timm 0.9 inserted ``prob`` second, where ``utils/augment.py``
passes ``hparams``), and the unused ``from IPython import embed`` of
``utils/loss.py`` gets an empty module. A wrapper around ``nn.CTCLoss``
records each step's CTC value so that the official recognition loss splits
into its CTC and T5 parts. The CRNN judge ``train.py`` loads gets random
weights (no judge is compared; ours evaluates without one). Random streams
differ (data order, degradations, drop path), so the curves can only agree
in distribution, not value by value.

Prints the loss means over windows and the per-step accuracy of both runs at
each validation, writes ``side_by_side.json`` in the work dir and the plot.
"""
import argparse
import builtins
import collections
import collections.abc
import json
import os
import os.path as osp
import re
import subprocess
import sys
import types
from typing import Dict, List, Optional, Sequence

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
STAGE1_CONFIG = 'configs/stirer/stirer_stage1_synth-mjst.py'
SUBSETS = ('easy', 'medium', 'hard')
NUM_STEPS = 4  # three stages (CTC reading) and the final step (T5 reading)
OFFICIAL_SEED = 3407  # train.py's args['seed']
TERMS = ('loss_img', 'loss_ctc', 'loss_ar')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='STIRER stage 1: the authors\' train.py beside '
        'tools/train.py on the same data and initial weights')
    parser.add_argument('--official', default='third_party/STIRER')
    parser.add_argument('--work-dir', default='work_dirs/stirer_side_by_side')
    parser.add_argument('--iters', type=int, default=300)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--val-interval', type=int, default=50)
    parser.add_argument('--num-test', type=int, default=100,
                        help='pairs in each test subset')
    parser.add_argument('--plot',
                        default='docs/images/stirer_side_by_side.png')
    parser.add_argument('--reuse', action='store_true',
                        help='keep the finished runs found in the work dir')
    parser.add_argument('--worker', choices=('init', 'official'),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ('iters', 'batch_size', 'val_interval', 'num_test'):
        if getattr(args, name) < 1:
            parser.error(f'--{name.replace("_", "-")} must be positive')
    if args.val_interval < 3 or args.val_interval >= args.iters:
        parser.error('--val-interval must be at least 3 and below --iters')
    return args


# ----------------------------------------------------------------- data


def prepare_data(work_dir: str, num_train: int, num_test: int) -> dict:
    """Generate synthetic TextZoom and the MJ/ST-layout train LMDBs.

    Returns:
        dict: ``train`` (two LMDB roots) and ``test`` (subset -> root).
    """
    import lmdb

    from stisr_mmocr.datasets.synth_textzoom import generate_textzoom
    data = osp.join(work_dir, 'data')
    stamp = osp.join(data, 'generated.json')
    record = dict(num_train=num_train, num_test=num_test, seed=0)
    layout = dict(
        train=[osp.join(data, 'mjst', 'ST'),
               osp.join(data, 'mjst', 'MJ', 'MJ_train')],
        test={s: osp.join(data, 'textzoom', 'test', s) for s in SUBSETS})
    if osp.isfile(stamp):
        with open(stamp) as f:
            if json.load(f) == record:
                return layout
    written = generate_textzoom(osp.join(data, 'textzoom'), **record)
    for split, out in zip(('train1', 'train2'), layout['train']):
        os.makedirs(out, exist_ok=True)
        src = lmdb.open(written[split]['path'], readonly=True, lock=False)
        dst = lmdb.open(out, map_size=1 << 30)
        with src.begin() as rtxn, dst.begin(write=True) as wtxn:
            num = int(rtxn.get(b'num-samples'))
            for i in range(1, num + 1):
                wtxn.put(b'label-%09d' % i, rtxn.get(b'label-%09d' % i))
                wtxn.put(b'image-%09d' % i, rtxn.get(b'image_hr-%09d' % i))
            wtxn.put(b'num-samples', str(num).encode())
        src.close()
        dst.close()
    with open(stamp, 'w') as f:
        json.dump(record, f)
    return layout


# ------------------------------------------------- the official side


def _official_shims(official: str) -> None:
    """What the authors' code needs on this machine (see the docstring)."""
    import torch
    sys.path.insert(0, osp.abspath(official))
    collections.Iterable = collections.abc.Iterable
    ipython = types.ModuleType('IPython')
    ipython.embed = lambda *a, **k: None
    sys.modules.setdefault('IPython', ipython)
    torch.Tensor.cuda = lambda self, *a, **k: self
    torch.nn.Module.cuda = lambda self, *a, **k: self
    # timm >= 0.9 put ``prob`` second; utils/augment.py passes hparams there
    from timm.data import auto_augment
    ops = auto_augment.rand_augment_ops

    def rand_augment_ops(magnitude=10, hparams=None, transforms=None):
        return ops(magnitude, prob=0.5, hparams=hparams,
                   transforms=transforms)

    auto_augment.rand_augment_ops = rand_augment_ops


def _official_model():
    """``STIRER`` as ``train.py`` builds it."""
    from model.stirer import STIRER
    return STIRER(upscale=2, img_size=(16, 64), window_size=(16, 2),
                  img_range=1., depths=[4, 5, 6], embed_dim=48,
                  num_heads=[6, 6, 6], mlp_ratio=2,
                  upsampler='pixelshuffledirect', is_eval=False)


def worker_init(args: argparse.Namespace) -> None:
    """Save the official initial weights."""
    import torch
    _official_shims(args.official)
    torch.manual_seed(OFFICIAL_SEED)
    torch.save(_official_model().state_dict(),
               osp.join(args.work_dir, 'init_official.pth'))


def _patch_source(source: str) -> str:
    """train.py with the run's settings; every edit must apply once."""
    edits = [
        ("torch.manual_seed(args['seed']) #cpu",
         "args.update(SIDE_BY_SIDE_ARGS)\n"
         "torch.manual_seed(args['seed']) #cpu"),
        ('num_workers=16', 'num_workers=0'),
        ('num_workers=2', 'num_workers=0'),
    ]
    for old, new in edits:
        if source.count(old) != 1:
            raise RuntimeError(
                f'train.py of this checkout does not hold {old!r} exactly '
                'once; the side-by-side run was written for zhaominyiz/'
                'STIRER as published')
        source = source.replace(old, new)
    return source + '\nacc = eval(model, eval_datasets)\n'


def worker_official(args: argparse.Namespace, layout: dict) -> None:
    """Run the authors' ``train.py`` in this process (cwd: its folder)."""
    import torch
    _official_shims(args.official)
    from transformers.cache_utils import DynamicCache, EncoderDecoderCache

    import model.stirer as official_stirer
    from model.crnn import CRNN
    out_dir = osp.abspath(osp.join(args.work_dir, 'official'))
    judge_dir = osp.join(out_dir, 'dataset', 'mydata')
    os.makedirs(judge_dir, exist_ok=True)
    os.makedirs(osp.join(out_dir, 'ckpt'), exist_ok=True)
    torch.manual_seed(0)
    torch.save(CRNN(32, 1, 37, 256).state_dict(),
               osp.join(judge_dir, 'crnn.pth'))
    init = torch.load(osp.join(args.work_dir, 'init_official.pth'))
    build = official_stirer.STIRER.__init__

    def init_with_shared_weights(self, *a, **k):
        build(self, *a, **k)
        self.load_state_dict(init, strict=True)
        generate = self.decoder.generate

        def lazily_cached_generate(*ga, **gk):
            gk.setdefault('past_key_values',
                          EncoderDecoderCache(DynamicCache(), DynamicCache()))
            gk.setdefault('max_length', 21)
            return generate(*ga, **gk)

        self.decoder.generate = lazily_cached_generate

    official_stirer.STIRER.__init__ = init_with_shared_weights

    ctc_values: List[float] = []
    ctc_forward = torch.nn.CTCLoss.forward

    def recording_ctc(self, *a, **k):
        value = ctc_forward(self, *a, **k)
        ctc_values.append(float(value))
        return value

    torch.nn.CTCLoss.forward = recording_ctc

    losses = open(osp.join(out_dir, 'losses.jsonl'), 'w')
    evals = open(osp.join(out_dir, 'evals.jsonl'), 'w')
    state = dict(updates=0, subset=None, current={})
    loss_line = re.compile(r'EPOCH\[\d+\] ITER\[(\d+)\]/\[\d+\] '
                           r'loss_tot\[(\S+)\] loss_sr\[(\S+)\] '
                           r'loss_rec\[(\S+)\]')
    step_line = re.compile(r'STEP (\d+) Acc (\S+) PSNR (\S+) SSIM (\S+)')
    print_ = builtins.print

    def record(*a, **k):
        text = ' '.join(str(x) for x in a)
        match = loss_line.match(text)
        if match:
            it = int(match.group(1))
            sr, rec = float(match.group(3)), float(match.group(4))
            ctc = sum((k + 1) * v for k, v in enumerate(ctc_values))
            if len(ctc_values) != NUM_STEPS - 1:
                raise RuntimeError(f'{len(ctc_values)} CTC terms at '
                                   f'iteration {it}')
            ctc_values.clear()
            state['updates'] = it + 1
            # train.py's loss = alpha * loss_sr + (1 - alpha) * loss_rec,
            # alpha 0.5; loss_rec = 4 * T5 + sum_k (k + 1) * CTC_k
            losses.write(json.dumps(dict(
                iter=it + 1, loss=float(match.group(2)), loss_img=0.5 * sr,
                loss_ctc=0.5 * ctc, loss_ar=0.5 * (rec - ctc))) + '\n')
            losses.flush()
        elif text.startswith('Evaluating'):
            path = text.split()[-1].rstrip('/')
            state['subset'] = osp.basename(path)
        else:
            match = step_line.match(text)
            if match:
                step = int(match.group(1))
                cur = state['current'].setdefault(state['subset'], {})
                cur[step] = dict(acc=float(match.group(2)),
                                 psnr=float(match.group(3)),
                                 ssim=float(match.group(4)))
            elif text.startswith('Avg CRNN Acc'):
                evals.write(json.dumps(dict(iter=state['updates'],
                                            subsets=state['current'])) + '\n')
                evals.flush()
                state['current'] = {}
        print_(*a, **k)

    builtins.print = record
    os.chdir(out_dir)
    train_py = osp.join(osp.abspath(args.official), 'train.py')
    with open(train_py) as f:
        source = _patch_source(f.read())
    run_args = dict(
        batch_size=args.batch_size,
        train_dataset=[osp.abspath(p) + '/' for p in layout['train']],
        eval_dataset=[osp.abspath(layout['test'][s]) + '/' for s in SUBSETS],
        Epoch=1,
        print_iter=1,
        eval_iter=args.val_interval,
    )
    scope = dict(__name__='__main__', __file__=train_py,
                 SIDE_BY_SIDE_ARGS=run_args)
    exec(compile(source, train_py, 'exec'), scope)
    losses.close()
    evals.close()


# ------------------------------------------------------ our side


def our_config(work_dir: str, layout: dict, args: argparse.Namespace) -> str:
    """The stage-1 config with the run's data, size and weights; written
    next to the run and returned."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(ROOT, STAGE1_CONFIG))
    for ds, root in zip(cfg.train_dataloader.dataset.datasets,
                        layout['train']):
        ds.data_root = osp.abspath(root)
    cfg.train_dataloader.update(batch_size=args.batch_size, num_workers=0,
                                persistent_workers=False)
    for ds, subset in zip(cfg.val_dataloader.dataset.datasets, SUBSETS):
        ds.data_root = osp.abspath(layout['test'][subset])
    cfg.val_dataloader.update(num_workers=0, persistent_workers=False)
    # per-step word accuracy and per-image PSNR / SSIM, as train.py's eval;
    # no CRNN judge (there are no judge weights to share); the final-step
    # accuracy keeps the best checkpoint, as in the stage-1 config
    cfg.val_evaluator.metrics = [dict(type='TextAccuracy')] + [
        dict(type=t, step=k, **extra) for k in range(NUM_STEPS)
        for t, extra in (('TextAccuracy', {}),
                         ('PSNR', dict(protocol='per_image', clamp=False)),
                         ('SSIM', dict(protocol='per_image', clamp=False)))
    ]
    cfg.test_dataloader = cfg.test_evaluator = cfg.test_cfg = None
    cfg.train_cfg.update(max_iters=args.iters,
                         val_interval=args.val_interval)
    cfg.default_hooks.logger.update(interval=1, log_metric_by_epoch=False)
    cfg.default_hooks.checkpoint.update(interval=args.iters)
    cfg.log_processor.window_size = 1
    cfg.visualizer.vis_backends = [dict(type='LocalVisBackend')]
    # the authors' plain state dict, loaded into the network key by key
    cfg.model.generator.init_cfg = dict(
        type='StrictPretrained',
        checkpoint=osp.abspath(osp.join(work_dir, 'init_official.pth')))
    path = osp.join(work_dir, 'stage1_side_by_side.py')
    cfg.dump(path)
    return path


def read_ours(work_dir: str) -> dict:
    """Losses per iteration and validations from mmengine's scalars."""
    runs = sorted(d for d in os.listdir(work_dir)
                  if osp.isfile(osp.join(work_dir, d, 'vis_data',
                                         'scalars.json')))
    if not runs:
        raise FileNotFoundError(f'no finished run under {work_dir}')
    losses, evals = [], []
    with open(osp.join(work_dir, runs[-1], 'vis_data', 'scalars.json')) as f:
        for line in f:
            row = json.loads(line)
            if 'loss_img' in row:
                losses.append({k: row[k] for k in ('iter', 'loss') + TERMS})
            elif any(k.endswith('word_acc_step0') for k in row):
                subsets = {
                    s: {k: dict(acc=100 * row[f'{s}/word_acc_step{k}'],
                                psnr=row[f'{s}/PSNR_per_image_step{k}'],
                                ssim=100 * row[f'{s}/SSIM_per_image_step{k}'])
                        for k in range(NUM_STEPS)}
                    for s in SUBSETS
                }
                evals.append(dict(iter=row['step'], subsets=subsets))
    return dict(losses=losses, evals=evals)


def read_official(work_dir: str) -> dict:
    """The records the official worker wrote."""
    def rows(name):
        with open(osp.join(work_dir, name)) as f:
            return [json.loads(line) for line in f]
    evals = rows('evals.jsonl')
    for e in evals:  # JSON keys are strings
        e['subsets'] = {s: {int(k): v for k, v in steps.items()}
                        for s, steps in e['subsets'].items()}
    return dict(losses=rows('losses.jsonl'), evals=evals)


# ---------------------------------------------------------- report


def mean_over_subsets(evals: List[dict], step: int, key: str) -> List[float]:
    """Unweighted mean of the subsets (train.py's final accuracy rule)."""
    return [sum(e['subsets'][s][step][key] for s in SUBSETS) / len(SUBSETS)
            for e in evals]


def window_means(losses: List[dict], term: str, width: int) -> List[tuple]:
    """(first iter, last iter, mean) of ``term`` over windows of ``width``."""
    out = []
    for start in range(0, len(losses), width):
        chunk = losses[start:start + width]
        out.append((chunk[0]['iter'], chunk[-1]['iter'],
                    sum(r[term] for r in chunk) / len(chunk)))
    return out


def report(runs: Dict[str, dict], width: int) -> str:
    lines = [f'loss means over windows of {width} iterations '
             '(official / ours)']
    for term in ('loss', ) + TERMS:
        ours = window_means(runs['ours']['losses'], term, width)
        official = window_means(runs['official']['losses'], term, width)
        cells = [f'{a[0]}-{a[1]}: {b[2]:.3f} / {a[2]:.3f}'
                 for a, b in zip(ours, official)]
        lines.append(f'  {term:9s} ' + ', '.join(cells))
    lines.append('per-step word accuracy %, mean of easy/medium/hard '
                 '(steps 0-2: CTC, step 3: T5), and final-step PSNR')
    for name in ('official', 'ours'):
        for e in runs[name]['evals']:
            accs = ' / '.join(
                f"{mean_over_subsets([e], k, 'acc')[0]:5.1f}"
                for k in range(NUM_STEPS))
            psnr = mean_over_subsets([e], NUM_STEPS - 1, 'psnr')[0]
            lines.append(f'  {name:8s} after {e["iter"]:4d} updates: '
                         f'acc {accs}; PSNR {psnr:.2f}')
    return '\n'.join(lines)


def plot(runs: Dict[str, dict], path: str, smooth: int) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    colours = dict(official='tab:orange', ours='tab:blue')
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    for ax, term in zip(axes[0], TERMS):
        for name, run in runs.items():
            it = [r['iter'] for r in run['losses']]
            val = [r[term] for r in run['losses']]
            ax.plot(it, val, color=colours[name], alpha=.25, lw=.7)
            sm = [sum(val[max(0, i - smooth + 1):i + 1]) /
                  len(val[max(0, i - smooth + 1):i + 1])
                  for i in range(len(val))]
            ax.plot(it, sm, color=colours[name], lw=2,
                    label=f'{name} (mean of {smooth})')
        ax.set_title(term + ' (weighted as in the total loss)')
        ax.set_xlabel('iteration')
        ax.legend()
    ax_acc, ax_t5, ax_psnr = axes[1]
    styles = ['-', '--', ':']
    for name, run in runs.items():
        it = [e['iter'] for e in run['evals']]
        for k in range(NUM_STEPS - 1):
            ax_acc.plot(it, mean_over_subsets(run['evals'], k, 'acc'),
                        styles[k], color=colours[name], marker='o', ms=3,
                        label=f'{name} step {k} (CTC)')
        ax_t5.plot(it, mean_over_subsets(run['evals'], NUM_STEPS - 1, 'acc'),
                   color=colours[name], marker='o', label=f'{name} step 3 (T5)')
        for k in range(NUM_STEPS):
            ax_psnr.plot(it, mean_over_subsets(run['evals'], k, 'psnr'),
                         (styles + ['-.'])[k], color=colours[name],
                         label=f'{name} step {k}')
    ax_acc.set_title('word accuracy %, CTC steps (mean of subsets)')
    ax_t5.set_title('word accuracy %, final step (T5)')
    ax_psnr.set_title('PSNR per image, dB (mean of subsets)')
    top = max([5.] + [
        a for run in runs.values() for k in range(NUM_STEPS)
        for a in mean_over_subsets(run['evals'], k, 'acc')
    ])
    for ax in (ax_acc, ax_t5):
        ax.set_ylim(-0.5, 1.1 * top)
    for ax in axes[1]:
        ax.set_xlabel('updates')
        ax.legend(fontsize=7)
    fig.suptitle('STIRER stage 1: authors\' train.py (orange) and '
                 'tools/train.py (blue), same data and initial weights')
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=90)


def run_worker(kind: str, args: argparse.Namespace, log: str) -> None:
    cmd = [sys.executable, osp.abspath(__file__), '--worker', kind,
           '--official', osp.abspath(args.official),
           '--work-dir', osp.abspath(args.work_dir),
           '--iters', str(args.iters), '--batch-size', str(args.batch_size),
           '--val-interval', str(args.val_interval),
           '--num-test', str(args.num_test)]
    with open(log, 'w') as f:
        subprocess.run(cmd, check=True, stdout=f, stderr=subprocess.STDOUT,
                       cwd=ROOT)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    if not osp.isfile(osp.join(args.official, 'train.py')):
        raise FileNotFoundError(
            f'--official {args.official} holds no train.py: unpack '
            'zhaominyiz/STIRER there (a git-ignored folder)')
    os.makedirs(args.work_dir, exist_ok=True)
    layout = prepare_data(args.work_dir, args.iters * args.batch_size,
                          args.num_test)
    if args.worker == 'init':
        return worker_init(args)
    if args.worker == 'official':
        return worker_official(args, layout)

    official_dir = osp.join(args.work_dir, 'official')
    ours_dir = osp.join(args.work_dir, 'ours')
    if not (args.reuse and osp.isfile(osp.join(args.work_dir,
                                               'init_official.pth'))):
        run_worker('init', args, osp.join(args.work_dir, 'init.log'))
    done = osp.join(official_dir, 'evals.jsonl')
    if not (args.reuse and osp.isfile(done)):
        run_worker('official', args, osp.join(args.work_dir, 'official.log'))
    if not (args.reuse and osp.isdir(ours_dir)):
        config = our_config(args.work_dir, layout, args)
        with open(osp.join(args.work_dir, 'ours.log'), 'w') as f:
            subprocess.run([sys.executable, 'tools/train.py', config,
                            '--work-dir', ours_dir], check=True, cwd=ROOT,
                           stdout=f, stderr=subprocess.STDOUT)
    runs = dict(official=read_official(official_dir),
                ours=read_ours(ours_dir))
    for name, run in runs.items():
        if len(run['losses']) != args.iters:
            raise RuntimeError(f'{name}: {len(run["losses"])} logged '
                               f'iterations, expected {args.iters}')
    with open(osp.join(args.work_dir, 'side_by_side.json'), 'w') as f:
        json.dump(runs, f)
    print(report(runs, width=max(args.iters // 6, 1)))
    plot(runs, args.plot, smooth=max(args.iters // 30, 1))
    print(f'plot: {args.plot}')


if __name__ == '__main__':
    main()
