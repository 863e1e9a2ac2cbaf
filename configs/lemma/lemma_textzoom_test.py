# The authors' LEMMA-release.pth on the TextZoom test subsets, as their
# `python main.py --test` evaluates it (interfaces/super_resolution.py
# test / eval): batches of 64 (the yaml's batch_size), PSNR / SSIM per
# batch on the raw (unclamped) output, the CRNN judge (meijieru's crnn.pth)
# reading the raw output resized bicubically to 100x32 and turned gray.
# The release file is the dict their save_checkpoint writes; its
# state_dict_G loads strictly into the network through init_cfg:
#   python tools/test.py configs/lemma/lemma_textzoom_test.py
_base_ = [
    '_base_lemma.py',
    '../_base_/datasets/textzoom.py',
    '../_base_/evaluators/textzoom_tpgsr.py',
    '../_base_/default_runtime.py',
]

model = dict(generator=dict(
    init_cfg=dict(type='StrictPretrained',
                  checkpoint='checkpoints/LEMMA-release.pth')))
_metrics = [
    dict(type='PSNR', protocol='per_batch', batch_size=64, clamp=False),
    dict(type='SSIM', protocol='per_batch', batch_size=64, clamp=False),
    dict(type='JudgeAccuracy',
         judges=dict(crnn={{_base_.crnn_judge}}),
         clamp=False),
]
test_evaluator = dict(metrics=_metrics)
test_dataloader = dict(batch_size=64)
test_cfg = dict(type='TestLoop')
train_dataloader = None
train_cfg = None
optim_wrapper = None
val_dataloader = None
val_cfg = None
val_evaluator = None
