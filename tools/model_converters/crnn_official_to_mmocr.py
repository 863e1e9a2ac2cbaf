"""Convert meijieru/crnn.pytorch's ``crnn.pth`` to MMOCR's CRNN.

The TextZoom judge (``configs/judges/crnn_textzoom.py``) is MMOCR's
``CRNN`` with a ``MiniVGG`` backbone and an RNN ``CRNNDecoder``; the key map
and the class order are :mod:`stisr_mmocr.converters.crnn`'s: the keys get
the MMOCR prefixes and the classifier rows move the CTC blank from 0 to the
judge dictionary's padding index.

Usage: ``python tools/model_converters/crnn_official_to_mmocr.py IN OUT
[--config CONFIG]``
"""
import argparse
from pathlib import Path

import torch
from mmengine.config import Config
from mmocr.models.common.dictionary import Dictionary
from mmocr.registry import TASK_UTILS

from stisr_mmocr.converters import convert_crnn, official_state_dict
from stisr_mmocr.engine import load_checkpoint_safely

JUDGE_CONFIG = str(
    Path(__file__).resolve().parents[2] / 'configs' / 'judges' /
    'crnn_textzoom.py')


def build_judge_dictionary(config: str = JUDGE_CONFIG) -> Dictionary:
    """Build the ``Dictionary`` of the judge model config."""
    return TASK_UTILS.build(Config.fromfile(config).model.decoder.dictionary)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert meijieru/crnn.pytorch crnn.pth to MMOCR CRNN')
    parser.add_argument('src', help='official checkpoint (crnn.pth)')
    parser.add_argument('dst', help='output MMOCR checkpoint')
    parser.add_argument(
        '--config',
        default=JUDGE_CONFIG,
        help='judge model config whose dictionary fixes the class order')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    checkpoint = load_checkpoint_safely(args.src, map_location='cpu')
    checkpoint = official_state_dict(checkpoint.get('state_dict', checkpoint),
                                     args.src)
    dictionary = build_judge_dictionary(args.config)
    meta = dict(
        source='meijieru/crnn.pytorch crnn.pth',
        config=args.config,
        dictionary=dictionary.dict,
        blank_idx=dictionary.padding_idx)
    state_dict = convert_crnn(checkpoint, dictionary)
    Path(args.dst).parent.mkdir(parents=True, exist_ok=True)
    torch.save(dict(state_dict=state_dict, meta=meta), args.dst)
    print(f'Saved {len(state_dict)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
