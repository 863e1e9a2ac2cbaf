"""meijieru/crnn.pytorch's CRNN (the TextZoom judge) in MMOCR's layout.

MMOCR's ``CRNN`` with a ``MiniVGG`` backbone and an RNN ``CRNNDecoder``
reproduces the official layers one to one, so the keys only get a new
prefix:

- ``cnn.*`` (``conv0..6``, ``batchnorm2/4/6``) -> ``backbone.cnn.*``
- ``rnn.{0,1}.{rnn,embedding}.*`` -> ``decoder.decoder.{0,1}.*``

The official classifier (``rnn.1.embedding``) has 37 classes: the CTC blank
at 0 and ``0-9a-z`` at 1..36. MMOCR puts the blank at the dictionary's
padding index, so the classifier rows are permuted to the dictionary.
"""
from collections import OrderedDict
from typing import Dict, List

import torch
from mmocr.models.common.dictionary import Dictionary

ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'
CLASSIFIER = 'rnn.1.embedding'
BN_LAYERS = (2, 4, 6)
# nn.LSTM parameters in registration order
LSTM_PARAMS = tuple(f'{kind}_{part}_l0{direction}'
                    for direction in ('', '_reverse')
                    for kind in ('weight', 'bias') for part in ('ih', 'hh'))


def crnn_key_map() -> Dict[str, str]:
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


def class_order(dictionary: Dictionary) -> List[int]:
    """Official class index for every MMOCR class index.

    The official blank (0) goes to ``dictionary.padding_idx`` and official
    class ``k >= 1`` (``ALPHABET[k - 1]``) to that character's index.

    Args:
        dictionary (Dictionary): The recognizer's dictionary.

    Returns:
        list[int]: ``num_classes`` official indices.
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
                 dictionary: Dictionary) -> 'OrderedDict[str, torch.Tensor]':
    """Convert an official CRNN state dict to MMOCR's CRNN.

    Args:
        official_state_dict (dict): State dict of meijieru's ``CRNN(32, 1,
            37, 256)``; ``num_batches_tracked`` may be absent (checkpoints
            from PyTorch < 0.4) and is then set to 0.
        dictionary (Dictionary): The target recognizer's dictionary, which
            fixes the class order.

    Returns:
        OrderedDict: State dict of MMOCR's ``CRNN``.

    Raises:
        KeyError: Missing or unexpected keys, listed.
        ValueError: The classifier does not have 37 classes.
    """
    key_map = crnn_key_map()
    optional = {k for k in key_map if k.endswith('num_batches_tracked')}
    missing = sorted(set(key_map) - optional - set(official_state_dict))
    unexpected = sorted(set(official_state_dict) - set(key_map))
    if missing or unexpected:
        raise KeyError(f'Not an official CRNN state dict: missing keys '
                       f'{missing}, unexpected keys {unexpected}')

    order = torch.tensor(class_order(dictionary))
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
