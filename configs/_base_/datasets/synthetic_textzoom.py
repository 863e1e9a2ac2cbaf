# Synthetic TextZoom written by tools/dataset_converters/synth_textzoom.py
# (same layout as TextZoom): data/synthetic_textzoom/{train1,train2,
# test/easy,test/medium,test/hard}. Datasets only: evaluators are in
# ../evaluators/.
_base_ = ['./textzoom_pipelines.py']

synthetic_data_root = 'data/synthetic_textzoom'
textzoom_subsets = ['easy', 'medium', 'hard']

synthetic_train = dict(
    type='ConcatDataset',
    datasets=[
        dict(
            type='TextZoomDataset',
            data_root=f'{synthetic_data_root}/{split}',
            max_len=30,
            pipeline={{_base_.textzoom_train_pipeline}})
        for split in ('train1', 'train2')
    ])

synthetic_test = dict(
    type='ConcatDataset',
    datasets=[
        dict(
            type='TextZoomDataset',
            data_root=f'{synthetic_data_root}/test/{subset}',
            test_mode=True,
            pipeline={{_base_.textzoom_test_pipeline}})
        for subset in textzoom_subsets
    ])

train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=synthetic_train)

val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=synthetic_test)
test_dataloader = val_dataloader
