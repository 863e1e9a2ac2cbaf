# TSRN in front of MMOCR's CRNN on the TextZoom test subsets.
# Pass the TSRN weights: --cfg-options model.sr_checkpoint=PATH.
_base_ = ['_base_crnn.py', '_base_textzoom.py']

model = dict(sr='{{fileDirname}}/../tsrn/_base_tsrn.py', sr_checkpoint=None)
