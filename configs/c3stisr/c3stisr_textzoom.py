# C3-STISR on TextZoom, the paper's design (see _base_c3stisr.py; the
# authors' released network is c3stisr_release_textzoom.py) with the
# TPGSR-family recipe: batch 48 with drop_last, Adam 1e-3 (0.5, 0.999), the
# SR network's gradient norm clipped to 0.25 (the recognizer R is not),
# the first quarter of each batch trained without its clue,
# validation every 100 iterations (C3-STISR's valInterval), the best
# checkpoint by the CRNN judge's accuracy over the subsets, PSNR / SSIM per
# batch of 48 on the raw output.
_base_ = [
    '_base_c3stisr.py',
    '../_base_/datasets/textzoom.py',
    '../_base_/evaluators/textzoom_tpgsr.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_tpgsr_iter.py',
]

# TPGSR's prior dropout: the first quarter of every batch has no clue
model = dict(clue_drop_ratio=0.25)
train_dataloader = dict(batch_size=48, drop_last=True)
val_dataloader = dict(batch_size={{_base_.test_batch_size}})
test_dataloader = val_dataloader
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'recognizer.': dict(clip_grad=False)}))
train_cfg = dict(val_interval=100)
default_hooks = dict(
    checkpoint=dict(
        by_epoch=False,
        interval=100,
        save_best='mean/crnn_word_acc',
        rule='greater'))
log_processor = dict(by_epoch=False)
