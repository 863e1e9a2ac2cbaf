# TATT (shrunk: 32 channels, no STN) trained for 100 iterations on the
# generated synthetic TextZoom: a CPU demo of the pipeline. Without a
# converted crnn.pth the student and the teacher start from random weights
# (so the prior carries little); set model.student_checkpoint and
# model.teacher_checkpoint for a meaningful run.
_base_ = [
    '_base_tatt.py',
    '../_base_/datasets/synthetic_textzoom.py',
    '../_base_/evaluators/synthetic_textzoom.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_tpgsr_iter.py',
]

model = dict(student_checkpoint=None,
             teacher_checkpoint=None,
             generator=dict(hidden_channels=32,
                            clue_channels=32,
                            use_stn=False))
train_dataloader = dict(batch_size=16, drop_last=True)
train_cfg = dict(max_iters=100, val_interval=100)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=100, by_epoch=False, save_best=None))
log_processor = dict(by_epoch=False)
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'student': dict(clip_grad=False)}))
