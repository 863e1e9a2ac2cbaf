# TSRN trained through a frozen CRNN on the generated synthetic TextZoom: the
# CRNN's CTC loss on the SR output (x 0.01: unweighted, it swamps the pixel
# loss from a random start) plus TSRN's pixel loss against HR. The CRNN is the
# one configs/judges/crnn_synthetic-textzoom_train.py trains.
_base_ = [
    '../_base_/datasets/synthetic_textzoom.py',
    '../_base_/evaluators/synthetic_textzoom.py', '_base_cascade.py'
]

model = dict(
    type='SRRecognizerCascade',
    generator='{{fileDirname}}/../tsrn/_base_tsrn.py',
    recognizer='{{fileDirname}}/../judges/crnn_textzoom.py',
    recognizer_checkpoint='work_dirs/crnn_synthetic-textzoom_train/'
    'iter_1200.pth',
    freeze_generator=False,
    freeze_recognizer=True,
    recog_loss_weight=0.01,
    pixel_loss=dict(type='TextImageLoss', mse_weight=1., gradient_weight=1e-4))

val_evaluator = dict(metrics=_base_.image_metrics + _base_.text_metrics)
test_evaluator = val_evaluator

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999)))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1200, val_interval=1200)
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
default_hooks = dict(
    logger=dict(interval=50), checkpoint=dict(by_epoch=False, interval=300))
log_processor = dict(by_epoch=False)
