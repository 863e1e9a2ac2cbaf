# C3-STISR as released by its authors (github.com/JingyeChen/C3-STISR, the
# code behind zhaominyiz/C3-STISR's README; docs/c3stisr_release.md lists how
# it differs from the paper). Trained with
#   main.py --arch=c3stisr --test_model=CRNN --batch_size=48 --STN
#           --sr_share --gradient --use_distill --stu_iter=1 --mask
# --STN: TPS rectification while training; --mask: 4-channel input;
# --gradient: gradient profile term; --use_distill: the student CRNN is
# distilled from the frozen pretrained CRNN reading HR (x100);
# --stu_iter=1 / --sr_share: one student, one SR network, one pass.
# The SR blocks see the student's reading only (the recognition clue, a
# quarter of each batch zeroed); the language model (ABINet's BCN) is
# trained by CTC but never reaches the output. Adam 1e-3 (0.5, 0.999) on
# generator + language model + student, gradients of the first two clipped
# to 0.25; validation every 100 iterations, best by the CRNN judge.
_base_ = [
    '_base_abinet-lm.py',
    '../_base_/datasets/textzoom.py',
    '../_base_/evaluators/textzoom_tpgsr.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_tpgsr_iter.py',
]

# The LM (_base_abinet-lm.py) starts from MMOCR's ABINet language model,
# standing in for the release's unreleased ckpt/BCN_correct_model.pt.
crnn_checkpoint = 'checkpoints/crnn_textzoom_mmocr.pth'

model = dict(
    type='C3STISRRelease',
    generator=dict(type='C3STISRReleaseNet',
                   in_channels=4,
                   scale_factor=2,
                   lr_hw=(16, 64),
                   num_blocks=5,
                   hidden_channels=64,
                   clue_channels=32,
                   num_classes=37,
                   use_stn=True),
    # student and teacher: meijieru's crnn.pth (converted), TPGSR's input
    # (bicubic 100x32, gray)
    recognizer='{{ fileDirname }}/../judges/crnn_textzoom.py',
    student_checkpoint=crnn_checkpoint,
    teacher_checkpoint=crnn_checkpoint,
    language_model={{_base_.pretrained_language_model}},
    # 100 x TPGSR's ImageLoss(gradient=True, loss_weight=[1, 1e-4])
    pixel_loss=dict(type='TextImageLoss',
                    mse_weight=1.,
                    gradient_weight=1e-4,
                    loss_weight=100.),
    # 100 x TPGSR's SemanticLoss (L1 + KL)
    distill_loss=dict(type='DistillationLoss',
                      l1_weight=1.,
                      kl_weight=1.,
                      loss_weight=100.),
    # CTC of the LM's output against the label (weight 1); zero_infinity
    # only matters where the release's loss would be infinite
    lm_loss=dict(type='TextCTCLoss', loss_weight=1., zero_infinity=True),
    clue_drop_ratio=0.25,
    lm_label_len=15,
    data_preprocessor=dict(type='TextSRDataPreprocessor'))

train_dataloader = dict(batch_size=48, drop_last=True)
val_dataloader = dict(batch_size={{_base_.test_batch_size}})
test_dataloader = val_dataloader
# generator and language model clipped together, the student not
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'student.': dict(clip_grad=False)}))
# The released log ends after 100 epochs of 361 iterations; the loop's
# LR steps (x0.1 at epochs 600 and 800) are never reached.
train_cfg = dict(max_iters=100 * 361, val_interval=100)
log_processor = dict(by_epoch=False)
default_hooks = dict(checkpoint=dict(by_epoch=False,
                                     interval=100,
                                     save_best='mean/crnn_word_acc',
                                     rule='greater'))
