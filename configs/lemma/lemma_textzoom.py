# LEMMA trained on TextZoom with the official recipe (main.py,
# config/super_resolution.yaml, interfaces/base.py optimizer_init,
# interfaces/super_resolution.py): batch 64 with drop_last, labels kept
# with case and punctuation (str_filt 'all'); one Adam (0.5, 0.999) at 1e-3
# and 1e-4 for the guidance reader (position_prior), every parameter's
# gradient clipped to one norm of 0.25; StepLR(400 epochs, 0.5) over 500
# epochs of 271 iterations; validation every 400 iterations, the best by
# the CRNN judge (mean over easy / medium / hard, as the sum ranks them).
# ABINet's pretrained vision / language models start the guidance reader.
#   python tools/train.py configs/lemma/lemma_textzoom.py --cfg-options \
#       model.text_focus_loss.recognizer_checkpoint=STT \
#       model.text_focus_loss.confusion_file=CONFUSE
# (STT: Scene Text Telescope's pretrain_transformer.pth, CONFUSE: its
# confuse.pkl; without them only the MSE term of the text focus loss is on)
_base_ = [
    '_base_lemma.py',
    '../_base_/datasets/textzoom.py',
    '../_base_/evaluators/textzoom_tpgsr.py',
    '../_base_/default_runtime.py',
]

model = dict(
    vision_checkpoint='checkpoints/abinet/best-pretrain-vision-model.pth',
    language_checkpoint='checkpoints/abinet/pretrain-language-model.pth')
_metrics = [
    dict(type='PSNR', protocol='per_batch', batch_size=64, clamp=False),
    dict(type='SSIM', protocol='per_batch', batch_size=64, clamp=False),
    dict(type='JudgeAccuracy',
         judges=dict(crnn={{_base_.crnn_judge}}),
         clamp=False),
]
val_evaluator = dict(metrics=_metrics)
test_evaluator = val_evaluator
train_dataloader = dict(
    batch_size=64,
    drop_last=True,
    dataset=dict(datasets=[
        dict(type='TextZoomDataset',
             data_root=f'data/textzoom/{split}',
             max_len=30,
             voc_type='all',
             pipeline={{_base_.textzoom_train_pipeline}})
        for split in ('train1', 'train2')
    ]))
val_dataloader = dict(batch_size=64)
test_dataloader = val_dataloader
iters_per_epoch = 271  # 17,367 pairs / 64
optim_wrapper = dict(
    type='OptimWrapper',
    clip_grad=dict(max_norm=0.25),
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.5, 0.999)),
    paramwise_cfg=dict(custom_keys={'position_prior': dict(lr_mult=0.1)}))
train_cfg = dict(type='IterBasedTrainLoop',
                 max_iters=500 * iters_per_epoch,
                 val_interval=400)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='MultiStepLR',
         by_epoch=False,
         milestones=[400 * iters_per_epoch],
         gamma=0.5)
]
log_processor = dict(by_epoch=False)
default_hooks = dict(checkpoint=dict(by_epoch=False,
                                     interval=400,
                                     save_best='mean/crnn_word_acc',
                                     rule='greater'))
