# TextZoom (LMDB): train = train1 + train2 (17,367 pairs);
# test = easy (1,619) / medium (1,411) / hard (1,343).
# Layout: data/textzoom/{train1,train2,test/easy,test/medium,test/hard}.
# Datasets only: evaluators are in ../evaluators/.
_base_ = ['./textzoom_pipelines.py']

textzoom_data_root = 'data/textzoom'
textzoom_subsets = ['easy', 'medium', 'hard']

textzoom_train = dict(
    type='ConcatDataset',
    datasets=[
        dict(
            type='TextZoomDataset',
            data_root=f'{textzoom_data_root}/{split}',
            max_len=30,
            pipeline={{_base_.textzoom_train_pipeline}})
        for split in ('train1', 'train2')
    ])

textzoom_test = dict(
    type='ConcatDataset',
    datasets=[
        dict(
            type='TextZoomDataset',
            data_root=f'{textzoom_data_root}/test/{subset}',
            test_mode=True,
            pipeline={{_base_.textzoom_test_pipeline}})
        for subset in textzoom_subsets
    ])

train_dataloader = dict(
    batch_size=48,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=textzoom_train)

val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=textzoom_test)
test_dataloader = val_dataloader
