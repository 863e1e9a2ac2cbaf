# ABINet's language model (MMOCR's ABILanguageDecoder read over CRNN's 26
# CTC frames): the linguistic clue of C3-STISR, paper and release.

# ABINet's classes: 0-9a-z, <BOS/EOS> at 36 (the CTC blank for the LM).
abinet_dictionary = dict(
    type='Dictionary',
    dict_file='{{ fileDirname }}/../judges/dicts/lower_english_digits.txt',
    with_start=True,
    with_end=True,
    same_start_end=True,
    with_padding=False,
    with_unknown=False)

# random weights
language_model = dict(
    type='CTCLanguageModel',
    dictionary=abinet_dictionary,
    max_seq_len=26,
    d_model=512,
    n_head=8,
    d_inner=2048,
    n_layers=4,
    dropout=0.1,
    detach_tokens=True)
# MMOCR's released ABINet (pretrained by spelling mutation and recovery on
# WikiText-103); the C3-STISR release starts from an unreleased
# ckpt/BCN_correct_model.pt, for which it stands in.
abinet_checkpoint = 'https://download.openmmlab.com/mmocr/textrecog/abinet/abinet_20e_st-an_mj/abinet_20e_st-an_mj_20221005_012617-ead8c139.pth'  # noqa
pretrained_language_model = dict(
    language_model,
    checkpoint=abinet_checkpoint,
    checkpoint_prefix='decoder.language_decoder.')
