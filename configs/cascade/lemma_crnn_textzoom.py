# LEMMA with the authors' LEMMA-release.pth (loaded strictly by the LEMMA
# config's generator init_cfg, checkpoints/LEMMA-release.pth) in front of
# MMOCR's CRNN on the TextZoom test subsets.
#   python tools/test.py configs/cascade/lemma_crnn_textzoom.py
_base_ = ['_base_crnn.py', '_base_textzoom.py']

model = dict(generator='{{fileDirname}}/../lemma/lemma_textzoom_test.py',
             generator_checkpoint=None)
