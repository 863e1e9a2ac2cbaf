# Stage 1 of C3-STISR's multi-stage training: the language model of the
# linguistic clue learns spelling recovery. Words of a corpus (any text
# file; '' = the synthetic TextZoom generator's word list) are mutated
# (replace / insert / delete), laid out as random CTC alignments of CRNN's
# 26 frames, read as noisy logits and corrected; CTC against the clean word.
# Later stages load the result with
#   language_model=dict(checkpoint='<work_dir>/iter_20000.pth',
#                       checkpoint_prefix='language_model.')
_base_ = [
    '_base_c3stisr.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_adam_iter.py',
]

word_corpus = ''

model = dict(
    _delete_=True,
    type='C3LMPretrainer',
    language_model={{_base_.language_model}},  # random weights
    dictionary={{_base_.crnn_dictionary}},
    loss=dict(type='TextCTCLoss', dictionary={{_base_.crnn_dictionary}}),
    confidence=(1., 6.),
    noise_std=1.)

word_pipeline = [
    dict(type='MutateSpelling', word_prob=0.9, char_prob=0.1),
    dict(
        type='SampleCTCPath',
        dictionary={{_base_.crnn_dictionary}},
        num_frames=26),
    dict(type='PackWordInputs'),
]

train_dataloader = dict(
    batch_size=48,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='WordCorpusDataset',
        ann_file=word_corpus,
        max_len=20,
        pipeline=word_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='WordCorpusDataset',
        ann_file=word_corpus,
        max_len=20,
        test_mode=True,
        pipeline=word_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='WordMetric', mode=['exact'])
test_evaluator = val_evaluator

train_cfg = dict(max_iters=20000, val_interval=2000)
default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=2000, by_epoch=False, save_best=None))
log_processor = dict(by_epoch=False)
