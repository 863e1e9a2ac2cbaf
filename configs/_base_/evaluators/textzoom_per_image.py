# The per-image evaluation protocol of STIRER's test.py: PSNR / SSIM of every
# raw (unclamped) SR image, averaged over images, and the CRNN judge
# (meijieru's crnn.pth, converted by
# tools/model_converters/crnn_official_to_mmocr.py) reading the raw 128x32 SR
# image turned gray, without resizing. Per subset, their size-weighted
# average (avg/) and unweighted mean (mean/). mmagic / BasicSR score per
# image too, on clamped images: set clamp=True.
crnn_judge = dict(
    type='TextRecogJudge',
    recognizer='{{fileDirname}}/../../judges/crnn_textzoom.py',
    checkpoint='checkpoints/crnn_textzoom_mmocr.pth',
    reader=dict(hw=None))
val_evaluator = dict(
    type='TextZoomEvaluator',
    dataset_prefixes=['easy', 'medium', 'hard'],
    metrics=[
        dict(type='PSNR', protocol='per_image', clamp=False),
        dict(type='SSIM', protocol='per_image', clamp=False),
        dict(type='JudgeAccuracy', judges=dict(crnn=crnn_judge), clamp=False),
    ])
test_evaluator = val_evaluator
