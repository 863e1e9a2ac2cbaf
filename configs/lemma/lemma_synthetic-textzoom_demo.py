# LEMMA trained for 20 iterations on the generated synthetic TextZoom: a CPU
# demo of the pipeline (the full network; no ABINet or text focus weights,
# so the guidance reader starts random and only the MSE term of the text
# focus loss is on).
_base_ = [
    '_base_lemma.py',
    '../_base_/datasets/synthetic_textzoom.py',
    '../_base_/evaluators/synthetic_textzoom.py',
    '../_base_/default_runtime.py',
]

train_dataloader = dict(batch_size=8, drop_last=True)
optim_wrapper = dict(
    type='OptimWrapper',
    clip_grad=dict(max_norm=0.25),
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999)),
    paramwise_cfg=dict(custom_keys={'position_prior': dict(lr_mult=0.1)}))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20, val_interval=20)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(interval=20, by_epoch=False, save_best=None))
log_processor = dict(by_epoch=False)
