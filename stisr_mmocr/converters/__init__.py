"""Key maps of the authors' checkpoints, shared by the converters in
``tools/model_converters/`` and their tests."""
from .crnn import ALPHABET, class_order, convert_crnn, crnn_key_map
from .tatt import convert_tatt, convert_tatt_generator
from .tpgsr import convert_guided, convert_tpgsr, convert_tpgsr_generator
from .tsrn import (TPS_BUFFERS, convert_tsrn, official_state_dict,
                   tsrn_key_map)

__all__ = [
    'ALPHABET', 'TPS_BUFFERS', 'class_order', 'convert_crnn', 'convert_guided',
    'convert_tatt', 'convert_tatt_generator', 'convert_tpgsr',
    'convert_tpgsr_generator', 'convert_tsrn', 'crnn_key_map',
    'official_state_dict', 'tsrn_key_map'
]
