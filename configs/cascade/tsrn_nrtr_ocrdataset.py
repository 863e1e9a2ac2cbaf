# TSRN in front of MMOCR's NRTR on MMOCR's test sets, crops made 64x16.
# Pass the TSRN weights: --cfg-options model.generator_checkpoint=PATH.
_base_ = ['_base_nrtr.py', '_base_ocrdataset.py']

model = dict(generator='{{fileDirname}}/../tsrn/_base_tsrn.py', generator_checkpoint=None)
