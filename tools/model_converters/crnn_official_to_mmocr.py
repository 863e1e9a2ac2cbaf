"""Convert meijieru/crnn.pytorch's ``crnn.pth`` to MMOCR's CRNN.

The TextZoom judge (``configs/judges/crnn_textzoom.py``) is MMOCR's
``CRNN`` with a ``MiniVGG`` backbone and an RNN ``CRNNDecoder``; both
reproduce the official layers one to one, so the keys only get a new prefix:

- ``cnn.*`` (``conv0..6``, ``batchnorm2/4/6``) -> ``backbone.cnn.*``
- ``rnn.{0,1}.{rnn,embedding}.*`` -> ``decoder.decoder.{0,1}.*``

The official classifier (``rnn.1.embedding``) has 37 classes: the CTC blank
at 0 and ``0-9a-z`` at 1..36. MMOCR puts the blank at the dictionary's
padding index, so the classifier rows are permuted to the judge dictionary.

Usage: ``python tools/model_converters/crnn_official_to_mmocr.py IN OUT``
"""
import argparse
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List

import torch
from mmengine.config import Config

from mmocr.models.common.dictionary import Dictionary
from mmocr.registry import TASK_UTILS

ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'
JUDGE_CONFIG = str(
    Path(__file__).resolve().parents[2] / 'configs' / 'judges' /
    'crnn_textzoom.py')
CLASSIFIER = 'rnn.1.embedding'
BN_LAYERS = (2, 4, 6)
# nn.LSTM parameters in registration order
LSTM_PARAMS = tuple(f'{kind}_{part}_l0{direction}'
                    for direction in ('', '_reverse')
                    for kind in ('weight', 'bias') for part in ('ih', 'hh'))


def _key_map() -> Dict[str, str]:
    """Official key -> MMOCR key, in module order."""
    key_map = {}
    for i in range(7):
        for name in ('weight', 'bias'):
            key_map[f'cnn.conv{i}.{name}'] = f'backbone.cnn.conv{i}.{name}'
        if i in BN_LAYERS:
            for name in ('weight', 'bias', 'running_mean', 'running_var',
                         'num_batches_tracked'):
                key_map[f'cnn.batchnorm{i}.{name}'] = \
                    f'backbone.cnn.batchnorm{i}.{name}'
    for j in range(2):
        for name in LSTM_PARAMS:
            key_map[f'rnn.{j}.rnn.{name}'] = f'decoder.decoder.{j}.rnn.{name}'
        for name in ('weight', 'bias'):
            key_map[f'rnn.{j}.embedding.{name}'] = \
                f'decoder.decoder.{j}.embedding.{name}'
    return key_map


def build_judge_dictionary(config: str = JUDGE_CONFIG) -> Dictionary:
    """Build the ``Dictionary`` of the judge model config."""
    return TASK_UTILS.build(Config.fromfile(config).model.decoder.dictionary)


def class_order(dictionary: Dictionary) -> List[int]:
    """Official class index for every MMOCR class index.

    The official blank (0) goes to ``dictionary.padding_idx`` and official
    class ``k >= 1`` (``ALPHABET[k - 1]``) to that character's index.
    """
    if (dictionary.padding_idx is None
            or dictionary.num_classes != len(ALPHABET) + 1):
        raise ValueError('The dictionary must hold the 36 characters '
                         f'{ALPHABET!r} and a padding token (CTC blank), got '
                         f'{dictionary.dict}')
    order = [0] * dictionary.num_classes
    for k, char in enumerate(ALPHABET, start=1):
        order[dictionary.char2idx(char)] = k
    return order


def convert_crnn(official_state_dict: dict,
                 config: str = JUDGE_CONFIG) -> OrderedDict:
    """Convert an official CRNN state dict to the judge model's layout.

    Args:
        official_state_dict (dict): State dict of meijieru's ``CRNN(32, 1,
            37, 256)``; ``num_batches_tracked`` may be absent (checkpoints
            from PyTorch < 0.4) and is then set to 0.
        config (str): Judge model config whose dictionary fixes the class
            order. Defaults to ``configs/judges/crnn_textzoom.py``.

    Returns:
        OrderedDict: State dict for MMOCR's ``CRNN`` built from ``config``.
    """
    key_map = _key_map()
    optional = {k for k in key_map if k.endswith('num_batches_tracked')}
    missing = sorted(set(key_map) - optional - set(official_state_dict))
    unexpected = sorted(set(official_state_dict) - set(key_map))
    if missing or unexpected:
        raise KeyError(f'Not an official CRNN state dict: missing keys '
                       f'{missing}, unexpected keys {unexpected}')

    order = torch.tensor(class_order(build_judge_dictionary(config)))
    converted = OrderedDict()
    for old_key, new_key in key_map.items():
        if old_key in official_state_dict:
            value = official_state_dict[old_key]
        else:
            value = torch.tensor(0, dtype=torch.long)
        if old_key.startswith(CLASSIFIER):
            if value.size(0) != len(order):
                raise ValueError(f'{old_key} has {value.size(0)} classes, '
                                 f'expected {len(order)}')
            value = value[order]
        converted[new_key] = value
    return converted


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
    checkpoint = torch.load(args.src, map_location='cpu', weights_only=True)
    if 'state_dict' in checkpoint:
        checkpoint = checkpoint['state_dict']
    dictionary = build_judge_dictionary(args.config)
    meta = dict(
        source='meijieru/crnn.pytorch crnn.pth',
        config=args.config,
        dictionary=dictionary.dict,
        blank_idx=dictionary.padding_idx)
    state_dict = convert_crnn(checkpoint, args.config)
    Path(args.dst).parent.mkdir(parents=True, exist_ok=True)
    torch.save(dict(state_dict=state_dict, meta=meta), args.dst)
    print(f'Saved {len(state_dict)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
