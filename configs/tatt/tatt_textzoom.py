# TATT trained and tested on TextZoom with the official recipe
# (train_TATT.sh, config/super_resolution.yaml): batch 64 with drop_last,
# Adam 1e-3 (0.5, 0.999), the SR network clipped to 0.25, 500 epochs,
# validation every 400 iterations, the best checkpoint by the CRNN judge
# (the authors validate with ASTER, which this toolbox does not hold);
# PSNR / SSIM per batch of 50 (test_TATT.sh) on the raw output (the
# TPGSR-family protocol). The second official run fine-tunes the best
# checkpoint at lr 2e-4: tatt_finetune_textzoom.py.
#   python tools/train.py configs/tatt/tatt_textzoom.py
#   python tools/test.py configs/tatt/tatt_textzoom.py CKPT
# (CKPT: tools/model_converters/tatt_official_to_mmocr.py on the authors'
# model_best_acc_0.pth and recognizer_best_acc_0.pth, or a checkpoint of
# this run)
_base_ = [
    '_base_tatt.py',
    '../_base_/datasets/textzoom.py',
    '../_base_/evaluators/textzoom_tpgsr.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_tpgsr_iter.py',
]

test_batch_size = 50
_metrics = [
    dict(type='PSNR', protocol='per_batch', batch_size=50, clamp=False),
    dict(type='SSIM', protocol='per_batch', batch_size=50, clamp=False),
    dict(type='JudgeAccuracy',
         judges=dict(crnn={{_base_.crnn_judge}}),
         clamp=False),
]
val_evaluator = dict(metrics=_metrics)
test_evaluator = val_evaluator
train_dataloader = dict(batch_size=64, drop_last=True)
val_dataloader = dict(batch_size=test_batch_size)
test_dataloader = val_dataloader
# 17,367 pairs / 64 = 271 iterations an epoch
train_cfg = dict(max_iters=500 * 271, val_interval=400)
log_processor = dict(by_epoch=False)
# one Adam over the SR network and the student; the SR network's gradient
# norm clipped to 0.25, the student's not
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'student': dict(clip_grad=False)}))
default_hooks = dict(checkpoint=dict(by_epoch=False,
                                     interval=400,
                                     save_best='mean/crnn_word_acc',
                                     rule='greater'))
