# TSRN / TPGSR / C3-STISR: Adam, lr 1e-3, beta1 0.5, 500 epochs.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999)))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=500, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [dict(type='ConstantLR', factor=1.0)]
