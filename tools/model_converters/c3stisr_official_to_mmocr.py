"""Convert the C3-STISR release to ``C3STISRRelease``.

Reads the authors' SR checkpoint ``model_best_0.pth`` (TPGSR's layout: a dict
with ``state_dict_G``, or a bare state dict; a DataParallel ``module.``
prefix is stripped) and the fine-tuned student ``recognizer_best_0.pth``
(meijieru's CRNN layout, CTC blank at 0), and writes one mmengine
checkpoint ``{'state_dict': ...}`` that ``C3STISRRelease`` loads strictly.

Key map (official -> ours):

- the TSRN part (``block1`` ... ``block{n+3}``, ``stn_head``): TSRN's map
  (``stisr_mmocr.converters.tsrn_key_map``) under ``generator.``
- ``infoGen.*`` -> ``generator.info_gen.*``
- ``lm.proj.weight``, ``lm.cls.*`` -> ``language_model.proj.weight``,
  ``language_model.cls.*``
- ``lm.{token,pos}_encoder.pe`` (T, 1, E) ->
  ``language_model.{token,pos}_encoder.position_table`` (1, T, E)
- ``lm.model.layers.{i}.multihead_attn.*`` ->
  ``language_model.decoder_layers.{i}.attentions.0.attn.*``;
  ``linear1`` -> ``ffns.0.layers.0.0``, ``linear2`` -> ``ffns.0.layers.1``,
  ``norm2`` -> ``norms.0``, ``norm3`` -> ``norms.1``
- the student: ``stisr_mmocr.converters.convert_crnn``, under ``student.``

Class order: the release works in meijieru's order (blank 0, ``0-9a-z`` at
1..36), the student in MMOCR's (blank at the padding index 36), so the
class axis of ``infoGen.tconv1.weight`` (input channels), ``lm.proj.weight``
(columns) and ``lm.cls`` (rows) is permuted as the CRNN classifier is.

Dropped: the constant TPS buffers (``tps.inverse_kernel``,
``tps.padding_matrix``, ``tps.target_coordinate_repr``,
``tps.target_control_points``; recomputed by ``TPSSpatialTransformer``) and
every part that reaches neither the output nor a training loss
(:data:`DEAD_PREFIXES`: the fused clue ``hint`` and the modules never
called). Any other key, a missing key or a shape mismatch raises a
``KeyError`` listing them, and nothing is written.

Usage: ``python tools/model_converters/c3stisr_official_to_mmocr.py SR_CKPT
OUT --recognizer REC_CKPT [--config CONFIG]``
"""
import argparse
import copy
import re
from collections import OrderedDict
from pathlib import Path
from typing import Callable, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmocr.registry import MODELS

import stisr_mmocr  # noqa: F401
from stisr_mmocr.converters import (TPS_BUFFERS, class_order, convert_crnn,
                                    official_state_dict, tsrn_key_map)
from stisr_mmocr.engine import load_checkpoint_safely

REPO_ROOT = Path(__file__).resolve().parents[2]

CONFIG = str(REPO_ROOT / 'configs' / 'c3stisr' / 'c3stisr_release_textzoom.py')
#: Modules of ``TSRN_TL(triple_clues=True)`` whose results never reach the
#: output or a loss (``model/tsrn.py`` L391-404 and L424-441).
DEAD_PREFIXES = ('dsta_rec.', 'dsta_vis.', 'dsta_ling.', 'gated.',
                 'down_conv.', 'infoGen_ling.', 'infoGen_visual.',
                 'vis_rec_fuser.', 'correction_model.')
LM_LAYER_PARTS = {
    'multihead_attn': 'attentions.0.attn',
    'linear1': 'ffns.0.layers.0.0',
    'linear2': 'ffns.0.layers.1',
    'norm2': 'norms.0',
    'norm3': 'norms.1',
}

Transform = Callable[[torch.Tensor], torch.Tensor]


def sr_key_rules(
        order: List[int]) -> List[Tuple[str, str, Optional[Transform]]]:
    """(official regex, our replacement, tensor transform) of the SR
    checkpoint's keys outside the TSRN part, first match wins."""
    index = torch.tensor(order)
    rows = lambda t: t[index]  # noqa: E731
    columns = lambda t: t[:, index]  # noqa: E731
    table = lambda t: t.permute(1, 0, 2)  # noqa: E731
    rules = [
        (r'^infoGen\.tconv1\.weight$', 'generator.info_gen.tconv1.weight',
         rows),
        (r'^infoGen\.', 'generator.info_gen.', None),
        (r'^lm\.proj\.weight$', 'language_model.proj.weight', columns),
        (r'^lm\.cls\.', 'language_model.cls.', rows),
        (r'^lm\.(token|pos)_encoder\.pe$',
         r'language_model.\1_encoder.position_table', table),
    ]
    rules += [(rf'^lm\.model\.layers\.(\d+)\.{old}\.',
               rf'language_model.decoder_layers.\1.{new}.', None)
              for old, new in LM_LAYER_PARTS.items()]
    return rules


