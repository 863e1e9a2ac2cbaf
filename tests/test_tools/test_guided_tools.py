"""The TextZoom configs of TPGSR and TATT with the authors' files, as a user
runs them: a run folder in the layout of each method's ``save_checkpoint``
(seeded random weights), the converter, then ``tools/test.py`` on generated
TextZoom LMDBs (metrics equal to the float64 reference on the reference
network's output) and a short ``tools/train.py`` of TATT's recipe."""
import glob
import os.path as osp
import sys

import numpy as np
import pytest
import torch

from tests.test_models.tatt_reference import tatt_eval_forward
from tests.test_models.test_tatt import official_setup as tatt_setup
from tests.test_models.test_tpgsr import official_setup as tpgsr_setup
from tests.test_models.tpgsr_reference import tpgsr_eval_cascade
from tests.test_tools.test_crnn_converter import OfficialCRNN, convert_crnn
from tests.test_tools.test_train_test_tools import (
    data_options, last_metrics, reference_of, run)
from .. import reference_metrics as ref


def tatt_files():
    net, student, _ = tatt_setup()
    return (net, [student], 'model_best_acc', 'recognizer_best_acc',
            lambda lr: tatt_eval_forward(net, student, lr))


def tpgsr_files():
    net, students, _ = tpgsr_setup(1)
    return (net, students, 'model_best', 'recognizer_best',
            lambda lr: tpgsr_eval_cascade([net], students, lr,
                                          stu_iter=1)[-1])


METHODS = {
    'tpgsr': ('configs/tpgsr/tpgsr_textzoom.py', 50, tpgsr_files),
    'tatt': ('configs/tatt/tatt_textzoom.py', 50, tatt_files),
}


def crnn_checkpoint(tmp_path) -> str:
    """A converted random CRNN: the students' and the judge's start."""
    torch.manual_seed(5)
    path = str(tmp_path / 'crnn_mmocr.pth')
    torch.save(dict(state_dict=convert_crnn(OfficialCRNN().state_dict())),
               path)
    return path


def checkpoint_options(crnn: str):
    return [f'model.student_checkpoint={crnn}',
            f'model.teacher_checkpoint={crnn}',
            f'test_evaluator.metrics.2.judges.crnn.checkpoint={crnn}',
            f'val_evaluator.metrics.2.judges.crnn.checkpoint={crnn}']


@pytest.mark.parametrize('method', sorted(METHODS))
def test_converted_authors_files_with_tools_test(method, synthetic_textzoom,
                                                 tmp_path):
    config, batch, make = METHODS[method]
    net, students, sr_stem, rec_stem, super_resolve = make()
    run_dir = tmp_path / 'ckpt'
    run_dir.mkdir()
    # what save_checkpoint writes: the weights beside bookkeeping
    torch.save(dict(state_dict_G=net.state_dict(),
                    info=dict(iters=400, epochs=1, batch_size=64),
                    best_history_res=dict(easy=np.float64(0.5)),
                    best_model_info=dict(), param_num=1, converge=[]),
               run_dir / f'{sr_stem}_0.pth')
    torch.save(students[0].state_dict(), run_dir / f'{rec_stem}_0.pth')
    converted = str(tmp_path / f'{method}.pth')
    run([sys.executable, f'tools/model_converters/{method}_official_to_'
         'mmocr.py', str(run_dir), converted])

    work = str(tmp_path / 'test')
    run([sys.executable, 'tools/test.py', config, converted, '--work-dir',
         work, '--cfg-options'] + data_options(synthetic_textzoom) +
        checkpoint_options(crnn_checkpoint(tmp_path)) +
        ['test_dataloader.num_workers=0',
         'test_dataloader.persistent_workers=False'])
    got = last_metrics(work)
    net.eval()
    for s in students:
        s.eval()

    def reference_sr(lr: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return super_resolve(torch.from_numpy(lr).float()).double(
            ).numpy()

    expected = reference_of(synthetic_textzoom, reference_sr,
                            batch_size=batch)
    # the TPGSR-family protocol: per batch on the raw output only
    image_keys = {f'{s}/{m}_per_batch' for s in ref.SUBSETS + ('avg', 'mean')
                  for m in ('PSNR', 'SSIM')}
    ref.assert_metrics_match(
        {k: v for k, v in got.items() if k in image_keys},
        {k: expected[k] for k in image_keys}, ignore=())
    # the judge read the SR images of every subset
    assert {f'{s}/crnn_word_acc' for s in ('easy', 'medium', 'hard', 'avg',
                                           'mean')} <= set(got)


def test_tatt_textzoom_trains_with_tools_train(synthetic_textzoom,
                                               tmp_path):
    """The official recipe's config, full-size network, two iterations."""
    work = str(tmp_path / 'train')
    run([sys.executable, 'tools/train.py', 'configs/tatt/tatt_textzoom.py',
         '--work-dir', work, '--cfg-options'] +
        data_options(synthetic_textzoom) +
        checkpoint_options(crnn_checkpoint(tmp_path)) +
        ['train_cfg.max_iters=2', 'default_hooks.logger.interval=1',
         'train_dataloader.batch_size=4',
         'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False',
         'val_dataloader.num_workers=0',
         'val_dataloader.persistent_workers=False'])
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
    logs = glob.glob(osp.join(work, '*', '*.log'))
    assert len(logs) == 1
    with open(logs[0]) as f:
        lines = [line for line in f if 'Iter(train) [2/2]' in line]
    assert len(lines) == 1
    for term in ('loss_pixel', 'loss_distill', 'loss_tssim', 'grad_norm'):
        assert f' {term}: ' in lines[0]
