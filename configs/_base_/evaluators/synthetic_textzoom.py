# Generated synthetic TextZoom (no judge checkpoint exists for it by default):
# PSNR / SSIM under both protocols, per image on the output clamped to
# [0, 1] (STIRER, mmagic) and per batch of 48 on the raw output (TextZoom,
# TPGSR, C3-STISR). Per subset, their size-weighted average (avg/) and
# unweighted mean (mean/). Add a JudgeAccuracy in a child config once a
# judge checkpoint exists.
val_evaluator = dict(
    type='TextZoomEvaluator',
    dataset_prefixes=['easy', 'medium', 'hard'],
    metrics=[
        dict(type='PSNR', protocol='per_image'),
        dict(type='SSIM', protocol='per_image'),
        dict(type='PSNR', protocol='per_batch', batch_size=48, clamp=False),
        dict(type='SSIM', protocol='per_batch', batch_size=48, clamp=False),
    ])
test_evaluator = val_evaluator
