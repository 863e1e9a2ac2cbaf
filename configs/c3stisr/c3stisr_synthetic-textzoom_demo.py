# C3-STISR (released variant, shrunk) trained for 100 iterations on the
# generated synthetic TextZoom: a CPU demo of the whole pipeline. Without
# converted CRNN / ABINet weights, R, its teacher and the language model
# start from random weights (so the clues carry little); point
# model.recognizer_checkpoint and the language model's checkpoint at real
# weights for a meaningful run.
_base_ = [
    '_base_c3stisr.py',
    '../_base_/datasets/synthetic_textzoom.py',
    '../_base_/evaluators/synthetic_textzoom.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_adam_iter.py',
]

model = dict(
    recognizer_checkpoint=None,
    generator=dict(hidden_channels=32, num_blocks=2),
    clue_generator=dict(
        linguistic=dict(
            language_model=dict(
                d_model=64, n_head=4, d_inner=128, n_layers=1,
                checkpoint=None))))

train_dataloader = dict(batch_size=8)
train_cfg = dict(max_iters=100, val_interval=100)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=100, by_epoch=False, save_best=None))
log_processor = dict(by_epoch=False)
