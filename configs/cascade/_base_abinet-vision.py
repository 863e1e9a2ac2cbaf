# MMOCR's ABINet-vision (trained on SynthText + MJSynth), released weights.
model = dict(
    type='SRRecognizerCascade',
    recognizer='mmocr::textrecog/abinet/abinet-vision_20e_st-an_mj.py',
    recognizer_checkpoint='https://download.openmmlab.com/mmocr/textrecog/'
    'abinet/abinet-vision_20e_st-an_mj/'
    'abinet-vision_20e_st-an_mj_20220915_152445-85cfb03d.pth')
