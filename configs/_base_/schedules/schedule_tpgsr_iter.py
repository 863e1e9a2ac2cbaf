# The TPGSR-family training loop (TextZoom's, TPGSR's and C3-STISR's
# interfaces/super_resolution.py): Adam lr 1e-3 with beta1 0.5, the SR
# network's gradient norm clipped to 0.25 at every step, 500 epochs of
# TextZoom (17,367 pairs, batch 48, drop_last: 361 iterations an epoch),
# validation every 200 iterations (valInterval).
optim_wrapper = dict(
    type='GroupClipOptimWrapper',
    clip_grad=dict(max_norm=0.25),
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999)))
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=500 * 361, val_interval=200)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
