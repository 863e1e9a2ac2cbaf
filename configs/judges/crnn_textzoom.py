"""Frozen CRNN judge of the TextZoom evaluation protocol, as an MMOCR model.

TextZoom SR papers (TSRN, TPGSR, TATT, C3-STISR, ...) report the word
accuracy that the CRNN of meijieru/crnn.pytorch (``crnn.pth``) reaches on the
super-resolved images. Convert that checkpoint with
``tools/model_converters/crnn_official_to_mmocr.py`` and load it into the
model below.

Input preparation (``parse_crnn_data`` in TPGSR's ``interfaces/base.py``):

1. the SR image, RGB in ``[0, 1]`` (the dataset applies ``ToTensor`` and no
   ``Normalize``), is resized to 32x100 (H x W) with bicubic interpolation
   (``F.interpolate(..., mode='bicubic')``, no clamping);
2. it is turned to gray with ``0.299 R + 0.587 G + 0.114 B``;
3. the 1x32x100 gray tensor goes to CRNN as is, without mean/std
   normalization, i.e. CRNN sees values in ``[0, 1]``.

``reader`` records steps 1-2 for every model that reads SR images with this
CRNN (``RecognizerReader``: the judge, C3-STISR's recognizers, the cascade):
``hw`` is the (H, W) the SR image is resized to, with ``interpolation``,
and ``gray`` asks for the gray conversion. The recognizer is fed the gray
image on the 0..255 scale (float, neither rounded nor clamped to keep the
protocol exact); ``data_preprocessor`` divides it by 255, so the recognizer
sees exactly what the official CRNN sees.

STIRER's ``test.py`` instead feeds its 32x128 SR output without resizing
(only the gray conversion, inside its CRNN): override it with
``reader=dict(hw=None)`` there.

The CTC blank of the official CRNN (class 0) sits at MMOCR's padding index
(36, after the 36 characters); the converter permutes the classifier to match.
"""

dictionary = dict(
    type='Dictionary',
    dict_file='{{ fileDirname }}/dicts/lower_english_digits.txt',
    with_padding=True,
    with_unknown=False)

model = dict(
    type='CRNN',
    preprocessor=None,
    backbone=dict(type='MiniVGG', leaky_relu=False, input_channels=1),
    encoder=None,
    decoder=dict(
        type='CRNNDecoder',
        in_channels=512,
        rnn_flag=True,
        module_loss=dict(type='CTCModuleLoss', letter_case='lower'),
        postprocessor=dict(type='CTCPostProcessor'),
        dictionary=dictionary),
    data_preprocessor=dict(
        type='TextRecogDataPreprocessor', mean=[0], std=[255]))

reader = dict(hw=(32, 100), gray=True, interpolation='bicubic')
