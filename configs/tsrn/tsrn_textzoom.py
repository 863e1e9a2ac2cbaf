_base_ = [
    '_base_tsrn.py',
    '../_base_/datasets/textzoom.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_adam_500e.py',
]
