from .recog_input import prepare_recog_input, recognizer_logits
from .text_recog_judge import TextRecogJudge, build_recognizer

__all__ = [
    'TextRecogJudge', 'build_recognizer', 'prepare_recog_input',
    'recognizer_logits'
]
