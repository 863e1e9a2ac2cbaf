# C3-STISR as in the paper: recognition, linguistic and visual clues fused
# by the gated fusion; the language model finetuned by distillation from
# R(I_HR) (Eq. 5). The skeleton painter uses Pillow's built-in font (the
# paper used Ubuntu Bold: set painter=dict(font='.../Ubuntu-B.ttf')).
# Trains in one stage from the converted CRNN and ABINet's language model;
# the paper's three stages are c3stisr_lm-pretrain_wordcorpus.py,
# c3stisr_clue-pretrain_textzoom.py and
# c3stisr_triple-clue_joint-finetune_textzoom.py.
_base_ = ['c3stisr_textzoom.py']

model = dict(
    clue_generator=dict(
        visual=dict(
            _delete_=True,
            type='VisualClue',
            painter=dict(font=None, font_size=32, cases=('upper', 'lower')))),
    linguistic_loss=dict(
        _delete_=True,
        type='DistillationLoss',
        l1_weight=1.,
        kl_weight=1.,
        loss_weight=0.2))
