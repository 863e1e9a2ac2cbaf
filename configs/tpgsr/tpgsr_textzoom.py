# TPGSR, one stage, trained and tested on TextZoom with the official recipe
# (train_TPGSR-TSRN.sh, config/super_resolution.yaml): batch 48 with
# drop_last, Adam 1e-3 (0.5, 0.999), the SR network clipped to 0.25,
# validation every 200 iterations, the best checkpoint by the CRNN judge
# (summed over easy / medium / hard: mean/ ranks alike); PSNR / SSIM per
# batch of 48 on the raw output (the TPGSR-family protocol).
#   python tools/train.py configs/tpgsr/tpgsr_textzoom.py
#   python tools/test.py configs/tpgsr/tpgsr_textzoom.py CKPT
# (CKPT: tools/model_converters/tpgsr_official_to_mmocr.py on the authors'
# model_best_0.pth and recognizer_best_0.pth, or a checkpoint of this run)
_base_ = [
    '_base_tpgsr.py',
    '../_base_/datasets/textzoom.py',
    '../_base_/evaluators/textzoom_tpgsr.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_tpgsr_iter.py',
]

train_dataloader = dict(batch_size=48, drop_last=True)
val_dataloader = dict(batch_size={{_base_.test_batch_size}})
test_dataloader = val_dataloader
log_processor = dict(by_epoch=False)
# one Adam over the SR network and the students; the SR network's gradient
# norm clipped to 0.25, the students' not
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'student': dict(clip_grad=False)}))
default_hooks = dict(checkpoint=dict(by_epoch=False,
                                     interval=200,
                                     save_best='mean/crnn_word_acc',
                                     rule='greater'))
