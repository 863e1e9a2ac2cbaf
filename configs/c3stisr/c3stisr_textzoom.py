# C3-STISR, the authors' released variant (recognition + linguistic clues,
# CTC-trained linguistic clue) on TextZoom: Adam lr 1e-3, batch 48, CRNN
# judge per subset.
_base_ = [
    '_base_c3stisr.py',
    '../_base_/datasets/textzoom.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_adam_500e.py',
]

train_dataloader = dict(batch_size=48)
