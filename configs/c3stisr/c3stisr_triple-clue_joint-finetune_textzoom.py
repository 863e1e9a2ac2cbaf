# Stage 3 of C3-STISR's multi-stage training: the pretrained language model
# (stage 1) joins the pretrained recognition and visual clues and SR network
# (stage 2, through `load_from`; the fusion's mask convolutions, sized for
# two clues there, start afresh) and everything is finetuned.
_base_ = ['c3stisr_triple-clue_textzoom.py']

model = dict(
    clue_generator=dict(
        linguistic=dict(
            language_model=dict(
                checkpoint='work_dirs/c3stisr_lm-pretrain_wordcorpus/'
                'iter_20000.pth',
                checkpoint_prefix='language_model.'))))
load_from = 'work_dirs/c3stisr_clue-pretrain_textzoom/iter_36100.pth'
