"""The synthetic study: Bicubic, TSRN, TPGSR, TATT, C3-STISR and STIRER trained briefly on
the same generated TextZoom data and read by one CRNN judge trained on its
HR images.

Steps, all in this process with mmengine runners:

1. generate the synthetic TextZoom (``tools/dataset_converters/
   synth_textzoom.py``) under ``<work-dir>/data_<size>`` unless it is there;
2. train MMOCR's CRNN on its HR images
   (``configs/judges/crnn_synthetic-textzoom_train.py``): the judge;
3. train each SR method from its TextZoom config (its official recipe:
   loss weights, optimizer, clipping) on the synthetic training pairs (same
   data, same pipeline, iteration-based, no validation, constant learning
   rate), C3-STISR's student and teacher CRNN starting from the judge's
   weights (the release starts them from the judge's CRNN too); Bicubic is
   not trained;
4. test every method on the three subsets with PSNR and SSIM under both
   protocols (per image on the clamped output; per batch of 48 on the raw
   output) and the judge's word accuracy (TPGSR's input: bicubic 100x32,
   gray; the raw output for the TPGSR family, clamped for STIRER, as each
   method's own evaluation reads it), STIRER also with its own reading
   (T5), and the judge on the HR images themselves.

It prints one Markdown table and the check of the expected judge-accuracy
ordering (HR > STIRER, C3-STISR > TSRN > Bicubic), and writes both to
``<work-dir>/study_<size>.json`` / ``.md``. ``--size tiny`` is a smoke test
(a few iterations, meaningless figures); ``--size cpu`` fits about half an
hour on 2 CPU cores (4,000 training pairs, 300 per test subset, 300 SR
iterations); ``--size full`` is TextZoom-sized (17,367 training pairs;
1,619 / 1,411 / 1,343 test pairs) and meant for a GPU.

A method whose config is missing, or that fails to build, train or test,
stops the study with an error naming it: nothing is skipped silently.

Usage:
    python tools/analysis_tools/synthetic_study.py [--size {tiny,cpu,full}]
        [--models bicubic,tsrn,c3stisr,tpgsr,tatt,stirer] [--work-dir DIR]
        [--seed 0]
        [--sr-iters N] [--judge-checkpoint CKPT]
"""
import argparse
import copy
import json
import math
import os.path as osp
import time
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from mmengine.config import Config

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SUBSETS = ('easy', 'medium', 'hard')
SLICES = SUBSETS + ('avg', )
JUDGE_CONFIG = 'configs/judges/crnn_synthetic-textzoom_train.py'


class StudySize(NamedTuple):
    """Data and schedule of one study size."""
    num_train: int  # training pairs (train1 + train2)
    num_test: Tuple[int, int, int]  # easy, medium, hard test pairs
    judge_iters: int
    judge_batch: int
    sr_iters: int
    sr_batch: int
    test_batch: int
    workers: int


SIZES = {
    'tiny':
    StudySize(
        num_train=16,
        num_test=(4, 4, 4),
        judge_iters=4,
        judge_batch=8,
        sr_iters=1,
        sr_batch=2,
        test_batch=12,
        workers=0),
    # What a 2-core CPU trains in about half an hour: far too short for any
    # SR model to learn much (docs/benchmark_and_study.md reads its table).
    'cpu':
    StudySize(
        num_train=4000,
        num_test=(300, 300, 300),
        judge_iters=1200,
        judge_batch=32,
        sr_iters=300,
        sr_batch=16,
        test_batch=64,
        workers=1),
    'full':
    StudySize(
        num_train=17367,
        num_test=(1619, 1411, 1343),
        judge_iters=2000,
        judge_batch=64,
        sr_iters=1500,
        sr_batch=48,
        test_batch=128,
        workers=2),
}


class Method(NamedTuple):
    """One row (or two) of the table."""
    name: str
    config: str  # relative to the repository root
    trains: bool = True
    reads_text: bool = False  # also report its own reading
    # model keys that get the judge's checkpoint (C3-STISR's recognizers
    # start as the judge, as the paper's start from the judge's CRNN)
    judge_weights: Tuple[str, ...] = ()
    # model keys set to None: downloads the study does not make
    no_weights: Tuple[str, ...] = ()
    judge_clamp: bool = False  # the judge reads the output clamped to [0, 1]


