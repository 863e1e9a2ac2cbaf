# TSRN in front of MMOCR's CRNN on the TextZoom test subsets.
# Pass the TSRN weights: --cfg-options model.generator_checkpoint=PATH.
_base_ = ['_base_crnn.py', '_base_textzoom.py']

model = dict(generator='{{fileDirname}}/../tsrn/_base_tsrn.py', generator_checkpoint=None)
