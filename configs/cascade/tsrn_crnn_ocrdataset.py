# TSRN in front of MMOCR's CRNN on MMOCR's test sets, crops made 64x16.
# Pass the TSRN weights: --cfg-options model.generator_checkpoint=PATH.
_base_ = ['_base_crnn.py', '_base_ocrdataset.py']

model = dict(generator='{{fileDirname}}/../tsrn/_base_tsrn.py', generator_checkpoint=None)
