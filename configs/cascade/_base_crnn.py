# MMOCR's CRNN (mini-VGG, trained on MJSynth) with its released weights.
model = dict(
    type='SRRecognizerCascade',
    recognizer='mmocr::textrecog/crnn/crnn_mini-vgg_5e_mj.py',
    recognizer_checkpoint='https://download.openmmlab.com/mmocr/textrecog/'
    'crnn/crnn_mini-vgg_5e_mj/crnn_mini-vgg_5e_mj_20220826_224120-8afbedbb.pth'
)
