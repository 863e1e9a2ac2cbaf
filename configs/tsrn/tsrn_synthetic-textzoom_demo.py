# `make demo` (tools/demo.py): a CPU-sized TSRN on the generated synthetic
# TextZoom with the official recipe (x100 image loss, gradient norm clipped
# to 0.25, Adam 1e-3 (0.5, 0.999), drop_last). Sized to beat Bicubic in
# about 9 minutes on 2 cores: 32 feature channels and 3 residual blocks
# instead of 64 and 5, no STN (it only warps training inputs and slows the
# first iterations), batch 16, 1,500 iterations, validated every 250 for
# the learning curve. The full TSRN is configs/tsrn/tsrn_textzoom.py.
_base_ = [
    '_base_tsrn.py',
    '../_base_/datasets/synthetic_textzoom.py',
    '../_base_/evaluators/synthetic_textzoom.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_tpgsr_iter.py',
]
model = dict(hidden_channels=32, num_blocks=3, use_stn=False)
train_dataloader = dict(batch_size=16, drop_last=True)
train_cfg = dict(max_iters=1500, val_interval=250)
default_hooks = dict(
    logger=dict(interval=50, log_metric_by_epoch=False),
    checkpoint=dict(interval=1500, by_epoch=False, save_best=None))
log_processor = dict(by_epoch=False)
# scalars (with the validation metrics) in <work_dir>/<time>/vis_data for
# the learning curve
visualizer = dict(vis_backends=[dict(type='LocalVisBackend')])
