"""TATT (``configs/tatt``) against the reference written from TATT's
``model/tsrn.py``, ``model/transformer_v2.py``, ``utils/ssim_psnr.py`` and
``interfaces/super_resolution.py`` (``tests/test_models/tatt_reference.py``):
official-layout random weights go through the converter and load strictly;
the rotation, the TSSIM term, the eval forward and one float64 training
step (rotation and TSSIM included, dropout active, the same angles on both
sides) equal the reference's."""
import copy
import re
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmocr.registry import MODELS

from stisr_mmocr.converters import convert_tatt
from stisr_mmocr.models.editors.tatt import rotate_images
from stisr_mmocr.models.layers.tatt import InfoTransformer
from stisr_mmocr.models.layers.tatt.info_transformer import \
    repeated_input_gru
from tests.test_models.tatt_reference import (build_tsrn_tl_trans,
                                              draw_rotation,
                                              tatt_eval_forward,
                                              tatt_optimizer,
                                              tatt_train_step, tatt_update,
                                              torch_rotate_img, tri_ssim)
from tests.test_models.test_c3stisr_release import (Float64Normalize,
                                                    make_batch, model_step,
                                                    randomize_norms, rel_diff)
from tests.test_tools.test_crnn_converter import OfficialCRNN, convert_crnn

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / 'configs' / 'tatt' / 'tatt_textzoom.py'
# as in test_tpgsr.py: conv biases feeding a training-mode batch norm
BN_FED_BIAS = re.compile(r'^student\.(\d+\.)?backbone\.cnn\.conv[246]\.bias$')


