"""Word accuracy of recognizers reading LR, Bicubic and SR images.

Prints one table, recognizer x (LR, Bicubic, SR...) x word accuracy (%, after
lowercasing and dropping symbols: MMOCR's ``WordMetric`` in mode
``ignore_case_symbol``) on the TextZoom-layout test subsets, each recognizer
reading through :class:`SRRecognizerCascade` (so with its own input size and
normalisation). LR: the recognizer reads the LR image; Bicubic: x2 bicubic;
then each ``--sr`` model; HR: the recognizer reads the HR image (the upper
bound).

Usage:
    python tools/analysis_tools/recog_table.py \\
        --recognizer NAME CONFIG [CHECKPOINT] [--recognizer ...] \\
        [--sr NAME CONFIG [CHECKPOINT]] [--sr ...] \\
        [--data-root data/textzoom] [--subsets easy medium hard] \\
        [--batch-size 64] [--out table.json]

CONFIG is a recognizer config file (``mmocr::textrecog/...`` for MMOCR's own
configs) or, for ``--sr``, an SR model config file.
"""
import argparse
import copy
import os.path as osp
from typing import Dict, List, Optional, Sequence

import mmengine
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmocr.registry import EVALUATOR, MODELS

import stisr_mmocr  # noqa: F401
from stisr_mmocr.engine import load_pretrained

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PIPELINES = osp.join(ROOT, 'configs', '_base_', 'datasets',
                     'textzoom_pipelines.py')
METRIC = 'recog/word_acc_ignore_case_symbol'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--recognizer',
        nargs='+',
        action='append',
        required=True,
        metavar='NAME CONFIG [CHECKPOINT]',
        help='a recognizer row; repeat for more')
    parser.add_argument(
        '--sr',
        nargs='+',
        action='append',
        default=[],
        metavar='NAME CONFIG [CHECKPOINT]',
        help='an SR model column after LR and Bicubic; repeat for more')
    parser.add_argument('--data-root', default='data/textzoom')
    parser.add_argument(
        '--subsets', nargs='+', default=['easy', 'medium', 'hard'])
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--out', help='also write the table as JSON')
    args = parser.parse_args(argv)
    for spec in args.recognizer + args.sr:
        if len(spec) not in (2, 3):
            parser.error(f'expected NAME CONFIG [CHECKPOINT], got {spec}')
    return args


def load_batches(data_root: str, subsets: Sequence[str],
                 batch_size: int) -> tuple:
    """All test batches of the subsets (decoded once) and the dataset's
    metainfo (subset boundaries for the evaluator)."""
    pipeline = Config.fromfile(PIPELINES).textzoom_test_pipeline
    dataset = dict(
        type='ConcatDataset',
        datasets=[
            dict(
                type='TextZoomDataset',
                data_root=osp.join(data_root, 'test', subset),
                test_mode=True,
                pipeline=pipeline) for subset in subsets
        ])
    loader = Runner.build_dataloader(
        dict(
            batch_size=batch_size,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dataset))
    return list(loader), loader.dataset.metainfo, len(loader.dataset)


def word_accuracy(model_cfg: dict,
                  batches: List[dict],
                  metainfo: dict,
                  size: int,
                  subsets: Sequence[str],
                  read_hr: bool = False) -> Dict[str, float]:
    """Word accuracy (%) of one cascade per subset and ``avg``; with
    ``read_hr`` the HR images replace the LR inputs."""
    model = MODELS.build(model_cfg)
    load_pretrained(model)
    model.eval()
    evaluator = EVALUATOR.build(
        dict(
            type='TextZoomEvaluator',
            dataset_prefixes=list(subsets),
            metrics=[dict(type='WordMetric', mode='ignore_case_symbol')]))
    evaluator.dataset_meta = metainfo
    for batch in batches:
        batch = copy.deepcopy(batch)
        if read_hr:
            batch['inputs'] = [s.gt_img for s in batch['data_samples']]
        evaluator.process(model.test_step(batch), batch)
    metrics = evaluator.evaluate(size)
    row = {s: 100 * metrics[f'{s}/{METRIC}'] for s in subsets}
    row['avg'] = 100 * metrics.get(f'avg/{METRIC}',
                                   metrics[f'{subsets[0]}/{METRIC}'])
    return row


def format_table(rows: List[dict], subsets: Sequence[str]) -> str:
    """A Markdown table: recognizer | input | subsets... | avg."""
    cols = list(subsets) + ['avg']
    lines = [
        '| recognizer | input | ' + ' | '.join(cols) + ' |',
        '|---|---|' + '---:|' * len(cols),
    ]
    for row in rows:
        cells = ' | '.join(f'{row["acc"][c]:.2f}' for c in cols)
        lines.append(f'| {row["recognizer"]} | {row["input"]} | {cells} |')
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> str:
    args = parse_args(argv)
    init_default_scope('mmocr')
    batches, metainfo, size = load_batches(args.data_root, args.subsets,
                                           args.batch_size)
    inputs = [('LR', None, None),
              ('Bicubic', dict(type='Bicubic', scale_factor=2), None)]
    inputs += [(s[0], s[1], s[2] if len(s) > 2 else None) for s in args.sr]
    inputs.append(('HR', None, None))
    rows = []
    for rec in args.recognizer:
        for name, sr, sr_ckpt in inputs:
            cfg = dict(
                type='SRRecognizerCascade',
                recognizer=rec[1],
                recognizer_checkpoint=rec[2] if len(rec) > 2 else None,
                generator=sr,
                generator_checkpoint=sr_ckpt)
            acc = word_accuracy(cfg, batches, metainfo, size, args.subsets,
                                name == 'HR')
            rows.append(dict(recognizer=rec[0], input=name, acc=acc))
    table = format_table(rows, args.subsets)
    print(table)
    if args.out:
        mmengine.dump(rows, args.out, indent=2)
    return table


if __name__ == '__main__':
    main()
