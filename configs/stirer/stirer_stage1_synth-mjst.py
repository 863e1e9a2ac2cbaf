# Stage 1 (train.py): MJ + ST crops degraded on the fly as the authors do
# (stirer_synth_degrade_pipeline; the project's RandomDegrade is the
# synth_degrade_pipeline option), batch 256, 8 epochs, AdamW 1e-4 with the
# SR heads (parameters named *upsample* or *conv_after_body*) at 5e-4, every
# group set to half the first group's rate after epoch 5, validated on the
# TextZoom test subsets every 500 iterations, the best checkpoint by the
# unweighted mean of the subsets' final-step word accuracy.
# Labels: filtered as the official code reads them (filter_text); empty
# ones (min_len=1) and ones over 20 characters are skipped and counted by
# the dataset, not replaced by a neighbour as in the official loader.
# Data: data/mjst/ST and data/mjst/MJ/MJ_train (recognition LMDBs with
# label-%09d / image-%09d), data/textzoom/test/{easy,medium,hard}.
# Starting from weights in the official layout (a plain state dict of the
# authors' STIRER):
#   --cfg-options model.generator.init_cfg.type=StrictPretrained \
#       model.generator.init_cfg.checkpoint=PATH
_base_ = [
    '_base_stirer.py',
    '../_base_/datasets/textzoom.py',
    '../_base_/evaluators/textzoom_per_image.py',
    '../_base_/default_runtime.py',
]

mjst_root = 'data/mjst'
train_dataloader = dict(
    batch_size=256,
    num_workers=16,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ConcatDataset',
                 datasets=[
                     dict(type='SynthRecogLMDBDataset',
                          data_root=f'{mjst_root}/{split}',
                          max_len=20,
                          min_len=1,
                          pipeline={{_base_.stirer_synth_degrade_pipeline}})
                     for split in ('ST', 'MJ/MJ_train')
                 ]))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-2),
    paramwise_cfg=dict(custom_keys=dict(upsample=dict(lr_mult=5.),
                                        conv_after_body=dict(lr_mult=5.))))
# train.py validates every 500 iterations inside its epochs; mmengine's
# EpochBasedTrainLoop validates between epochs only, so the loop counts
# iterations: 8 official epochs of floor((5,522,807 ST + 7,224,586 MJ_train)
# / 256) = 49,794 batches (drop_last).
official_epoch = 49794
train_cfg = dict(type='IterBasedTrainLoop',
                 max_iters=8 * official_epoch,
                 val_interval=500)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# After epoch index 4, train.py sets every group to half the first group's
# rate: the SR heads drop from 5e-4 to 5e-5 (MultiStepLR would keep 5x).
param_scheduler = [
    dict(type='MultiStepSharedLR',
         milestones=[5 * official_epoch],
         gamma=0.5,
         by_epoch=False)
]
log_processor = dict(by_epoch=False)

# As train.py's eval: word accuracy of the final (T5) reading, which keeps
# the best checkpoint, per-image PSNR / SSIM of the raw (unclamped) SR
# images and the CRNN judge reading the raw final SR image in gray at
# 128x32 (textzoom_per_image.py); then per step k = 0..3 (k < 3: the
# stages' CTC reading and SR; k = 3: the final step).
per_image = dict(protocol='per_image', clamp=False)
val_evaluator = dict(metrics=[
    dict(type='TextAccuracy'),
    dict(type='PSNR', **per_image),
    dict(type='SSIM', **per_image),
    dict(type='JudgeAccuracy',
         judges=dict(crnn={{_base_.crnn_judge}}),
         clamp=False),
] + [
    dict(type=t, step=k, **extra) for k in range(4)
    for t, extra in (('TextAccuracy', {}), ('PSNR', per_image),
                     ('SSIM', per_image))
])
test_evaluator = val_evaluator
default_hooks = dict(logger=dict(type='LoggerHook', interval=100),
                     checkpoint=dict(by_epoch=False,
                                     interval=5000,
                                     save_best='mean/word_acc',
                                     rule='greater'))