def build_target_model(config: str = CONFIG) -> nn.Module:
    """The ``C3STISRRelease`` of ``config``, without checkpoints."""
    init_default_scope('mmocr')
    cfg = copy.deepcopy(Config.fromfile(config).model)
    cfg.student_checkpoint = None
    cfg.teacher_checkpoint = None
    cfg.language_model.checkpoint = None
    return MODELS.build(cfg)


def convert_c3stisr(
        sr_state_dict: dict,
        recognizer_state_dict: dict,
        model: Optional[nn.Module] = None) -> 'OrderedDict[str, torch.Tensor]':
    """Convert the release's SR and student state dicts.

    Args:
        sr_state_dict (dict): ``state_dict_G`` of ``model_best_0.pth``.
        recognizer_state_dict (dict): ``recognizer_best_0.pth``.
        model (nn.Module, optional): The ``C3STISRRelease`` the result must
            fit (keys and shapes, class order). Defaults to the one of
            :data:`CONFIG`.

    Returns:
        OrderedDict: The state dict for ``model.load_state_dict(...,
        strict=True)``.

    Raises:
        KeyError: Listing unexpected official keys, missing keys and shape
            mismatches.
    """
    model = model if model is not None else build_target_model()
    expected = model.state_dict()
    order = class_order(model.student.decoder.dictionary)
    rules = sr_key_rules(order)
    sr_state_dict = official_state_dict(sr_state_dict, 'SR checkpoint')
    try:
        tsrn_map = tsrn_key_map(sr_state_dict, prefix='generator.')
    except KeyError as err:
        raise KeyError(f'SR checkpoint: {err}') from err
    tps = {f'tps.{name}' for name in TPS_BUFFERS}

    converted = OrderedDict()
    unexpected, sources = [], {}
    for key, value in sr_state_dict.items():
        if key.startswith(DEAD_PREFIXES) or key in tps:
            continue
        if key in tsrn_map:
            converted[tsrn_map[key]] = value
            sources[tsrn_map[key]] = key
            continue
        for pattern, repl, transform in rules:
            if re.match(pattern, key):
                new_key = re.sub(pattern, repl, key)
                converted[new_key] = transform(value) if transform else value
                sources[new_key] = key
                break
        else:
            unexpected.append(f'{key} (SR checkpoint)')
    try:
        student = convert_crnn(
            official_state_dict(recognizer_state_dict,
                                'recognizer checkpoint'),
            model.student.decoder.dictionary)
    except KeyError as err:
        raise KeyError(f'recognizer checkpoint: {err}') from err
    for key, value in student.items():
        converted[f'student.{key}'] = value
        sources[f'student.{key}'] = f'{key} (recognizer checkpoint)'

    unexpected += [
        f'{sources[k]} -> {k}' for k in converted if k not in expected
    ]
    missing = [k for k in expected if k not in converted]
    mismatched = [
        f'{sources[k]} -> {k}: {tuple(v.shape)} vs {tuple(expected[k].shape)}'
        for k, v in converted.items()
        if k in expected and v.shape != expected[k].shape
    ]
    if unexpected or missing or mismatched:
        lines = ['The checkpoints do not match C3STISRRelease:']
        for title, items in (('unexpected keys', unexpected),
                             ('missing keys', missing), ('shape mismatches',
                                                         mismatched)):
            if items:
                lines.append(f'{title} ({len(items)}):')
                lines += [f'  {item}' for item in items]
        raise KeyError('\n'.join(lines))
    return OrderedDict((k, converted[k]) for k in expected)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert the C3-STISR release (model_best_0.pth and '
        'recognizer_best_0.pth) to C3STISRRelease')
    parser.add_argument('src', help='SR checkpoint (model_best_0.pth)')
    parser.add_argument('dst', help='output mmengine checkpoint')
    parser.add_argument('--recognizer',
                        required=True,
                        help='fine-tuned student CRNN (recognizer_best_0.pth)')
    parser.add_argument('--config',
                        default=CONFIG,
                        help='C3STISRRelease config the weights must fit')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    state_dict = convert_c3stisr(
        load_checkpoint_safely(args.src, map_location='cpu'),
        load_checkpoint_safely(args.recognizer, map_location='cpu'),
        build_target_model(args.config))
    Path(args.dst).parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        dict(state_dict=state_dict,
             meta=dict(source=dict(sr=args.src, recognizer=args.recognizer),
                       config=args.config)), args.dst)
    print(f'Saved {len(state_dict)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
