# MMOCR's NRTR (modality transform, trained on SynthText + MJSynth), released
# weights; its test pipeline pads to width 160, which the cascade reproduces.
model = dict(
    type='SRRecognizerCascade',
    recognizer='mmocr::textrecog/nrtr/nrtr_modality-transform_6e_st_mj.py',
    recognizer_checkpoint='https://download.openmmlab.com/mmocr/textrecog/'
    'nrtr/nrtr_modality-transform_6e_st_mj/'
    'nrtr_modality-transform_6e_st_mj_20220916_103322-bd9425be.pth')
