# The authors' release weights on the TextZoom test subsets, as test.py
# prints them: per step k = 0..3 the word accuracy of the model's own
# reading (CTC for the three stages, T5 for the last), PSNR and SSIM per
# image of the unclamped SR images; the CRNN judge on the final SR image converted to
# gray at 128x32 (test.py does not resize: reader hw=None). Each per subset (easy / medium / hard) and over all samples
# (avg/...).
#   python tools/test.py configs/stirer/stirer_textzoom_test.py
# expects checkpoints/STIRER_Final_Release.pth (the authors' plain state
# dict, loaded strictly into the network by its init_cfg) and
# checkpoints/crnn_textzoom_mmocr.pth (crnn.pth converted by
# tools/model_converters/crnn_official_to_mmocr.py).
_base_ = [
    '_base_stirer.py',
    '../_base_/datasets/textzoom.py',
    '../_base_/evaluators/textzoom_per_image.py',
    '../_base_/default_runtime.py',
]

model = dict(generator=dict(
    init_cfg=dict(type='StrictPretrained',
                  checkpoint='checkpoints/STIRER_Final_Release.pth')))

train_dataloader = None
val_dataloader = None
val_evaluator = None
test_cfg = dict(type='TestLoop')
test_evaluator = dict(metrics=[
    dict(type='TextAccuracy', step=k) for k in range(4)
] + [
    dict(type=t, step=k, protocol='per_image', clamp=False) for k in range(4)
    for t in ('PSNR', 'SSIM')
] + [
    dict(type='JudgeAccuracy',
         clamp=False,
         judges=dict(
             crnn=dict(type='TextRecogJudge',
                       recognizer='{{fileDirname}}/../judges/crnn_textzoom.py',
                       checkpoint='checkpoints/crnn_textzoom_mmocr.pth',
                       reader=dict(hw=None))))
])
