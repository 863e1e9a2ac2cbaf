# LR/HR pipelines of the TextZoom protocol: PIL bicubic resize of LR to
# 64x16 and HR to 128x32, then the binary text mask as a fourth channel
# (the `--mask` flag of TSRN / TPGSR / C3-STISR / STIRER).
textzoom_train_pipeline = [
    dict(type='DecodeTextImages', names=('hr', 'lr')),
    dict(type='ResizeLRHR', lr_size=(64, 16), hr_size=(128, 32)),
    dict(type='AddMaskChannel'),
    dict(type='PackTextSRInputs'),
]
textzoom_test_pipeline = textzoom_train_pipeline

# MJ/ST crops: LR made on the fly (STIRER's stage 1).
synth_degrade_pipeline = [
    dict(type='DecodeTextImages', names=('hr', )),
    dict(type='RandomDegrade', scales=(1, 2, 3, 4)),
    dict(type='ResizeLRHR', lr_size=(64, 16), hr_size=(128, 32)),
    dict(type='AddMaskChannel'),
    dict(type='PackTextSRInputs'),
]
