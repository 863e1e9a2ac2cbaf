"""Parts of TATT's text prior interpreter (``mjq11302010044/TATT``
``model/tsrn.py`` ``TPInterpreter``, ``model/transformer_v2.py``)."""
from .info_transformer import InfoTransformer
from .sine_positional_encoding import SinePositionalEncoding
from .tp_interpreter import TPInterpreter

__all__ = ['InfoTransformer', 'SinePositionalEncoding', 'TPInterpreter']
