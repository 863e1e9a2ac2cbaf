"""TPGSR (``configs/tpgsr``) against the reference written from TPGSR's
``model/tsrn.py`` and ``interfaces/super_resolution.py``
(``tests/test_models/tpgsr_reference.py``): official-layout random weights
go through the converter and load strictly; the eval forward and one
float64 training step (loss terms, updated weights) of one and three stages
equal the reference's."""
import copy
import re
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmocr.registry import MODELS

from stisr_mmocr.converters import convert_tpgsr
from tests.test_models.test_c3stisr_release import (Float64Normalize,
                                                    make_batch, model_step,
                                                    perturb, rel_diff)
from tests.test_models.tpgsr_reference import (build_tsrn_tl,
                                               tpgsr_eval_cascade,
                                               tpgsr_optimizer,
                                               tpgsr_train_step, tpgsr_update)
from tests.test_tools.test_crnn_converter import OfficialCRNN, convert_crnn

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / 'configs' / 'tpgsr' / 'tpgsr_textzoom.py'
# Biases of the students' convolutions followed by a training-mode batch
# norm: their exact gradient is 0, so their Adam step is rounding noise
# divided by rounding noise in both loops (as in test_tsrn_recipe.py).
BN_FED_BIAS = re.compile(r'^student\.(\d+\.)?backbone\.cnn\.conv[246]\.bias$')


def official_setup(num_stages: int, seed: int = 0, **net_args):
    """TPGSR's SR network, one student per stage and the teacher, random.

    As in the release's test: non-trivial norms, a small random STN (the
    official init is the identity warp), InfoGen weights of unit scale and
    peaked CRNN classifiers, so that a wrong path or class order shows.
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    net = build_tsrn_tl(**net_args)
    students = [OfficialCRNN() for _ in range(num_stages)]
    teacher = OfficialCRNN()
    perturb(net, (teacher, *students), gen)
    return net, students, teacher


def build_model(num_stages: int, **generator) -> nn.Module:
    cfg = copy.deepcopy(Config.fromfile(str(CONFIG)).model)
    cfg.update(num_stages=num_stages,
               student_checkpoint=None,
               teacher_checkpoint=None)
    cfg.generator.update(generator)
    return MODELS.build(cfg)


def convert(model, net, students) -> dict:
    return convert_tpgsr([dict(state_dict_G=net.state_dict())],
                         [s.state_dict() for s in students],
                         model.stage_modules(0)[0].decoder.dictionary)


def load_official(model, net, students, teacher) -> None:
    model.load_state_dict(convert(model, net, students), strict=True)
    model.teacher.load_state_dict(convert_crnn(teacher.state_dict()))


@pytest.mark.parametrize('num_stages', [1, 3])
def test_eval_forward_matches_tpgsr(num_stages):
    net, students, teacher = official_setup(num_stages)
    model = build_model(num_stages)
    load_official(model, net, students, teacher)
    for m in (model, net, *students):
        m.eval()
    lr, *_ = make_batch(3)
    with torch.no_grad():
        expected = tpgsr_eval_cascade([net], students, lr,
                                      stu_iter=num_stages)[-1]
        out = model(lr, mode='tensor')
        first = model.cascade(lr)[0]['sr']
    diff = (out - expected).abs().max().item()
    print(f'TPGSR-{num_stages} eval SR max abs diff: {diff:.3e}')
    assert out.shape == (3, 4, 32, 128)
    assert diff <= 1e-5
    if num_stages > 1:  # the later stages change the output
        assert (first - out).abs().max() > 1e-3


@pytest.mark.parametrize('num_stages', [1, 3])
def test_training_step_matches_tpgsr(num_stages):
    """One float64 step through the config's optimizer wrapper: every
    per-stage loss term and every updated weight equal the reference's
    (``--use_distill --gradient --sr_share --stu_iter=N``, the SR network
    clipped to 0.25, the students not)."""
    # two residual blocks of 32 channels keep the float64 step fast
    net, students, teacher = official_setup(num_stages,
                                            srb_nums=2,
                                            hidden_units=16)
    model = build_model(num_stages, num_blocks=2, hidden_channels=32)
    load_official(model, net, students, teacher)
    for m in (net, teacher, model, *students):
        m.double()
    recognizers = [model.teacher] + [
        model.stage_modules(i)[0] for i in range(num_stages)
    ]
    for recognizer in recognizers:
        recognizer.data_preprocessor = Float64Normalize()
    # both TPS keep float32 constants; compare the step with the same ones
    for name in ('inverse_kernel', 'target_coordinate_repr'):
        getattr(model.generator.tps, name).copy_(getattr(net.tps, name))
    lr, hr, _, samples = make_batch(4, torch.float64)

    losses, before = model_step(model, CONFIG, lr, samples)

    net.train()
    for s in students:
        s.train()
    teacher.eval()
    ref_before = convert(model, net, students)
    ref_before = {k: v.clone() for k, v in ref_before.items()}
    optimizer = tpgsr_optimizer([net], students)
    ref = tpgsr_train_step([net], students, teacher, lr, hr,
                           stu_iter=num_stages)
    tpgsr_update(ref['loss'], [net], optimizer)

    suffix = (lambda i: f'_s{i}') if num_stages > 1 else (lambda i: '')
    loss_diffs = {}
    for i in range(num_stages):
        for ours, theirs in (('loss_pixel', 'loss_img'),
                             ('loss_distill', 'loss_distill')):
            a = losses[ours + suffix(i)].item()
            b = ref[f'{theirs}_{i}'].item()
            loss_diffs[ours + suffix(i)] = abs(a - b) / abs(b)
    after = model.state_dict()
    ref_after = convert(model, net, students)
    worst_step, unchanged = 0., []
    for name in after:
        if BN_FED_BIAS.search(name):
            continue
        ours = after[name].double() - before[name].double()
        theirs = ref_after[name].double() - ref_before[name].double()
        # Adam's first step is about lr x sign(grad): lr is its scale
        diff = rel_diff(ours, theirs, floor=1e-3)
        if diff > worst_step:
            worst_step, worst_name = diff, name
        if (theirs != 0).any() != (ours != 0).any():
            unchanged.append(name)
    print(f'TPGSR-{num_stages} losses rel diff {loss_diffs}, step (weights '
          f'and buffers) max rel diff {worst_step:.3e} ({worst_name})')
    assert len(loss_diffs) == 2 * num_stages
    assert max(loss_diffs.values()) <= 1e-6
    assert unchanged == []
    assert worst_step <= 1e-6
