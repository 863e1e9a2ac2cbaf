# TPGSR (TIP'23, github.com/mjq11302010044/TPGSR), the model of
# train_TPGSR-TSRN.sh:
#   main.py --arch=tsrn_tl_cascade --batch_size=48 --STN --mask
#           --use_distill --gradient --sr_share --stu_iter=1
# TSRN_TL (5 residual blocks, 64 channels, TPS rectification while
# training, 4-channel input) guided by the text prior: the student CRNN's
# per-position class probabilities, projected by InfoGen (TPGSR's paddings)
# onto the LR grid. The student starts from meijieru's crnn.pth and is
# distilled from a frozen copy reading HR (SemanticLoss x100); the image
# loss is 100 x (MSE + 1e-4 x gradient profile); a quarter of each batch
# trains without its prior. --stu_iter=N: num_stages=N.
crnn_checkpoint = 'checkpoints/crnn_textzoom_mmocr.pth'

model = dict(
    type='RecognizerGuidedSR',
    generator=dict(type='TPGSRNet',
                   in_channels=4,
                   scale_factor=2,
                   lr_hw=(16, 64),
                   num_blocks=5,
                   hidden_channels=64,
                   clue_channels=32,
                   num_classes=37,
                   use_stn=True),
    # students and teacher: meijieru's crnn.pth (converted), read as
    # TPGSR's parse_crnn_data does (bicubic 100x32, gray)
    recognizer='{{ fileDirname }}/../judges/crnn_textzoom.py',
    student_checkpoint=crnn_checkpoint,
    teacher_checkpoint=crnn_checkpoint,
    num_stages=1,
    share_generator=True,
    pixel_loss=dict(type='TextImageLoss',
                    mse_weight=1.,
                    gradient_weight=1e-4,
                    loss_weight=100.),
    distill_loss=dict(type='DistillationLoss',
                      l1_weight=1.,
                      kl_weight=1.,
                      loss_weight=100.),
    clue_drop_ratio=0.25,
    data_preprocessor=dict(type='TextSRDataPreprocessor'))
