# TSRN on the generated synthetic TextZoom, CPU-sized, with the official
# recipe (x100 image loss, gradient norm clipped to 0.25, Adam 1e-3 (0.5,
# 0.999)); `make demo` (tools/demo.py) runs it.
_base_ = [
    '_base_tsrn.py',
    '../_base_/datasets/synthetic_textzoom.py',
    '../_base_/evaluators/synthetic_textzoom.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_tpgsr_iter.py',
]
train_dataloader = dict(batch_size=16, drop_last=True)
train_cfg = dict(max_iters=300, val_interval=300)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=300, by_epoch=False, save_best=None))
log_processor = dict(by_epoch=False)