def official_setup(seed: int = 0, **net_args):
    """TATT's SR network, the student and the teacher, random: non-trivial
    norms, a small random STN (the official init is the identity warp) and
    peaked CRNN classifiers, so that a wrong path or class order shows."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    net = build_tsrn_tl_trans(**net_args)
    student, teacher = OfficialCRNN(), OfficialCRNN()
    for m in (net, student, teacher):
        randomize_norms(m, gen)
    with torch.no_grad():
        net.stn_head.stn_fc2.weight.normal_(0, 1e-2, generator=gen)
        for crnn in (student, teacher):
            crnn.rnn[1].embedding.weight.mul_(20)
    return net, student, teacher


def build_model(**generator) -> nn.Module:
    cfg = copy.deepcopy(Config.fromfile(str(CONFIG)).model)
    cfg.update(student_checkpoint=None, teacher_checkpoint=None)
    cfg.generator.update(generator)
    return MODELS.build(cfg)


def convert(model, net, student) -> dict:
    return convert_tatt([dict(state_dict_G=net.state_dict())],
                        [student.state_dict()],
                        model.stage_modules(0)[0].decoder.dictionary)


def load_official(model, net, student, teacher) -> None:
    model.load_state_dict(convert(model, net, student), strict=True)
    model.teacher.load_state_dict(convert_crnn(teacher.state_dict()))


def test_rotation_and_tssim_match_tatt():
    gen = torch.Generator().manual_seed(3)
    images = torch.rand(5, 4, 16, 64, generator=gen, dtype=torch.float64)
    torch.manual_seed(7)
    arcs, offsets = draw_rotation(5, 5.)
    assert arcs.abs().max() <= 5 / 180 * torch.pi and arcs.std() > 0
    expected = torch_rotate_img(images, arcs, offsets)
    out = rotate_images(images, arcs, offsets)
    assert (out - expected).abs().max() <= 1e-12
    assert (out - images).abs().max() > 1e-2  # it does rotate
    a, b, c = (torch.rand(3, 4, 32, 128, generator=gen, dtype=torch.float64)
               for _ in range(3))
    loss = MODELS.build(dict(type='TripleSSIMLoss', loss_weight=10.))
    expected = (1 - tri_ssim(a, b, c)) * 10
    assert abs(loss(a, b, c).item() - expected.item()) <= 1e-12
    assert loss(a, a, a).item() == pytest.approx(0., abs=1e-12)
    with pytest.raises(ValueError, match='three images of one shape'):
        loss(a, b, c[..., :64])


def test_converter_drops_unused_and_checks_the_position_table():
    net, student, _ = official_setup()
    model = build_model()
    state = convert(model, net, student)
    assert not any('fc_feature_in' in k or 'self_attn' in k and 'decoder' in k
                   for k in state)
    official = dict(state_dict_G=net.state_dict())
    official['state_dict_G']['infoGen.pe.pe'] = \
        official['state_dict_G']['infoGen.pe.pe'] * 2
    with pytest.raises(ValueError, match='infoGen.pe.pe'):
        convert_tatt([official], [student.state_dict()],
                     model.stage_modules(0)[0].decoder.dictionary)
    official = dict(state_dict_G=dict(net.state_dict(), extra=torch.ones(1)))
    with pytest.raises(KeyError,
                       match="SR checkpoint 0: .*TSRN_TL_TRANS layout.*extra"):
        convert_tatt([official], [student.state_dict()],
                     model.stage_modules(0)[0].decoder.dictionary)


def test_eval_forward_matches_tatt():
    net, student, teacher = official_setup()
    model = build_model()
    load_official(model, net, student, teacher)
    for m in (model, net, student):
        m.eval()
    lr, *_ = make_batch(3)
    with torch.no_grad():
        expected = tatt_eval_forward(net, student, lr)
        out = model(lr, mode='tensor')
        # the prior matters: a blank prior changes the output
        blank = model.generator(lr, torch.zeros(3, 26, 37))
    diff = (out - expected).abs().max().item()
    print(f'TATT eval SR max abs diff: {diff:.3e}')
    assert out.shape == (3, 4, 32, 128)
    assert diff <= 1e-5
    assert (blank - out).abs().max() > 1e-3


def test_training_step_matches_tatt():
    """One float64 step through the config's optimizer wrapper, dropout
    active and the same seed on both sides: every loss term (pixel,
    distillation, TSSIM) and every updated weight equal the reference's
    (``--use_distill --gradient --sr_share --stu_iter=1 --rotate_train=5
    --tssim_loss``, the SR network clipped to 0.25, the student not)."""
    # two residual blocks keep the float64 step fast; the interpreter needs
    # 64 channels (its d_model is the feature width)
    net, student, teacher = official_setup(srb_nums=2)
    model = build_model(num_blocks=2)
    load_official(model, net, student, teacher)
    for m in (net, student, teacher, model):
        m.double()
    for recognizer in (model.teacher, model.student):
        recognizer.data_preprocessor = Float64Normalize()
    for name in ('inverse_kernel', 'target_coordinate_repr'):
        getattr(model.generator.tps, name).copy_(getattr(net.tps, name))
    lr, hr, _, samples = make_batch(4, torch.float64)

    torch.manual_seed(11)  # the angles, then the dropout masks
    losses, before = model_step(model, CONFIG, lr, samples)

    net.train()
    student.train()
    teacher.eval()
    ref_before = {k: v.clone() for k, v in convert(model, net,
                                                   student).items()}
    optimizer = tatt_optimizer([net], [student])
    torch.manual_seed(11)
    arcs, offsets = draw_rotation(4, 5.)
    ref = tatt_train_step([net], [student], teacher, lr, hr, arcs, offsets)
    tatt_update(ref['loss_total'], [net], optimizer)

    loss_diffs = {
        ours: rel_diff(losses[ours].detach(), ref[theirs].detach())
        for ours, theirs in (('loss_pixel', 'loss_img_pixel'),
                             ('loss_distill', 'loss_recog_distill'),
                             ('loss_tssim', 'loss_tssim'))
    }
    after = model.state_dict()
    ref_after = convert(model, net, student)
    worst_step, unchanged = 0., []
    for name in after:
        if BN_FED_BIAS.search(name):
            continue
        ours = after[name].double() - before[name].double()
        theirs = ref_after[name].double() - ref_before[name].double()
        diff = rel_diff(ours, theirs, floor=1e-3)
        if diff > worst_step:
            worst_step, worst_name = diff, name
        if (theirs != 0).any() != (ours != 0).any():
            unchanged.append(name)
    print(f'TATT losses rel diff {loss_diffs}, step (weights and buffers) '
          f'max rel diff {worst_step:.3e} ({worst_name})')
    assert set(losses) == set(loss_diffs)
    assert max(loss_diffs.values()) <= 1e-6
    assert unchanged == []
    assert worst_step <= 1e-6


def test_tatt_options_fail_clearly():
    with pytest.raises(ValueError, match='rotate_range > 0'):
        build_model_with(rotate_range=0.)
    with pytest.raises(ValueError, match='hidden_channels .* clue_channels'):
        MODELS.build(dict(type='TATTNet', hidden_channels=32,
                          clue_channels=64))
    net = MODELS.build(dict(type='TATTNet', hidden_channels=32,
                            clue_channels=32, use_stn=False))
    with pytest.raises(ValueError, match='16x64 features'):
        net(torch.rand(1, 4, 16, 32), torch.rand(1, 26, 37))


def build_model_with(**overrides) -> nn.Module:
    cfg = copy.deepcopy(Config.fromfile(str(CONFIG)).model)
    cfg.update(student_checkpoint=None, teacher_checkpoint=None, **overrides)
    return MODELS.build(cfg)


def test_query_gru_without_repeating_its_input():
    """The interpreter's query GRU reads one input per column repeated over
    the batch: computed once, it equals nn.GRU on the repeated input."""
    torch.manual_seed(0)
    gru = nn.GRU(12, 6, bidirectional=True, batch_first=True).double()
    x = torch.randn(5, 12, dtype=torch.float64)
    with torch.no_grad():
        expected = gru(x[:, None].expand(5, 7, 12))[0]
        out = repeated_input_gru(gru, x, 7)
    assert (out - expected).abs().max() <= 1e-12
    # the sequence runs along the batch: positions differ
    assert (out[:, 0] - out[:, -1]).abs().max() > 1e-3


def test_query_positions_kept_until_the_weights_change():
    interp = InfoTransformer(d_model=8, nhead=2, dim_feedforward=8,
                             feat_hw=(2, 4)).eval()
    embed = torch.randn(8, 8)
    with torch.no_grad():
        first = interp.query_positions(embed, 3)
        assert interp.query_positions(embed, 3) is first
        other_batch = interp.query_positions(embed, 2)
        assert other_batch.shape == (8, 2, 8)
        interp.load_state_dict(
            {k: v + 0.1 for k, v in interp.state_dict().items()})
        changed = interp.query_positions(embed, 3)
        embed.add_(1.)
        moved = interp.query_positions(embed, 3)
    assert (changed - first).abs().max() > 1e-4
    assert (moved - changed).abs().max() > 1e-4
    with torch.no_grad():
        fresh = interp._query_positions(embed, 3)
    assert torch.equal(moved, fresh)
    # with gradients nothing is kept: the graph reaches the GRU
    assert interp.query_positions(embed, 3).requires_grad
