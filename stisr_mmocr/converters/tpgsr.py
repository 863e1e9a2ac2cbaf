"""TPGSR checkpoints (``mjq11302010044/TPGSR``, ``--arch tsrn_tl_cascade``)
in the layout of ``RecognizerGuidedSR`` with ``TPGSRNet``.

TPGSR's ``save_checkpoint`` writes, per SR network, ``model_best_{i}.pth``
(``{'state_dict_G': ...}``; one file with ``--sr_share``) and, per stage,
``recognizer_best_{i}.pth`` (a bare state dict of meijieru's CRNN, the
stage's student). Key map:

- the TSRN part (``block{k}``, ``stn_head``): :func:`tsrn_key_map` under
  ``generator.`` (``generator.{i}.`` for separate SR networks);
- ``infoGen.*`` -> ``generator.info_gen.*``; its first transposed
  convolution's input axis is the class axis, permuted from TPGSR's order
  (blank 0, ``0-9a-z``) to the student's (MMOCR's: blank at the padding
  index), as the CRNN classifier is;
- the students: :func:`convert_crnn` under ``student.`` (``student.{i}.``
  for several);
- the constant TPS buffers are dropped (``TPSSpatialTransformer`` recomputes
  them).
"""
from collections import OrderedDict
from typing import Callable, Sequence

import torch
from mmocr.models.common.dictionary import Dictionary

from .crnn import class_order, convert_crnn
from .tsrn import TPS_BUFFERS, official_state_dict, tsrn_key_map


def convert_tpgsr_generator(state: dict, order: Sequence[int],
                            prefix: str) -> 'OrderedDict[str, torch.Tensor]':
    """One ``TSRN_TL`` state dict under ``prefix``.

    Args:
        state (dict): ``state_dict_G`` of ``model_best_{i}.pth``.
        order (Sequence[int]): Official class index of every class of the
            students (:func:`class_order`).
        prefix (str): ``'generator.'`` or ``'generator.{i}.'``.

    Returns:
        OrderedDict: The converted tensors.

    Raises:
        KeyError: Keys outside the ``TSRN_TL`` layout, listed.
    """
    key_map = tsrn_key_map(state, prefix=prefix)
    tps = {f'tps.{name}' for name in TPS_BUFFERS}
    converted, unexpected = OrderedDict(), []
    for key, value in state.items():
        if key in key_map:
            converted[key_map[key]] = value
        elif key.startswith('infoGen.'):
            if key == 'infoGen.tconv1.weight':
                value = value[torch.tensor(order)]
            converted[prefix + 'info_gen.' + key[len('infoGen.'):]] = value
        elif key not in tps:
            unexpected.append(key)
    if unexpected:
        raise KeyError(f'keys outside the TSRN_TL layout: {unexpected}')
    return converted


def convert_guided(sr_checkpoints: Sequence[dict],
                   recognizer_checkpoints: Sequence[dict],
                   dictionary: Dictionary,
                   convert_generator: Callable[[dict, Sequence[int], str],
                                               dict]
                   ) -> 'OrderedDict[str, torch.Tensor]':
    """Convert the SR and student checkpoints of a TPGSR-code-base run
    (TPGSR, TATT) to ``RecognizerGuidedSR``.

    Args:
        sr_checkpoints (Sequence[dict]): The loaded SR checkpoints
            (``{'state_dict_G': ...}`` or bare state dicts), one per SR
            network, in order.
        recognizer_checkpoints (Sequence[dict]): The loaded student
            checkpoints (bare CRNN state dicts), one per stage, in order.
        dictionary (Dictionary): The students' dictionary (class order).
        convert_generator (Callable): ``(state, order, prefix)`` -> the
            converted SR network (e.g. :func:`convert_tpgsr_generator`).

    Returns:
        OrderedDict: The state dict of the model (no teacher).
    """
    order = class_order(dictionary)
    converted = OrderedDict()
    for i, checkpoint in enumerate(sr_checkpoints):
        prefix = 'generator.' if len(sr_checkpoints) == 1 else \
            f'generator.{i}.'
        try:
            converted.update(
                convert_generator(
                    official_state_dict(checkpoint, f'SR checkpoint {i}'),
                    order, prefix))
        except (KeyError, ValueError) as err:
            raise type(err)(f'SR checkpoint {i}: {err}') from err
    for i, checkpoint in enumerate(recognizer_checkpoints):
        prefix = 'student.' if len(recognizer_checkpoints) == 1 else \
            f'student.{i}.'
        try:
            student = convert_crnn(
                official_state_dict(checkpoint, f'recognizer checkpoint {i}'),
                dictionary)
        except KeyError as err:
            raise KeyError(f'recognizer checkpoint {i}: {err}') from err
        converted.update((prefix + k, v) for k, v in student.items())
    return converted


def convert_tpgsr(sr_checkpoints: Sequence[dict],
                  recognizer_checkpoints: Sequence[dict],
                  dictionary: Dictionary) -> 'OrderedDict[str, torch.Tensor]':
    """Convert TPGSR's ``model_best_{i}.pth`` and ``recognizer_best_{i}.pth``
    (see :func:`convert_guided`)."""
    return convert_guided(sr_checkpoints, recognizer_checkpoints, dictionary,
                          convert_tpgsr_generator)
