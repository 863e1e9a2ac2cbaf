# A CPU-sized STIRER (2 one-block stages, one-block recognition heads,
# 1 + 2 T5 layers) trained for 100 iterations of batch 8 on the generated
# synthetic TextZoom (tools/dataset_converters/synth_textzoom.py), then
# validated per step:
#   python tools/train.py configs/stirer/stirer_synthetic-textzoom_demo.py
_base_ = [
    '_base_stirer.py',
    '../_base_/datasets/synthetic_textzoom.py',
    '../_base_/evaluators/synthetic_textzoom.py',
    '../_base_/default_runtime.py',
]

model = dict(generator=dict(depths=(1, 1),
                            num_heads=(6, 6),
                            rec_head=dict(rec_embed_dim=96,
                                          rec_depth=1,
                                          rec_num_heads=3),
                            decoder=dict(num_layers=1,
                                         num_decoder_layers=2)))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-2),
    paramwise_cfg=dict(custom_keys=dict(upsample=dict(lr_mult=5.),
                                        conv_after_body=dict(lr_mult=5.))))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=100, val_interval=100)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
default_hooks = dict(logger=dict(type='LoggerHook', interval=10),
                     checkpoint=dict(type='CheckpointHook',
                                     interval=100,
                                     by_epoch=False,
                                     save_best=None))
log_processor = dict(by_epoch=False)
train_dataloader = dict(batch_size=8)

# steps 0, 1: the two stages; step 2: the final step
val_evaluator = dict(metrics=[
    dict(type=t, step=k) for k in range(3)
    for t in ('TextAccuracy', 'PSNR', 'SSIM')
])
test_evaluator = val_evaluator
