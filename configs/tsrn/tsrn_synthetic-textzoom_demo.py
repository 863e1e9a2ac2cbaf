# TSRN trained for 300 iterations on the generated synthetic TextZoom
# (CPU-sized); the README's demo command runs it.
_base_ = [
    '_base_tsrn.py',
    '../_base_/datasets/synthetic_textzoom.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_adam_iter.py',
]
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=300, by_epoch=False, save_best=None))
log_processor = dict(by_epoch=False)
