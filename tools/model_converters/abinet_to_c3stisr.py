"""Extract the language model of an MMOCR ABINet checkpoint for C3-STISR.

C3-STISR's linguistic clue uses ABINet's bidirectional cloze language model
(MMOCR's ``ABILanguageDecoder``, run over CRNN's 26 CTC frames by
``CTCLanguageModel``). MMOCR's released ABINet checkpoints keep it under
``decoder.language_decoder.``; this tool checks those keys strictly against
the language model of a C3-STISR config and saves them alone (a few MB
instead of the whole recognizer), to be loaded with::

    language_model=dict(checkpoint='checkpoints/abinet_lm.pth',
                        checkpoint_prefix='')

(``CTCLanguageModel`` also loads the full ABINet checkpoint directly, with
the default ``checkpoint_prefix='decoder.language_decoder.'``.)

Usage: ``python tools/model_converters/abinet_to_c3stisr.py IN OUT
[--config CONFIG]``
"""
import argparse
import copy
from collections import OrderedDict
from pathlib import Path
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmocr.registry import MODELS

import stisr_mmocr  # noqa: F401
from stisr_mmocr.engine import read_checkpoint
from stisr_mmocr.models.layers.c3stisr import ABINET_PREFIX, extract_weights

C3STISR_CONFIG = str(
    Path(__file__).resolve().parents[2] / 'configs' / 'c3stisr' /
    'c3stisr_textzoom.py')


def language_model_config(config: str = C3STISR_CONFIG) -> dict:
    """The language model dict of a C3-STISR config, without weights."""
    cfg = Config.fromfile(config).model.clue_generator.linguistic
    if cfg is None:
        raise ValueError(f'{config} has no linguistic clue')
    lm_cfg = copy.deepcopy(cfg.language_model.to_dict())
    lm_cfg['checkpoint'] = None
    return lm_cfg


def convert_abinet_language_model(
        abinet_state_dict: dict,
        lm_cfg: Optional[dict] = None) -> 'OrderedDict[str, torch.Tensor]':
    """Take ABINet's language model weights for C3-STISR, strictly.

    Args:
        abinet_state_dict (dict): State dict of MMOCR's ``ABINet``.
        lm_cfg (dict, optional): ``CTCLanguageModel`` config the weights are
            checked against. Defaults to that of
            ``configs/c3stisr/c3stisr_textzoom.py``.

    Returns:
        OrderedDict: The language model's weights, without prefix.

    Raises:
        KeyError: Listing missing and unexpected keys on a mismatch.
    """
    init_default_scope('mmocr')
    lm = MODELS.build(lm_cfg or language_model_config())
    return extract_weights(abinet_state_dict, ABINET_PREFIX, lm)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract the language model of an MMOCR ABINet '
        'checkpoint for C3-STISR')
    parser.add_argument('src', help='MMOCR ABINet checkpoint (path or URL)')
    parser.add_argument('dst', help='output language model checkpoint')
    parser.add_argument(
        '--config',
        default=C3STISR_CONFIG,
        help='C3-STISR config whose language model the weights must fit')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    checkpoint = read_checkpoint(args.src)
    state_dict = checkpoint.get('state_dict', checkpoint)
    weights = convert_abinet_language_model(state_dict,
                                            language_model_config(args.config))
    Path(args.dst).parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        dict(
            state_dict=weights,
            meta=dict(source=args.src, prefix=ABINET_PREFIX)), args.dst)
    print(f'Saved {len(weights)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