# STIRER: the release architecture with the stage-1 objective and optimizer
# (pixel loss without the text focus loss, whose recognizer weights are not
# part of the study), trained from scratch on the study's pairs.
# C3-STISR, TPGSR and TATT: the authors' networks and recipes; their student
# and teacher CRNN start as the judge, its language model from random weights
# (ABINet's checkpoint is a download the study does not make).
METHODS = {
    'bicubic':
    Method('Bicubic', 'configs/bicubic/bicubic_textzoom.py', trains=False,
           judge_clamp=True),
    'tsrn':
    Method('TSRN', 'configs/tsrn/tsrn_textzoom.py'),
    'c3stisr':
    Method(
        'C3-STISR',
        'configs/c3stisr/c3stisr_release_textzoom.py',
        judge_weights=('student_checkpoint', 'teacher_checkpoint'),
        no_weights=('language_model.checkpoint', )),
    'tpgsr':
    Method('TPGSR',
           'configs/tpgsr/tpgsr_textzoom.py',
           judge_weights=('student_checkpoint', 'teacher_checkpoint')),
    'tatt':
    Method('TATT',
           'configs/tatt/tatt_textzoom.py',
           judge_weights=('student_checkpoint', 'teacher_checkpoint')),
    'stirer':
    Method(
        'STIRER',
        'configs/stirer/stirer_stage1_synth-mjst.py',
        reads_text=True,
        judge_clamp=True),
}
# Expected judge-accuracy ordering: every method of a group above every
# method of the next one.
EXPECTED_ORDER = (('HR', ), ('STIRER', 'C3-STISR'), ('TATT', 'TPGSR'),
                  ('TSRN', ), ('Bicubic', ))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Train a CRNN judge and the SR methods on synthetic '
        'TextZoom and print one table')
    parser.add_argument('--size', choices=tuple(SIZES), default='full')
    parser.add_argument(
        '--models',
        default=','.join(METHODS),
        help=f'comma-separated methods out of {",".join(METHODS)}')
    parser.add_argument('--work-dir', default='work_dirs/synthetic_study')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--sr-iters',
        type=int,
        help='SR training iterations instead of the size\'s (a learning '
        'curve: each value gets its own run folders and result files)')
    parser.add_argument(
        '--judge-checkpoint',
        help='a CRNN judge trained by an earlier study of this size, '
        'instead of training one')
    args = parser.parse_args(argv)
    if args.sr_iters is not None and args.sr_iters < 1:
        parser.error(f'--sr-iters must be positive, got {args.sr_iters}')
    return args


def resolve_methods(names: str) -> List[Method]:
    """Parse ``--models`` and check that each method's config exists.

    Raises:
        ValueError: An unknown or repeated name, or an empty list.
        FileNotFoundError: A method whose config is not in the repository.
    """
    keys = [n.strip().lower() for n in names.split(',') if n.strip()]
    if not keys:
        raise ValueError('--models lists no method')
    unknown = [k for k in keys if k not in METHODS]
    if unknown:
        raise ValueError(f'unknown method(s) {unknown} in --models; '
                         f'choose from {list(METHODS)}')
    if len(set(keys)) != len(keys):
        raise ValueError(f'--models repeats a method: {keys}')
    methods = [METHODS[k] for k in keys]
    for method in methods:
        if not osp.isfile(osp.join(ROOT, method.config)):
            raise FileNotFoundError(
                f'{method.name} needs {method.config}, which is not in the '
                'repository: leave it out of --models until it lands')
    return methods


def prepare_data(data_root: str, size: StudySize, seed: int) -> None:
    """Generate the study's synthetic TextZoom unless ``data_root`` already
    holds the same generation (recorded in ``study_data.json``)."""
    from stisr_mmocr.datasets.synth_textzoom import generate_textzoom
    record = dict(
        num_train=size.num_train, num_test=max(size.num_test), seed=seed)
    stamp = osp.join(data_root, 'study_data.json')
    if osp.isfile(stamp):
        with open(stamp) as f:
            if json.load(f) == record:
                return
    generate_textzoom(data_root, **record)
    with open(stamp, 'w') as f:
        json.dump(record, f)


def train_dataset(data_root: str, pipeline: list) -> dict:
    """train1 + train2 of the study's data with an SR pipeline."""
    return dict(
        type='ConcatDataset',
        datasets=[
            dict(
                type='TextZoomDataset',
                data_root=osp.join(data_root, split),
                max_len=30,
                pipeline=copy.deepcopy(pipeline))
            for split in ('train1', 'train2')
        ])


