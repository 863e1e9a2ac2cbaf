# TSRN on TextZoom with the official recipe of the TPGSR-family loops
# (TextZoom / TPGSR interfaces/super_resolution.py, flags --STN --mask
# --gradient): image loss x100 (ImageLoss weights [1, 1e-4] inside), the
# gradient norm clipped to 0.25 every step, Adam 1e-3 (0.5, 0.999), batch 48
# with drop_last, validation every 200 iterations, the best checkpoint by the
# CRNN judge's accuracy summed over easy / medium / hard (mean/ ranks alike),
# PSNR / SSIM per batch of 48 on the raw output.
_base_ = [
    '_base_tsrn.py',
    '../_base_/datasets/textzoom.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_tpgsr_iter.py',
    '../_base_/evaluators/textzoom_tpgsr.py',
]
train_dataloader = dict(batch_size=48, drop_last=True)
val_dataloader = dict(batch_size={{_base_.test_batch_size}})
test_dataloader = val_dataloader
default_hooks = dict(
    checkpoint=dict(
        by_epoch=False,
        interval=200,
        save_best='mean/crnn_word_acc',
        rule='greater'))
log_processor = dict(by_epoch=False)
