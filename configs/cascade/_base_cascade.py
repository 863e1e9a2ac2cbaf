# Runtime shared by the SR + recognizer cascades.
_base_ = ['../_base_/default_runtime.py']

default_hooks = dict(checkpoint=dict(save_best=None))

text_metrics = [
    dict(
        type='WordMetric', mode=['exact', 'ignore_case',
                                 'ignore_case_symbol']),
    dict(type='CharMetric'),
]
image_metrics = [dict(type='PSNR'), dict(type='SSIM')]

val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
