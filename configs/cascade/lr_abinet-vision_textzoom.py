# MMOCR's ABINet-vision reading the TextZoom LR images (no SR front end).
_base_ = ['_base_abinet-vision.py', '_base_textzoom.py']

test_evaluator = dict(metrics=_base_.text_metrics)
val_evaluator = test_evaluator
