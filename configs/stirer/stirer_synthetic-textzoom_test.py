# Evaluation at TextZoom's size on generated data: STIRER (release
# architecture) on 1,619 / 1,411 / 1,343 synthetic test pairs (easy / medium
# / hard, TextZoom's subset sizes) with PSNR, SSIM and the CRNN judge, the
# work the authors' test.py does per checkpoint. It times the whole
# evaluation through the runner; the figures only mean something with
# trained weights (model.generator.init_cfg.type=StrictPretrained and
# model.generator.init_cfg.checkpoint=..., or a checkpoint of the model as
# tools/test.py's CHECKPOINT; the judge's checkpoint).
#   python tools/dataset_converters/synth_textzoom.py \
#       data/synthetic_textzoom_full --num-train 0 --num-test 1619
#   python tools/test.py configs/stirer/stirer_synthetic-textzoom_test.py
_base_ = [
    '_base_stirer.py',
    '../_base_/datasets/synthetic_textzoom.py',
    '../_base_/evaluators/synthetic_textzoom.py',
    '../_base_/default_runtime.py',
]

data_root = 'data/synthetic_textzoom_full'
subset_sizes = dict(easy=1619, medium=1411, hard=1343)

train_dataloader = None
val_dataloader = None
val_evaluator = None
test_cfg = dict(type='TestLoop')
test_dataloader = dict(
    batch_size=256,
    num_workers=2,
    dataset=dict(datasets=[
        dict(type='TextZoomDataset',
             data_root=f'{data_root}/test/{subset}',
             indices=size,
             test_mode=True,
             pipeline={{_base_.textzoom_test_pipeline}})
        for subset, size in subset_sizes.items()
    ]))
test_evaluator = dict(metrics=[
    dict(type='PSNR', protocol='per_image', clamp=False),
    dict(type='SSIM', protocol='per_image', clamp=False),
    dict(type='JudgeAccuracy',
         clamp=False,
         judges=dict(
             crnn=dict(type='TextRecogJudge',
                       recognizer='{{fileDirname}}/../judges/crnn_textzoom.py',
                       checkpoint=None))),
])
