# Stage 1 (train.py): MJ + ST crops degraded on the fly, batch 256, 8 epochs,
# AdamW 1e-4 with the SR heads (parameters named *upsample* or
# *conv_after_body*) at 5e-4, learning rate halved after epoch 5, validated
# on the TextZoom test subsets.
# Data: data/mjst/ST and data/mjst/MJ/MJ_train (recognition LMDBs with
# label-%09d / image-%09d), data/textzoom/test/{easy,medium,hard}.
_base_ = [
    '_base_stirer.py',
    '../_base_/datasets/textzoom.py',
    '../_base_/default_runtime.py',
]

mjst_root = 'data/mjst'
train_dataloader = dict(
    batch_size=256,
    num_workers=16,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ConcatDataset',
                 datasets=[
                     dict(type='SynthRecogLMDBDataset',
                          data_root=f'{mjst_root}/{split}',
                          max_len=20,
                          pipeline={{_base_.synth_degrade_pipeline}})
                     for split in ('ST', 'MJ/MJ_train')
                 ]))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-2),
    paramwise_cfg=dict(custom_keys=dict(upsample=dict(lr_mult=5.),
                                        conv_after_body=dict(lr_mult=5.))))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# train.py halves the learning rate after epoch index 4. (It sets every
# group to half the base rate, so its SR heads drop to 5e-5; MultiStepLR
# keeps their 5x ratio.)
param_scheduler = [
    dict(type='MultiStepLR', milestones=[5], gamma=0.5, by_epoch=True)
]

# word accuracy (T5 reading), PSNR and SSIM of the final step, then per step
# k = 0..3 (k < 3: the stages' CTC reading and SR; k = 3: the final step).
val_evaluator = dict(
    metrics=[dict(type='TextAccuracy'),
             dict(type='PSNR'),
             dict(type='SSIM')] + [
                 dict(type=t, step=k) for k in range(4)
                 for t in ('TextAccuracy', 'PSNR', 'SSIM')
             ])
test_evaluator = val_evaluator
default_hooks = dict(logger=dict(type='LoggerHook', interval=100),
                     checkpoint=dict(save_best='avg/word_acc', rule='greater'))
