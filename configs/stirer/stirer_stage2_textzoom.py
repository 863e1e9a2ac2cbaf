# Stage 2 (train_ft.py): fine-tuning on TextZoom train1 + train2 from the
# stage-1 weights (the network of a stage-1 checkpoint of this project,
# model.generator.init_cfg, loaded strictly; for the authors' plain stage-1
# state dict set model.generator.init_cfg.prefix=None), batch 48, 500 epochs,
# AdamW 5e-5 with the SR heads at 1e-3, every group set to half the first
# group's rate (2.5e-5) after epoch 201, the text focus loss as the pixel
# loss of every step, LR images randomly down-scaled before their resize
# (training only), validation every 100 iterations, the best checkpoint by
# the unweighted mean of the subsets' final-step word accuracy.
# The text focus loss needs Scene Text Telescope's recognizer and confusion
# table: set model.img_loss.recognizer_checkpoint=.../pretrain_transformer.pth
# and model.img_loss.confusion_file=.../confuse.pkl; without them only its
# MSE term is used (a warning says so).
_base_ = ['stirer_stage1_synth-mjst.py']

model = dict(generator=dict(init_cfg=dict(type='StrictPretrained',
                                          checkpoint='checkpoints/'
                                          'stirer_stage1.pth',
                                          prefix='generator.')),
             img_loss=dict(_delete_=True,
                           type='TextFocusLoss',
                           recognizer_checkpoint=None,
                           confusion_file=None))

train_dataloader = dict(
    _delete_=True,
    batch_size=48,
    num_workers=16,
    persistent_workers=True,
    drop_last=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ConcatDataset',
                 datasets=[
                     dict(type='TextZoomDataset',
                          data_root=f'data/textzoom/{split}',
                          max_len=20,
                          min_len=1,
                          pipeline={{_base_.stirer_textzoom_train_pipeline}})
                     for split in ('train1', 'train2')
                 ]))

optim_wrapper = dict(
    optimizer=dict(lr=5e-5),
    paramwise_cfg=dict(custom_keys=dict(upsample=dict(lr_mult=20.),
                                        conv_after_body=dict(lr_mult=20.))))
# 500 official epochs of floor(17,367 / 48) = 361 batches (drop_last),
# validated every 100 iterations
official_epoch = 361
train_cfg = dict(max_iters=500 * official_epoch, val_interval=100)
param_scheduler = [
    dict(type='MultiStepSharedLR',
         milestones=[201 * official_epoch],
         gamma=0.5,
         by_epoch=False)
]
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=3610))
