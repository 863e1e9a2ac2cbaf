# MMOCR's ABINet-vision reading MMOCR's test crops made 64x16 (no SR).
_base_ = ['_base_abinet-vision.py', '_base_ocrdataset.py']
