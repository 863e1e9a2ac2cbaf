# MMOCR's NRTR reading the TextZoom LR images directly (no SR front end).
_base_ = ['_base_nrtr.py', '_base_textzoom.py']

test_evaluator = dict(metrics=_base_.text_metrics)
val_evaluator = test_evaluator
