"""TATT checkpoints (``mjq11302010044/TATT``, ``--arch tatt``) in the layout
of ``RecognizerGuidedSR`` / ``TATT`` with ``TATTNet``.

TATT's ``save_checkpoint`` writes ``model_best_acc_{i}.pth`` per SR network
(``{'state_dict_G': ...}``; one with ``--sr_share``) and
``recognizer_best_acc_{i}.pth`` per stage (a bare state dict of meijieru's
CRNN). Key map of ``TSRN_TL_TRANS``:

- the TSRN part (``block{k}``, ``stn_head``): :func:`tsrn_key_map`;
- ``infoGen.*`` -> ``tp_interpreter.*``, inside it
  ``transformer.encoder.layers`` -> ``transformer.encoder_layers``,
  ``transformer.decoder.layers`` -> ``transformer.decoder_layers``,
  ``transformer.decoder.norm`` -> ``transformer.decoder_norm``,
  ``transformer.gru_encoding`` -> ``transformer.query_gru``; the class axis
  of ``fc_in.weight`` is permuted from TATT's order (blank 0, ``0-9a-z``)
  to the student's, as the CRNN classifier is;
- dropped, since the official forward never uses them:
  ``infoGen.fc_feature_in``, the decoder layers' ``self_attn`` and
  ``norm1``; dropped after a check: ``infoGen.pe.pe`` (the sinusoid table,
  recomputed) and the constant TPS buffers.
"""
import re
from collections import OrderedDict
from typing import Sequence

import torch
from mmocr.models.common.dictionary import Dictionary

from ..models.layers.tatt import SinePositionalEncoding
from .tpgsr import convert_guided
from .tsrn import TPS_BUFFERS, tsrn_key_map

_INTERPRETER_RENAMES = (
    (re.compile(r'transformer\.encoder\.layers\.'),
     'transformer.encoder_layers.'),
    (re.compile(r'transformer\.decoder\.layers\.'),
     'transformer.decoder_layers.'),
    (re.compile(r'transformer\.decoder\.norm\.'), 'transformer.decoder_norm.'),
    (re.compile(r'transformer\.gru_encoding\.'), 'transformer.query_gru.'),
)
_UNUSED = re.compile(r'fc_feature_in\.|'
                     r'transformer\.decoder\.layers\.\d+\.(self_attn|norm1)\.')


def check_position_table(table: torch.Tensor) -> None:
    """Raise a ``ValueError`` unless ``infoGen.pe.pe`` is the sinusoid table
    that ``SinePositionalEncoding`` recomputes."""
    expected = SinePositionalEncoding(table.shape[-1], 0.,
                                      table.shape[-2]).pe
    if table.shape != expected.shape or not torch.allclose(
            table.float(), expected, atol=1e-5):
        raise ValueError('infoGen.pe.pe is not the sinusoidal position table '
                         f'of d_model {table.shape[-1]}; the converted model '
                         'would not compute what the checkpoint did')


def convert_tatt_generator(state: dict, order: Sequence[int],
                           prefix: str) -> 'OrderedDict[str, torch.Tensor]':
    """One ``TSRN_TL_TRANS`` state dict under ``prefix``.

    Args:
        state (dict): ``state_dict_G`` of ``model_best_acc_{i}.pth``.
        order (Sequence[int]): Official class index of every class of the
            students (:func:`class_order`).
        prefix (str): ``'generator.'`` or ``'generator.{i}.'``.

    Returns:
        OrderedDict: The converted tensors.

    Raises:
        KeyError: Keys outside the ``TSRN_TL_TRANS`` layout, listed.
        ValueError: A position table that is not the sinusoid one.
    """
    key_map = tsrn_key_map(state, prefix=prefix)
    tps = {f'tps.{name}' for name in TPS_BUFFERS}
    converted, unexpected = OrderedDict(), []
    for key, value in state.items():
        if key in key_map:
            converted[key_map[key]] = value
        elif key == 'infoGen.pe.pe':
            check_position_table(value)
        elif key.startswith('infoGen.'):
            name = key[len('infoGen.'):]
            if _UNUSED.match(name):
                continue
            for pattern, new in _INTERPRETER_RENAMES:
                name = pattern.sub(new, name, count=1)
            if name == 'fc_in.weight':
                value = value[:, torch.tensor(order)]
            converted[prefix + 'tp_interpreter.' + name] = value
        elif key not in tps:
            unexpected.append(key)
    if unexpected:
        raise KeyError(f'keys outside the TSRN_TL_TRANS layout: {unexpected}')
    return converted


def convert_tatt(sr_checkpoints: Sequence[dict],
                 recognizer_checkpoints: Sequence[dict],
                 dictionary: Dictionary) -> 'OrderedDict[str, torch.Tensor]':
    """Convert TATT's ``model_best_acc_{i}.pth`` and
    ``recognizer_best_acc_{i}.pth`` (see :func:`convert_guided`)."""
    return convert_guided(sr_checkpoints, recognizer_checkpoints, dictionary,
                          convert_tatt_generator)
