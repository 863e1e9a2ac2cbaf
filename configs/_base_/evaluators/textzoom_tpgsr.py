# The TPGSR-family evaluation protocol (TextZoom, TPGSR, TATT, C3-STISR):
# PSNR / SSIM per batch of the test batch size, on the raw (unclamped) tanh
# output, and the CRNN judge (meijieru's crnn.pth, converted by
# tools/model_converters/crnn_official_to_mmocr.py) reading that raw output
# resized to 100x32 and turned gray. Per subset, their size-weighted average
# (avg/) and unweighted mean (mean/).
test_batch_size = 48
crnn_judge = dict(
    type='TextRecogJudge',
    recognizer='{{fileDirname}}/../../judges/crnn_textzoom.py',
    checkpoint='checkpoints/crnn_textzoom_mmocr.pth')
val_evaluator = dict(
    type='TextZoomEvaluator',
    dataset_prefixes=['easy', 'medium', 'hard'],
    metrics=[
        dict(type='PSNR', protocol='per_batch', batch_size=test_batch_size,
             clamp=False),
        dict(type='SSIM', protocol='per_batch', batch_size=test_batch_size,
             clamp=False),
        dict(type='JudgeAccuracy', judges=dict(crnn=crnn_judge), clamp=False),
    ])
test_evaluator = val_evaluator
