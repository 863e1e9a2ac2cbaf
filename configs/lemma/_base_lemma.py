# LEMMA (IJCAI'23, github.com/csguoh/LEMMA): the model of main.py with
# config/super_resolution.yaml (--STN --mask always on, --srb 5).
# LEMMANet: TSRN's body whose residual blocks are modulated (AffineModulate)
# by a guidance map; ABINet's vision and language models read the LR image
# up-sampled x2 (position_prior) and the location enhancement / multi-modal
# alignment module (guidanceGen) aligns their reading with the features.
# Loss: 100 x (MSE + 0.5 x (10 x attention L1 + 5e-4 x weighted CE) of the
# text focus recognizer + 0.01 x the guidance branch's CE).
model = dict(
    type='LEMMA',
    generator=dict(type='LEMMANet',
                   in_channels=4,
                   scale_factor=2,
                   lr_hw=(16, 64),
                   num_blocks=5,
                   hidden_channels=64,
                   use_stn=True),
    # the official recipe needs Scene Text Telescope's recognizer and
    # confusion table: set model.text_focus_loss.recognizer_checkpoint=
    # checkpoints/pretrain_transformer.pth and .confusion_file=
    # checkpoints/confuse.pkl (without them only the MSE term is on, and a
    # warning says so)
    text_focus_loss=dict(
        type='TextFocusLoss',
        recognizer_checkpoint=None,
        confusion_file=None,
        mse_weight=1.,
        attention_weight=5.,
        recognition_weight=2.5e-4),
    guidance_weight=0.01,
    loss_weight=100.,
    data_preprocessor=dict(type='TextSRDataPreprocessor'))

# LEMMA's validation (interfaces/super_resolution.py eval): PSNR / SSIM per
# batch of 64 on the raw output, the CRNN judge reading it resized to
# 100x32 bicubically and turned gray (the TPGSR-family protocol).
lemma_batch_size = 64
