# C3-STISR (IJCAI'22), the authors' released variant: the TSRN generator (STN,
# mask channel) guided by the recognition and linguistic clues, the
# linguistic clue trained with CTC. Flags of the release: --STN --sr_share
# --gradient --use_distill --stu_iter=1 --mask (one SR model, one pass).
#
# R is MMOCR's CRNN of the TextZoom judge (TPGSR protocol: bicubic 100x32,
# gray), initialised from meijieru's crnn.pth converted by
# tools/model_converters/crnn_official_to_mmocr.py and finetuned; a frozen
# copy reads the HR image for the distillation loss (Eq. 3).
# The language model is ABINet's (MMOCR ABILanguageDecoder) over CRNN's 26
# CTC frames; its weights come from MMOCR's released ABINet checkpoint
# (pretrained by spelling mutation and recovery on WikiText-103), or from
# the LM pretraining stage (c3stisr_lm-pretrain_wordcorpus.py).

_base_ = ['_base_abinet-lm.py']

# CRNN's classes: 0-9a-z, CTC blank at the padding index (36).
crnn_dictionary = dict(
    type='Dictionary',
    dict_file='{{ fileDirname }}/../judges/dicts/lower_english_digits.txt',
    with_padding=True,
    with_unknown=False)

model = dict(
    type='C3STISR',
    generator=dict(
        type='TSRNNet',
        in_channels=4,
        scale_factor=2,
        lr_hw=(16, 64),
        num_blocks=5,
        hidden_channels=64,
        clue_channels=32,
        use_stn=True),
    recognizer='{{ fileDirname }}/../judges/crnn_textzoom.py',
    recognizer_checkpoint='checkpoints/crnn_textzoom_mmocr.pth',
    clue_generator=dict(
        type='C3ClueGenerator',
        clue_channels=32,
        lr_hw=(16, 64),
        image_channels=4,
        recognition=dict(type='DistributionClue'),
        linguistic=dict(
            type='LinguisticClue',
            language_model={{_base_.pretrained_language_model}}),
        visual=None,
        fusion=dict(type='GatedFusion')),
    # alpha1 = 20 (L2) and the --gradient term (1e-4)
    pixel_loss=dict(
        type='TextImageLoss', mse_weight=20., gradient_weight=1e-4),
    # alpha2 = 20 x (lambda1 = 10 x attention L1 + lambda2 = 0.0005 x
    # recognition term), with STT's frozen transformer recognizer
    # (pretrain_transformer.pth); off, with a warning, without its weights
    text_focus_loss=dict(
        type='TextFocusLoss',
        recognizer_checkpoint=None,
        mse_weight=0.,
        attention_weight=20. * 10.,
        recognition_weight=20. * 0.0005),
    # alpha3 = 1, k1 = k2 = 1
    distill_loss=dict(
        type='DistillationLoss', l1_weight=1., kl_weight=1., loss_weight=1.),
    # alpha4 = 0.2; the release trains the LM with CTC against the label
    linguistic_loss=dict(
        type='TextCTCLoss', dictionary=crnn_dictionary, loss_weight=0.2),
    data_preprocessor=dict(type='TextSRDataPreprocessor'))
