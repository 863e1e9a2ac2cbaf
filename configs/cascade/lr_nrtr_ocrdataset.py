# MMOCR's NRTR reading MMOCR's test crops made 64x16 (no SR front end).
_base_ = ['_base_nrtr.py', '_base_ocrdataset.py']
