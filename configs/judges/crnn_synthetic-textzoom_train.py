# MMOCR's CRNN in the TextZoom protocol (crnn_textzoom.py: gray 100x32, 37
# classes) trained on the HR images of the generated synthetic TextZoom
# (train1 + train2) and validated on the HR images of its test subsets. Its
# weights read LR / Bicubic / SR images in tools/analysis_tools/recog_table.py
# and serve as the frozen recognizer of the cascade training config.
_base_ = ['./crnn_textzoom.py', '../_base_/default_runtime.py']

synthetic_data_root = 'data/synthetic_textzoom'
textzoom_subsets = ['easy', 'medium', 'hard']

hr_recog_pipeline = [
    dict(type='DecodeTextImages', names=('hr', )),
    dict(type='TextZoomToRecog', source='hr', color_type='grayscale'),
    dict(
        type='Resize',
        scale=(100, 32),
        keep_ratio=False,
        interpolation='bicubic'),
    dict(
        type='PackTextRecogInputs',
        meta_keys=('img_path', 'ori_shape', 'img_shape', 'valid_ratio')),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(
                type='TextZoomDataset',
                data_root=f'{synthetic_data_root}/{split}',
                max_len=25) for split in ('train1', 'train2')
        ],
        pipeline=hr_recog_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ConcatDataset',
        datasets=[
            dict(
                type='TextZoomDataset',
                data_root=f'{synthetic_data_root}/test/{subset}',
                test_mode=True) for subset in textzoom_subsets
        ],
        pipeline=hr_recog_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(
    type='TextZoomEvaluator',
    dataset_prefixes=textzoom_subsets,
    metrics=[
        dict(type='WordMetric', mode=['ignore_case_symbol']),
        dict(type='CharMetric'),
    ])
test_evaluator = val_evaluator

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=1200, val_interval=400)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(
        by_epoch=False,
        interval=400,
        save_best='avg/recog/word_acc_ignore_case_symbol'))
log_processor = dict(by_epoch=False)
