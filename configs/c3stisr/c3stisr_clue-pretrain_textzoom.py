# Stage 2 of C3-STISR's multi-stage training: the recognition and visual
# clue extraction modules (and the SR network) are trained without the
# linguistic clue; stage 3 (c3stisr_triple-clue_joint-finetune_textzoom.py)
# starts from the result.
_base_ = ['c3stisr_triple-clue_textzoom.py']

model = dict(clue_generator=dict(linguistic=None), linguistic_loss=None)
# 100 epochs of TextZoom's 361 batches of 48 (drop_last), counted in
# iterations like every TPGSR-family schedule here.
train_cfg = dict(max_iters=100 * 361)
