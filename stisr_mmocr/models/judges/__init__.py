from .recognizer_reader import (RecognizerReader, build_recognizer,
                                load_model_config, reader_spec_from_pipeline)
from .text_recog_judge import TextRecogJudge

__all__ = [
    'RecognizerReader', 'TextRecogJudge', 'build_recognizer',
    'load_model_config', 'reader_spec_from_pipeline'
]
