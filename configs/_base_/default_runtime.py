default_scope = 'mmocr'
custom_imports = dict(imports=['stisr_mmocr'], allow_failed_imports=False)
# MMOCR's shipped tools/train.py and tools/test.py (and `mim train/test`)
# build this runner too: checkpoints are checked before the datasets are
# built and load strictly; test applies the weights named in init_cfg.
runner_type = 'mmocr.StrictRunner'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))
randomness = dict(seed=0)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        interval=1,
        save_best='avg/PSNR_per_image',
        rule='greater',
        max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    # Off by default; `tools/test.py --show-dir DIR` turns it on and writes
    # one LR | SR | HR picture per test sample.
    visualization=dict(type='TextSRVisualizationHook', enable=False),
)
visualizer = dict(type='TextSRLocalVisualizer', name='visualizer')
log_processor = dict(type='LogProcessor', window_size=10, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
