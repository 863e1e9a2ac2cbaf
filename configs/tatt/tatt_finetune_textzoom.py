# The second run of train_TATT.sh: the recipe of tatt_textzoom.py at
# lr 2e-4, starting from the first run's best checkpoint
# (--resume=ckpt/TATT/ reads its weights; the official loop restarts its
# iteration count and optimizer).
#   python tools/train.py configs/tatt/tatt_finetune_textzoom.py \
#       --cfg-options load_from=BEST
# (BEST: work_dirs/tatt_textzoom/best_mean_crnn_word_acc_iter_<N>.pth; the
# placeholder below fails before training with the file named)
_base_ = ['tatt_textzoom.py']

optim_wrapper = dict(optimizer=dict(lr=2e-4))
load_from = 'work_dirs/tatt_textzoom/best.pth'
