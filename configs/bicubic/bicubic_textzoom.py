# Bicubic up-sampling on TextZoom (test only).
_base_ = [
    '../_base_/datasets/textzoom.py',
    '../_base_/evaluators/textzoom_tpgsr.py',
    '../_base_/default_runtime.py',
]
model = dict(type='Bicubic', scale_factor=2)
train_dataloader = None
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
