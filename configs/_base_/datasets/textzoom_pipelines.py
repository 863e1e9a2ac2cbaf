# LR/HR pipelines of the TextZoom protocol: PIL bicubic resize of LR to
# 64x16 and HR to 128x32, then the binary text mask as a fourth channel
# (the `--mask` flag of TSRN / TPGSR / C3-STISR / STIRER).
textzoom_train_pipeline = [
    dict(type='DecodeTextImages', names=('hr', 'lr')),
    dict(type='ResizeLRHR', lr_hw=(16, 64), hr_hw=(32, 128)),
    dict(type='AddMaskChannel'),
    dict(type='PackTextSRInputs'),
]
textzoom_test_pipeline = textzoom_train_pipeline

# MJ/ST crops: LR made on the fly (STIRER's stage 1).
synth_degrade_pipeline = [
    dict(type='DecodeTextImages', names=('hr', )),
    dict(type='RandomDegrade', scales=(1, 2, 3, 4)),
    dict(type='ResizeLRHR', lr_hw=(16, 64), hr_hw=(32, 128)),
    dict(type='AddMaskChannel'),
    dict(type='PackTextSRInputs'),
]

# STIRER's official stage-1 degradation (train.py: dataset.py with
# utils/augment.py on timm's RandAugment, then LRSTR_collect_fn): on 80% of
# the crops, two of the three quality ops drawn without replacement, each
# then applied with probability 0.5 at magnitude 5, at the crop's own
# resolution; then the collate's random bicubic down-scaling; then the
# fixed LR / HR resizes.
stirer_synth_degrade_pipeline = [
    dict(type='DecodeTextImages', names=('hr', )),
    dict(type='CopyImage', src='img_hr', dst='img_lr'),
    dict(type='RandomApplyN',
         num=2,
         prob=0.8,
         transforms=[
             dict(type='QualityGaussianBlur', prob=0.5, magnitude=5),
             dict(type='QualityMotionBlur', prob=0.5, magnitude=5),
             dict(type='QualityPoissonNoise', prob=0.5, magnitude=5),
         ]),
    dict(type='RandomDownscale', factors=(1, 2, 3, 4), small_factors=(1, 2, 3)),
    dict(type='ResizeLRHR', lr_hw=(16, 64), hr_hw=(32, 128)),
    dict(type='AddMaskChannel'),
    dict(type='PackTextSRInputs'),
]

# STIRER's official stage-2 training (train_ft.py): the collate's random
# down-scaling of the real LR image before its 64x16 resize. Training only:
# the official evaluation resizes LR images directly.
stirer_textzoom_train_pipeline = [
    dict(type='DecodeTextImages', names=('hr', 'lr')),
    dict(type='RandomDownscale', factors=(1, 2, 3, 4), small_factors=(1, 2, 3)),
    dict(type='ResizeLRHR', lr_hw=(16, 64), hr_hw=(32, 128)),
    dict(type='AddMaskChannel'),
    dict(type='PackTextSRInputs'),
]
