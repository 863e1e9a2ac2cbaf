# MMOCR's CRNN reading MMOCR's test crops made 64x16 (no SR front end).
_base_ = ['_base_crnn.py', '_base_ocrdataset.py']
