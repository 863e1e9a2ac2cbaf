# Runtime shared by the SR + recognizer cascades. `tools/test.py --show-dir`
# enables the visualization hook: one LR | SR | HR picture per sample.
_base_ = ['../_base_/default_runtime.py']

visualizer = dict(type='TextSRLocalVisualizer', name='visualizer')
default_hooks = dict(
    checkpoint=dict(save_best=None),
    visualization=dict(type='TextSRVisualizationHook', enable=False))

text_metrics = [
    dict(
        type='WordMetric', mode=['exact', 'ignore_case',
                                 'ignore_case_symbol']),
    dict(type='CharMetric'),
]
image_metrics = [dict(type='PSNR'), dict(type='SSIM')]

val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
