# TextZoom test subsets read through a cascade: the LR image goes in; PSNR /
# SSIM of the SR output and MMOCR's WordMetric / CharMetric of the text, per
# subset (easy / medium / hard) and over all samples (avg/...).
_base_ = [
    '../_base_/datasets/textzoom.py', '../_base_/evaluators/textzoom_per_image.py',
    '_base_cascade.py'
]

test_evaluator = dict(
    type='TextZoomEvaluator',
    metrics=_base_.image_metrics + _base_.text_metrics)
val_evaluator = test_evaluator

train_dataloader = None  # test configs; see *_train.py for training
