# TATT (CVPR'22, github.com/mjq11302010044/TATT), the model of
# train_TATT.sh:
#   main.py --arch=tatt --batch_size=64 --STN --mask --use_distill
#           --gradient --sr_share --stu_iter=1 --rotate_train=5 --tssim_loss
# TSRN_TL_TRANS (5 residual blocks, 64 channels, TPS rectification while
# training, 4-channel input) whose blocks read the text prior interpreted by
# TPInterpreter (a transformer from the LR features to the student CRNN's
# character distributions). The student starts from meijieru's crnn.pth and
# is distilled from a frozen copy reading HR (SemanticLoss x100), the prior
# detached from the SR losses; pairs are rotated by up to 5 degrees; the
# image loss is 100 x (MSE + 1e-4 x gradient profile) plus 10 x (1 - TSSIM)
# of the SR images of the rotated and the restored LR.
crnn_checkpoint = 'checkpoints/crnn_textzoom_mmocr.pth'

model = dict(
    type='TATT',
    generator=dict(type='TATTNet',
                   in_channels=4,
                   scale_factor=2,
                   lr_hw=(16, 64),
                   num_blocks=5,
                   hidden_channels=64,
                   clue_channels=64,
                   num_classes=37,
                   use_stn=True),
    # students and teacher: meijieru's crnn.pth (converted), read as the
    # official parse_crnn_data does (bicubic 100x32, gray)
    recognizer='{{ fileDirname }}/../judges/crnn_textzoom.py',
    student_checkpoint=crnn_checkpoint,
    teacher_checkpoint=crnn_checkpoint,
    num_stages=1,
    share_generator=True,
    rotate_range=5.,
    pixel_loss=dict(type='TextImageLoss',
                    mse_weight=1.,
                    gradient_weight=1e-4,
                    loss_weight=100.),
    distill_loss=dict(type='DistillationLoss',
                      l1_weight=1.,
                      kl_weight=1.,
                      loss_weight=100.),
    tssim_loss=dict(type='TripleSSIMLoss', loss_weight=10.),
    data_preprocessor=dict(type='TextSRDataPreprocessor'))
