# MMOCR's recognition test sets (OCRDataset: JSON annotations + image files,
# as MMOCR's dataset preparer writes them under data/). Each crop is resized
# (bicubic) to the LR size 64x16, the mask channel is added, and the cascade
# reads it; WordMetric / CharMetric per test set.
_base_ = [
    'mmocr::textrecog/_base_/datasets/cute80.py',
    'mmocr::textrecog/_base_/datasets/iiit5k.py',
    'mmocr::textrecog/_base_/datasets/svt.py',
    'mmocr::textrecog/_base_/datasets/svtp.py',
    'mmocr::textrecog/_base_/datasets/icdar2013.py',
    'mmocr::textrecog/_base_/datasets/icdar2015.py',
    '_base_cascade.py',
]

lr_crop_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadOCRAnnotations', with_text=True),
    dict(type='RecogImgToLR'),
    dict(type='ResizeLRHR', lr_hw=(16, 64)),
    dict(type='AddMaskChannel'),
    dict(type='PackTextSRInputs'),
]

test_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            _base_.cute80_textrecog_test, _base_.iiit5k_textrecog_test,
            _base_.svt_textrecog_test, _base_.svtp_textrecog_test,
            _base_.icdar2013_textrecog_test, _base_.icdar2015_textrecog_test
        ],
        pipeline=lr_crop_pipeline))
val_dataloader = test_dataloader

test_evaluator = dict(
    type='MultiDatasetsEvaluator',
    metrics=_base_.text_metrics,
    dataset_prefixes=['CUTE80', 'IIIT5K', 'SVT', 'SVTP', 'IC13', 'IC15'])
val_evaluator = test_evaluator

train_dataloader = None  # test configs; see *_train.py for training