def eval_dataset(data_root: str, size: StudySize, pipeline: list) -> dict:
    """The three test subsets, cut to the study's sizes."""
    return dict(
        type='ConcatDataset',
        datasets=[
            dict(
                type='TextZoomDataset',
                data_root=osp.join(data_root, 'test', subset),
                test_mode=True,
                indices=num,
                pipeline=copy.deepcopy(pipeline))
            for subset, num in zip(SUBSETS, size.num_test)
        ])


def loader(dataset: dict, batch_size: int, workers: int,
           shuffle: bool) -> dict:
    """A dataloader config without persistent workers."""
    return dict(
        batch_size=batch_size,
        num_workers=workers,
        persistent_workers=False,
        drop_last=False,
        sampler=dict(type='DefaultSampler', shuffle=shuffle),
        dataset=dataset)


def short_schedule(cfg: Config, work_dir: str, iters: int,
                   seed: int) -> None:
    """Iteration-based training without validation, a constant learning
    rate and one checkpoint at the end."""
    cfg.work_dir = work_dir
    cfg.experiment_name = osp.basename(work_dir)
    cfg.load_from = None
    cfg.resume = False
    cfg.randomness = dict(seed=seed)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters,
                         val_interval=iters + 1)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=iters,
        max_keep_ckpts=1,
        save_best=None)
    cfg.default_hooks.logger = dict(
        type='LoggerHook', interval=max(1, iters // 10))
    cfg.log_processor = dict(by_epoch=False)


def judge_cfg(checkpoint: Optional[str]) -> dict:
    """The CRNN judge as a ``TextRecogJudge`` config."""
    return dict(
        type='TextRecogJudge',
        recognizer=osp.join(ROOT, JUDGE_CONFIG),
        checkpoint=checkpoint)


def train_judge(data_root: str, size: StudySize, work_dir: str,
                seed: int) -> str:
    """Train the CRNN judge on the HR images; returns its checkpoint."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(osp.join(ROOT, JUDGE_CONFIG))
    for i, split in enumerate(('train1', 'train2')):
        cfg.train_dataloader.dataset.datasets[i].data_root = osp.join(
            data_root, split)
    cfg.train_dataloader.batch_size = size.judge_batch
    cfg.train_dataloader.num_workers = size.workers
    cfg.train_dataloader.persistent_workers = False
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    short_schedule(cfg, work_dir, size.judge_iters, seed)
    Runner.from_cfg(cfg).train()
    return osp.join(work_dir, f'iter_{size.judge_iters}.pth')


PER_BATCH = 48  # the test batch size of the TPGSR-family loops


def evaluator_cfg(judge_checkpoint: str,
                  reads_text: bool,
                  images: bool = True,
                  judge_clamp: bool = True) -> dict:
    """Per-subset evaluator: PSNR and SSIM under both protocols
    (``images``), the judge, and the model's own reading
    (``reads_text``)."""
    metrics = []
    if images:
        for metric in ('PSNR', 'SSIM'):
            metrics += [
                dict(type=metric, protocol='per_image'),
                dict(type=metric, protocol='per_batch', batch_size=PER_BATCH,
                     clamp=False)
            ]
    metrics.append(
        dict(type='JudgeAccuracy',
             judges=dict(crnn=judge_cfg(judge_checkpoint)),
             clamp=judge_clamp))
    if reads_text:
        metrics.append(dict(type='TextAccuracy'))
    return dict(
        type='TextZoomEvaluator', dataset_prefixes=SUBSETS, metrics=metrics)


def run_method(method: Method, data_root: str, size: StudySize,
               judge_checkpoint: str, work_dir: str,
               seed: int) -> Dict[str, float]:
    """Train (when it trains) and test one method; returns its metrics."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(osp.join(ROOT, method.config))
    pipeline = Config.fromfile(
        osp.join(ROOT, 'configs/_base_/datasets/textzoom_pipelines.py'))
    cfg.test_dataloader = loader(
        eval_dataset(data_root, size, pipeline.textzoom_test_pipeline),
        size.test_batch, size.workers, False)
    cfg.test_cfg = dict(type='TestLoop')
    cfg.test_evaluator = evaluator_cfg(
        judge_checkpoint, method.reads_text, judge_clamp=method.judge_clamp)
    cfg.merge_from_dict({f'model.{k}': judge_checkpoint
                         for k in method.judge_weights})
    cfg.merge_from_dict({f'model.{k}': None for k in method.no_weights})
    if method.trains:
        cfg.train_dataloader = loader(
            train_dataset(data_root, pipeline.textzoom_train_pipeline),
            size.sr_batch, size.workers, True)
        short_schedule(cfg, work_dir, size.sr_iters, seed)
        runner = Runner.from_cfg(cfg)
        runner.train()
    else:
        cfg.train_dataloader = cfg.train_cfg = None
        cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
        cfg.work_dir = work_dir
        cfg.experiment_name = osp.basename(work_dir)
        runner = Runner.from_cfg(cfg)
    return runner.test()


def judge_on_hr(data_root: str, size: StudySize,
                judge_checkpoint: str) -> Dict[str, float]:
    """The judge's word accuracy on the HR images of the test subsets,
    through the same metric and evaluator as the methods."""
    import torch
    from mmengine.runner import Runner
    from mmocr.registry import EVALUATOR, MODELS
    pipeline = Config.fromfile(
        osp.join(ROOT, 'configs/_base_/datasets/textzoom_pipelines.py'))
    dataloader = Runner.build_dataloader(
        loader(
            eval_dataset(data_root, size, pipeline.textzoom_test_pipeline),
            size.test_batch, size.workers, False))
    evaluator = EVALUATOR.build(
        evaluator_cfg(judge_checkpoint, reads_text=False, images=False))
    evaluator.dataset_meta = dataloader.dataset.metainfo
    preprocessor = MODELS.build(dict(type='TextSRDataPreprocessor'))
    with torch.no_grad():
        for batch in dataloader:
            samples = preprocessor(batch)['data_samples']
            for sample in samples:
                sample.pred_img = sample.gt_img
            evaluator.process(samples, batch)
    return evaluator.evaluate(len(dataloader.dataset))


def table_rows(results: Dict[str, Dict[str, float]],
               methods: List[Method]) -> List[dict]:
    """One row per method (+ its own reading) and HR, figures per slice:
    judge accuracy in %, PSNR in dB and SSIM per image and per batch; None
    where not applicable."""

    def per_slice(metrics: Dict[str, float], key: str,
                  scale: float = 1.) -> Optional[List[float]]:
        if metrics is None or f'avg/{key}' not in metrics:
            return None
        return [metrics[f'{s}/{key}'] * scale for s in SLICES]

    rows = []
    for method in methods:
        metrics = results[method.name]
        rows.append(
            dict(
                name=method.name,
                acc=per_slice(metrics, 'crnn_word_acc', 100.),
                **{
                    f'{key}_{protocol}': per_slice(
                        metrics, f'{key.upper()}_per_{protocol}')
                    for key in ('psnr', 'ssim')
                    for protocol in ('image', 'batch')
                }))
        if method.reads_text:
            rows.append(
                dict(
                    name=f'{method.name} (own recognizer)',
                    acc=per_slice(metrics, 'word_acc', 100.),
                    **{k: None
                       for k in IMAGE_COLUMNS}))
    rows.append(
        dict(
            name='HR',
            acc=per_slice(results['HR'], 'crnn_word_acc', 100.),
            **{k: None
               for k in IMAGE_COLUMNS}))
    return rows


IMAGE_COLUMNS = ('psnr_image', 'ssim_image', 'psnr_batch', 'ssim_batch')


def format_table(rows: List[dict]) -> str:
    """Markdown table: judge accuracy, PSNR and SSIM per image and per batch,
    each as easy / medium / hard / avg."""

    def cell(values: Optional[List[float]], fmt: str) -> str:
        if values is None:
            return '-'
        return ' / '.join(format(v, fmt) for v in values)

    lines = [
        '| method | CRNN judge acc % | PSNR dB, per image | SSIM, per image '
        f'| PSNR dB, per batch of {PER_BATCH} | SSIM, per batch of '
        f'{PER_BATCH} |',
        '| --- | --- | --- | --- | --- | --- |',
    ]
    for row in rows:
        lines.append(f"| {row['name']} | {cell(row['acc'], '.1f')} "
                     f"| {cell(row['psnr_image'], '.2f')} "
                     f"| {cell(row['ssim_image'], '.4f')} "
                     f"| {cell(row['psnr_batch'], '.2f')} "
                     f"| {cell(row['ssim_batch'], '.4f')} |")
    lines.append('\nEach cell: easy / medium / hard / avg (avg weighted by '
                 'the subsets\' sizes).')
    return '\n'.join(lines)


def check_order(rows: List[dict]) -> List[str]:
    """Pairs that break :data:`EXPECTED_ORDER` in average judge accuracy
    (methods not in the study are left out); empty when it holds."""
    avg = {
        r['name']: r['acc'][-1]
        for r in rows if r['acc'] is not None and not math.isnan(r['acc'][-1])
    }
    groups = [[n for n in group if n in avg] for group in EXPECTED_ORDER]
    groups = [g for g in groups if g]
    broken = []
    for upper, lower in zip(groups, groups[1:]):
        for hi in upper:
            for lo in lower:
                if avg[hi] <= avg[lo]:
                    broken.append(f'{hi} ({avg[hi]:.1f} %) <= {lo} '
                                  f'({avg[lo]:.1f} %)')
    return broken


def run_study(size_name: str,
              methods: List[Method],
              work_dir: str,
              seed: int = 0,
              sr_iters: Optional[int] = None,
              judge_checkpoint: Optional[str] = None) -> dict:
    """Run every step and return the rows, the table and the order check.

    Args:
        size_name (str): A key of :data:`SIZES`.
        methods (list[Method]): From :func:`resolve_methods`.
        work_dir (str): Data, logs and checkpoints go below it.
        seed (int): Seed of the data and of the runs.
        sr_iters (int, optional): SR training iterations instead of the
            size's.
        judge_checkpoint (str, optional): Use this judge instead of
            training one.

    Returns:
        dict: ``rows``, ``table`` (Markdown), ``order_broken`` (list of
        violated pairs), ``seconds`` (wall time of each step), ``size`` and
        ``sr_iters``.
    """
    import stisr_mmocr  # noqa: F401  (registers the components)
    from mmengine.registry import init_default_scope
    init_default_scope('mmocr')
    if judge_checkpoint is not None and not osp.isfile(judge_checkpoint):
        raise FileNotFoundError(
            f'--judge-checkpoint {judge_checkpoint} does not exist')
    size = SIZES[size_name]
    if sr_iters is not None:
        size = size._replace(sr_iters=sr_iters)
    run_tag = study_tag(size_name, sr_iters)
    data_root = osp.join(work_dir, f'data_{size_name}')
    seconds = {}
    start = time.perf_counter()
    prepare_data(data_root, size, seed)
    seconds['data'] = time.perf_counter() - start
    start = time.perf_counter()
    if judge_checkpoint is None:
        judge_checkpoint = train_judge(
            data_root, size, osp.join(work_dir, f'judge_{size_name}'), seed)
    seconds['judge'] = time.perf_counter() - start
    results = {}
    for method in methods:
        start = time.perf_counter()
        try:
            results[method.name] = run_method(
                method, data_root, size, judge_checkpoint,
                osp.join(work_dir, f'{method.name.lower()}_{run_tag}'), seed)
        except Exception as e:
            raise RuntimeError(f'{method.name} ({method.config}) failed in '
                               f'the study: {e}') from e
        seconds[method.name] = time.perf_counter() - start
    start = time.perf_counter()
    results['HR'] = judge_on_hr(data_root, size, judge_checkpoint)
    seconds['HR'] = time.perf_counter() - start
    rows = table_rows(results, methods)
    return dict(
        size=size_name,
        sr_iters=size.sr_iters,
        rows=rows,
        table=format_table(rows),
        order_broken=check_order(rows),
        seconds={k: round(v, 1) for k, v in seconds.items()})


def study_tag(size_name: str, sr_iters: Optional[int]) -> str:
    """Name of a study's run folders and result files: the size, and the
    SR iterations when ``--sr-iters`` overrides them."""
    return size_name if sr_iters is None else f'{size_name}_it{sr_iters}'


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    methods = resolve_methods(args.models)
    study = run_study(args.size, methods, args.work_dir, args.seed,
                      args.sr_iters, args.judge_checkpoint)
    order = ('expected ordering holds: HR > STIRER, C3-STISR > TSRN > '
             'Bicubic (judge avg accuracy, methods in the study)'
             if not study['order_broken'] else
             'expected ordering broken: ' + '; '.join(study['order_broken']))
    base = osp.join(args.work_dir,
                    f'study_{study_tag(args.size, args.sr_iters)}')
    with open(base + '.json', 'w') as f:
        json.dump(study, f, indent=2)
    with open(base + '.md', 'w') as f:
        f.write(study['table'] + '\n\n' + order + '\n')
    print(f'\nsynthetic study ({args.size}, {study["sr_iters"]} SR '
          f'iterations), results in {base}.json\n')
    print(study['table'])
    print(order)
    print('wall time (s): ' +
          ', '.join(f'{k} {v}' for k, v in study['seconds'].items()))


if __name__ == '__main__':
    main()
