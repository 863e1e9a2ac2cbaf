# TPGSR, three stages (the README's multi-stage model): the recipe of
# tpgsr_textzoom.py with --stu_iter=3. One shared SR network (--sr_share),
# three students: stage i's student reads stage i-1's SR image (stage 0's
# the LR image), every stage's SR network reads the LR image; per-stage
# image and distillation losses summed; the last stage is evaluated.
_base_ = ['tpgsr_textzoom.py']

model = dict(num_stages=3)
