"""Tests of ``C3STISRRelease`` against a reference of the C3-STISR release.

The reference below is written from the authors' code
(``JingyeChen/C3-STISR``: ``model/tsrn.py`` ``TSRN_TL``,
``model/language_correction.py`` ``BCNLanguage``,
``interfaces/super_resolution.py`` L300-500; TPGSR's ``model/stn_head.py``,
``model/tps_spatial_transformer.py``, ``loss/image_loss.py``,
``loss/semantic_loss.py``, ``interfaces/base.py`` ``parse_crnn_data``) in
plain torch, with the official parameter names, so that its state dict has
the released checkpoint's layout. The authors' classes themselves cannot be
imported here: ``model/tsrn.py`` needs TATT's ``transformer_v2`` and
``torch_distortion``, which neither mirror holds, and
``language_correction.py`` builds a model at import time from a
``model/charset.txt`` that is not released.
"""
import copy
import itertools
import math
from pathlib import Path
from typing import Dict, List

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.structures import LabelData
from mmocr.registry import MODELS

from stisr_mmocr.engine import load_pretrained, load_state_dict_strictly
from stisr_mmocr.structures import TextSRDataSample
from tests.test_tools.test_crnn_converter import OfficialCRNN, convert_crnn

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / 'configs' / 'c3stisr' / 'c3stisr_release_textzoom.py'
ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'
# a small language model keeps the tests fast; the layout is the release's
LM_DIMS = dict(d_model=64, n_head=4, d_inner=128, n_layers=2)


# --------------------------------------------------------------------------
# Reference: the release, in plain torch, official names
# --------------------------------------------------------------------------
def mish(x: torch.Tensor) -> torch.Tensor:
    return x * torch.tanh(F.softplus(x))


class GruBlock(nn.Module):
    """tsrn.py ``GruBlock``: 1x1 conv, BiGRU along each row."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 1)
        self.gru = nn.GRU(cout,
                          cout // 2,
                          bidirectional=True,
                          batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x).permute(0, 2, 3, 1).contiguous()
        b = x.size()
        x, _ = self.gru(x.view(b[0] * b[1], b[2], b[3]))
        return x.view(b[0], b[1], b[2], b[3]).permute(0, 3, 1, 2)


class RecurrentResidualBlockTL(nn.Module):
    """tsrn.py L904-940."""

    def __init__(self, channels: int, text_channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(channels)
        self.gru1 = GruBlock(channels + text_channels, channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(channels)
        self.gru2 = GruBlock(channels, channels)

    def forward(self, x: torch.Tensor, text_emb: torch.Tensor):
        residual = self.bn2(self.conv2(mish(self.bn1(self.conv1(x)))))
        cat_feature = torch.cat([residual, text_emb], 1)
        residual = self.gru1(cat_feature.transpose(-1, -2)).transpose(-1, -2)
        return self.gru2(x + residual)


class UpsampleBLock(nn.Module):

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels * 4, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return mish(F.pixel_shuffle(self.conv(x), 2))


class InfoGen(nn.Module):
    """tsrn.py L286-319 (the release's paddings)."""

    def __init__(self, t_emb: int, output_size: int) -> None:
        super().__init__()
        self.tconv1 = nn.ConvTranspose2d(t_emb, 512, 3, 2, bias=False)
        self.bn1 = nn.BatchNorm2d(512)
        self.tconv2 = nn.ConvTranspose2d(512, 128, 3, 2, bias=False)
        self.bn2 = nn.BatchNorm2d(128)
        self.tconv3 = nn.ConvTranspose2d(128, 64, 3, 2, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.tconv4 = nn.ConvTranspose2d(64,
                                         output_size,
                                         3, (2, 1),
                                         padding=1,
                                         bias=False)
        self.bn4 = nn.BatchNorm2d(output_size)

    def forward(self, t_embedding: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.tconv1(t_embedding)))
        x = F.relu(self.bn2(self.tconv2(x)))
        x = F.relu(self.bn3(self.tconv3(x)))
        return F.relu(self.bn4(self.tconv4(x)))


def conv3x3_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1), nn.BatchNorm2d(cout),
                         nn.ReLU(True))


class STNHead(nn.Module):
    """TPGSR model/stn_head.py (activation 'none')."""

    def __init__(self, in_planes: int, num_ctrlpoints: int = 20) -> None:
        super().__init__()
        self.num_ctrlpoints = num_ctrlpoints
        self.stn_convnet = nn.Sequential(conv3x3_block(in_planes, 32),
                                         nn.MaxPool2d(2, 2),
                                         conv3x3_block(32, 64),
                                         nn.MaxPool2d(2, 2),
                                         conv3x3_block(64, 128),
                                         nn.MaxPool2d(2, 2),
                                         conv3x3_block(128, 256),
                                         nn.MaxPool2d(2, 2),
                                         conv3x3_block(256, 256),
                                         nn.MaxPool2d((1, 2), (1, 2)),
                                         conv3x3_block(256, 256))
        self.stn_fc1 = nn.Sequential(nn.Linear(2 * 256, 512),
                                     nn.BatchNorm1d(512), nn.ReLU(True))
        self.stn_fc2 = nn.Linear(512, num_ctrlpoints * 2)

    def forward(self, x: torch.Tensor):
        x = self.stn_convnet(x)
        img_feat = self.stn_fc1(x.view(x.size(0), -1))
        x = self.stn_fc2(0.1 * img_feat)
        return img_feat, x.view(-1, self.num_ctrlpoints, 2)


def partial_repr(points: torch.Tensor, ctrl: torch.Tensor) -> torch.Tensor:
    diff = points.view(-1, 1, 2) - ctrl.view(1, -1, 2)
    dist = diff[:, :, 0]**2 + diff[:, :, 1]**2
    rep = 0.5 * dist * torch.log(dist)
    return rep.masked_fill(rep != rep, 0)


class TPSSpatialTransformer(nn.Module):
    """TPGSR model/tps_spatial_transformer.py; its four buffers are part of
    the official state dict."""

    def __init__(self,
                 output_image_size=(16, 64),
                 num_control_points=20,
                 margins=(0.05, 0.05),
                 dtype=torch.float32) -> None:
        super().__init__()
        self.h, self.w = output_image_size
        n = num_control_points
        xs = torch.linspace(margins[0], 1 - margins[0], n // 2, dtype=dtype)
        target = torch.cat([
            torch.stack([xs, torch.full_like(xs, margins[1])], 1),
            torch.stack([xs, torch.full_like(xs, 1 - margins[1])], 1)
        ])
        kernel = torch.zeros(n + 3, n + 3, dtype=dtype)
        kernel[:n, :n] = partial_repr(target, target)
        kernel[:n, -3] = 1
        kernel[-3, :n] = 1
        kernel[:n, -2:] = target
        kernel[-2:, :n] = target.t()
        coords = torch.tensor(list(
            itertools.product(range(self.h), range(self.w))),
                              dtype=dtype)
        y, x = coords.split(1, dim=1)
        coords = torch.cat([x / (self.w - 1), y / (self.h - 1)], 1)
        coord_repr = torch.cat([
            partial_repr(coords, target),
            torch.ones(self.h * self.w, 1, dtype=dtype), coords
        ], 1)
        self.register_buffer('inverse_kernel', torch.inverse(kernel))
        self.register_buffer('padding_matrix', torch.zeros(3, 2, dtype=dtype))
        self.register_buffer('target_coordinate_repr', coord_repr)
        self.register_buffer('target_control_points', target)

    def forward(self, x: torch.Tensor, source: torch.Tensor):
        y = torch.cat(
            [source, self.padding_matrix.expand(len(source), 3, 2)], 1)
        grid = torch.matmul(self.target_coordinate_repr,
                            torch.matmul(self.inverse_kernel, y))
        grid = grid.view(-1, self.h, self.w, 2).clamp(0, 1) * 2 - 1
        # F.grid_sample's default (align_corners=False) on torch >= 1.3
        return F.grid_sample(x, grid, align_corners=False), None


class PositionalEncoding(nn.Module):
    """language_correction.py ``PositionalEncoding``: buffer ``pe`` of
    shape (max_len, 1, d)."""

    def __init__(self,
                 d_model: int,
                 dropout: float = 0.,
                 max_len: int = 26) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        pe = torch.zeros(max_len, d_model)
        pos = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div = torch.exp(
            torch.arange(0, d_model, 2).float() *
            (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)
        self.register_buffer('pe', pe.unsqueeze(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(x + self.pe[:x.size(0)])


class BCNLayer(nn.Module):
    """language_correction.py ``TransformerDecoderLayer(self_attn=False)``;
    the official attention has ``nn.MultiheadAttention``'s maths and
    parameter names."""

    def __init__(self, d: int, heads: int, d_inner: int) -> None:
        super().__init__()
        self.multihead_attn = nn.MultiheadAttention(d, heads)
        self.linear1 = nn.Linear(d, d_inner)
        self.linear2 = nn.Linear(d_inner, d)
        self.norm2 = nn.LayerNorm(d)
        self.norm3 = nn.LayerNorm(d)

    def forward(self, tgt, memory, memory_mask):
        tgt2 = self.multihead_attn(tgt, memory, memory,
                                   attn_mask=memory_mask)[0]
        tgt = self.norm2(tgt + tgt2)
        return self.norm3(tgt + self.linear2(F.relu(self.linear1(tgt))))


class BCNLanguage(nn.Module):
    """language_correction.py ``BCNLanguage`` (dropout 0 for the test:
    dropout is random; the padding mask is all False as every length is
    T = 26)."""

    def __init__(self,
                 d_model=64,
                 n_head=4,
                 d_inner=128,
                 n_layers=2,
                 num_classes=37,
                 max_len=26) -> None:
        super().__init__()
        self.max_length = max_len
        self.proj = nn.Linear(num_classes, d_model, False)
        self.token_encoder = PositionalEncoding(d_model, max_len=max_len)
        self.pos_encoder = PositionalEncoding(d_model, max_len=max_len)
        self.model = nn.Module()
        self.model.layers = nn.ModuleList(
            [BCNLayer(d_model, n_head, d_inner) for _ in range(n_layers)])
        self.cls = nn.Linear(d_model, num_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        embed = self.token_encoder(self.proj(tokens.detach()).permute(1, 0, 2))
        out = self.pos_encoder(torch.zeros_like(embed))
        mask = torch.eye(self.max_length, dtype=tokens.dtype)
        mask = mask.masked_fill(mask == 1, float('-inf'))
        for layer in self.model.layers:
            out = layer(out, embed, mask)
        return self.cls(out.permute(1, 0, 2))


class TSRN_TL(nn.Module):
    """tsrn.py ``TSRN_TL(STN=True, mask=True, triple_clues=True)``.

    The modules of the dead fused clue are built only as far as their
    state-dict entries go (``DEAD``): ``hint`` (L441) never reaches the
    output, so the forward pass skips it.
    """

    def __init__(self,
                 lm_dims: dict,
                 srb_nums: int = 5,
                 tps_dtype=torch.float32) -> None:
        super().__init__()
        self.srb_nums = srb_nums
        self.block1 = nn.Sequential(nn.Conv2d(4, 64, 9, padding=4), nn.PReLU())
        for i in range(srb_nums):
            setattr(self, f'block{i + 2}', RecurrentResidualBlockTL(64, 32))
        self.infoGen = InfoGen(37, 32)
        setattr(
            self, f'block{srb_nums + 2}',
            nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), nn.BatchNorm2d(64)))
        setattr(
            self, f'block{srb_nums + 3}',
            nn.Sequential(UpsampleBLock(64), nn.Conv2d(64, 4, 9, padding=4)))
        self.tps = TPSSpatialTransformer(dtype=tps_dtype)
        self.stn_head = STNHead(4)
        self.lm = BCNLanguage(**lm_dims)
        self.infoGen_ling = InfoGen(37, 32)
        self.infoGen_visual = InfoGen(37, 10)
        self.down_conv = nn.Conv2d(64, 32, 1)
        self.correction_model = BCNLanguage(**lm_dims)
        self.dead_keys = {
            'dsta_rec.conv1.weight': (8, 32, 1, 1),
            'dsta_ling.dcn.weight': (8, 1, 3, 3),
            'dsta_vis.mask2.bias': (216, ),
            'gated.gated1.0.weight_g': (64, 1, 1, 1),
            'gated.compress.1.weight_v': (64, 128, 1, 1),
            'vis_rec_fuser.deform_conv.weight': (32, 1, 3, 3),
        }

    def official_state_dict(self) -> Dict[str, torch.Tensor]:
        """The state dict plus entries standing for the dead DSTA, gated
        fusion and deformable fuser modules."""
        state = self.state_dict()
        for key, shape in self.dead_keys.items():
            state[key] = torch.zeros(shape)
        return state

    def forward(self, x: torch.Tensor, text_emb: torch.Tensor):
        if self.training:
            _, ctrl_points = self.stn_head(x)
            x, _ = self.tps(x, ctrl_points)
        block = {'1': self.block1(x)}
        spatial_t_emb = F.interpolate(self.infoGen(text_emb),
                                      (x.shape[2], x.shape[3]),
                                      mode='bilinear',
                                      align_corners=True)
        n = self.srb_nums
        for i in range(n + 1):
            blk = getattr(self, f'block{i + 2}')
            block[str(i + 2)] = blk(block[str(i + 1)], spatial_t_emb) \
                if i + 2 <= n + 1 else blk(block[str(i + 1)])
        return torch.tanh(
            getattr(self, f'block{n + 3}')(block['1'] + block[str(n + 2)]))


def parse_crnn_data(imgs: torch.Tensor) -> torch.Tensor:
    """TPGSR base.py ``parse_crnn_data``."""
    x = F.interpolate(imgs[:, :3], (32, 100), mode='bicubic')
    return 0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]


def semantic_loss(pred, gt):
    """TPGSR loss/semantic_loss.py (KLDivLoss 'mean' = element mean)."""
    margin = torch.abs(gt - pred).mean()
    log_pred = torch.log(pred + 1e-20)
    target = gt + 1e-20
    kl = (target * (torch.log(target) - log_pred)).mean()
    return margin + kl


def image_loss(out, target):
    """TPGSR loss/image_loss.py ``ImageLoss(gradient=True, [1, 1e-4])``."""

    def gradient_map(x):
        w, h = x.shape[3], x.shape[2]
        r = F.pad(x, (0, 1, 0, 0))[:, :, :, 1:]
        l = F.pad(x, (1, 0, 0, 0))[:, :, :, :w]  # noqa: E741
        t = F.pad(x, (0, 0, 1, 0))[:, :, :h, :]
        b = F.pad(x, (0, 0, 0, 1))[:, :, 1:, :]
        return torch.pow(((r - l) * 0.5)**2 + ((t - b) * 0.5)**2 + 1e-6, 0.5)

    gp = F.l1_loss(gradient_map(out[:, :3]), gradient_map(target[:, :3]))
    return F.mse_loss(out, target) + 1e-4 * gp


def collate_targets(labels: List[str]):
    """TPGSR dataset.py ``alignCollate_realWTLAMask``: CTC targets
    (``weighted_mask``), per-sample lengths and ``weighted_tics``."""
    flat, lengths, tics = [], [], []
    for word in labels:
        word = word.lower()
        if len(word) >= 15:
            word = word[:15]
        ids = [ALPHABET.index(c) + 1 for c in word if c in ALPHABET]
        flat += ids or [0]
        lengths.append(max(len(ids), 1))
        tics.append(1. if ids else 0.)
    return torch.tensor(flat), torch.tensor(lengths), torch.tensor(tics)


def release_step(net: TSRN_TL, student: OfficialCRNN, teacher: OfficialCRNN,
                 lr_img, hr_img, labels) -> dict:
    """One step of the release's loop (super_resolution.py L300-500,
    ``stu_iter=1``), Adam as ``optimizer_init``."""
    optimizer = torch.optim.Adam(list(net.parameters()) +
                                 list(student.parameters()),
                                 lr=1e-3,
                                 betas=(0.5, 0.999))
    label_vecs_hr = F.softmax(teacher(parse_crnn_data(hr_img)).detach(), -1)
    student.eval()
    with torch.no_grad():
        lm_input = F.softmax(
            student(parse_crnn_data(lr_img)).transpose(0, 1), -1)
    student.train()
    label_vecs_logits = student(parse_crnn_data(lr_img))
    label_vecs = F.softmax(label_vecs_logits, -1)
    label_vecs_final = label_vecs.permute(1, 0,
                                          2).unsqueeze(1).permute(0, 3, 1, 2)
    loss_distill = semantic_loss(label_vecs, label_vecs_hr) * 100
    n = lr_img.shape[0]
    drop_vec = torch.ones(n, dtype=lr_img.dtype)
    drop_vec[:n // 4] = 0.
    lm_out = net.lm(lm_input)
    targets, text_len, tics = collate_targets(labels)
    ctc = F.ctc_loss(lm_out.log_softmax(2).transpose(0, 1),
                     targets,
                     torch.full((n, ), lm_out.shape[1], dtype=torch.long),
                     text_len,
                     blank=0,
                     reduction='mean')
    loss_lm = (ctc * tics.to(ctc)).mean()
    sr = net(lr_img, label_vecs_final * drop_vec.view(-1, 1, 1, 1))
    loss_img = image_loss(sr, hr_img).mean() * 100
    loss = loss_img + (loss_distill + loss_lm)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(net.parameters(), 0.25)
    optimizer.step()
    return dict(loss=loss.item(),
                loss_img=loss_img.item(),
                loss_distill=loss_distill.item(),
                loss_lm=loss_lm.item())


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
def randomize_norms(module: nn.Module, gen: torch.Generator) -> None:
    """Non-trivial affine and running statistics in every norm layer."""
    for m in module.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm)):
            with torch.no_grad():
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=gen) - 0.5)
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.copy_(
                (torch.rand(m.running_mean.shape, generator=gen) - 0.5) * 0.2)
            m.running_var.copy_(
                torch.rand(m.running_var.shape, generator=gen) + 0.5)
            m.num_batches_tracked.fill_(7)


def official_setup(seed: int = 0, srb_nums: int = 5, tps_dtype=torch.float32):
    """The release's SR network, student and teacher with random weights.

    So that a wrong path shows: the STN's last layer gets small random
    weights (the official init is the identity warp, which would hide the
    TPS), the CRNNs' classifiers are scaled up (peaked distributions reveal
    a wrong class order) and InfoGen gets weights of unit scale (with
    PyTorch's init the clue barely changes the output).
    """
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    net = TSRN_TL(LM_DIMS, srb_nums, tps_dtype)
    student, teacher = OfficialCRNN(), OfficialCRNN()
    perturb(net, (student, teacher), gen)
    return net, student, teacher


def perturb(net: nn.Module, crnns, gen: torch.Generator) -> None:
    """Random norms in ``net`` and ``crnns`` (in this order), a small random
    STN, InfoGen weights of unit scale and peaked CRNN classifiers (see
    :func:`official_setup`)."""
    for m in (net, *crnns):
        randomize_norms(m, gen)
    with torch.no_grad():
        net.stn_head.stn_fc2.weight.normal_(0, 1e-2, generator=gen)
        for i in range(1, 5):
            getattr(net.infoGen, f'tconv{i}').weight.normal_(0,
                                                             0.5,
                                                             generator=gen)
            getattr(net.infoGen, f'bn{i}').running_mean.zero_()
        for crnn in crnns:
            crnn.rnn[1].embedding.weight.mul_(20)


def converter():
    from tests.test_tools.test_c3stisr_release_converter import \
        load_converter
    return load_converter()


def release_config(num_blocks: int = 5, **lm_overrides) -> dict:
    """The model dict of the release config, small LM, no checkpoints."""
    cfg = copy.deepcopy(Config.fromfile(str(CONFIG)).model)
    cfg.generator.num_blocks = num_blocks
    cfg.student_checkpoint = None
    cfg.teacher_checkpoint = None
    cfg.language_model.checkpoint = None
    cfg.language_model.update(LM_DIMS, **lm_overrides)
    return cfg


def build_release_model(num_blocks: int = 5, **lm_overrides) -> nn.Module:
    return MODELS.build(release_config(num_blocks, **lm_overrides))


def load_official(model, net, student, teacher) -> None:
    """Convert the official state dicts and load them strictly."""
    state = converter().convert_c3stisr(net.official_state_dict(),
                                        student.state_dict(), model)
    model.load_state_dict(state, strict=True)
    model.teacher.load_state_dict(convert_crnn(teacher.state_dict()))


def make_batch(n: int, dtype=torch.float32, seed: int = 1):
    gen = torch.Generator().manual_seed(seed)
    hr = torch.rand(n, 4, 32, 128, generator=gen, dtype=dtype)
    lr = F.avg_pool2d(
        hr, 2) + 0.05 * torch.rand(n, 4, 16, 64, generator=gen, dtype=dtype)
    labels = [
        'Hello', 'w0rld!', 'THISISAVERYLONGWORD', 'it\'s', 'ab', 'c3', 'stisr',
        'Zoom'
    ][:n]
    samples = []
    for img, label in zip(hr, labels):
        s = TextSRDataSample()
        s.gt_img = img
        s.gt_text = LabelData(item=label)
        samples.append(s)
    return lr, hr, labels, samples


def rel_diff(a: torch.Tensor, b: torch.Tensor, floor: float = 0.) -> float:
    """max |a - b| / max(max |b|, floor) (0 when both are 0).

    ``floor`` keeps tensors whose reference is only rounding noise (the
    gradient of a bias followed by batch norm is zero in exact arithmetic)
    from dividing noise by noise.
    """
    scale = max(b.abs().max().item(), floor)
    diff = (a - b).abs().max().item()
    return diff / scale if scale else diff


def model_step(model: nn.Module, config: Path, lr: torch.Tensor,
               samples: list) -> tuple:
    """One training step of ``model`` through the optimizer wrapper of
    ``config``; returns (losses, state dict before the step)."""
    optim_wrapper = build_optim_wrapper(
        model, copy.deepcopy(Config.fromfile(str(config)).optim_wrapper))
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    losses = model.loss(lr, samples)
    loss, _ = model.parse_losses(losses)
    optim_wrapper.backward(loss)
    optim_wrapper.step()
    return losses, before


class Float64Normalize(nn.Module):
    """The CRNN's ``TextRecogDataPreprocessor(mean=[0], std=[255])``
    without mmengine's cast of the inputs to float32, for float64 tests."""

    def forward(self, data: dict, training: bool = False) -> dict:
        return dict(inputs=data['inputs'] / 255.,
                    data_samples=data.get('data_samples'))


def no_dropout(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.
        if isinstance(m, nn.MultiheadAttention):
            m.dropout = 0.


# --------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------
def test_info_gen_paddings():
    from stisr_mmocr.models.layers.c3stisr_release import (InfoGen,
                                                           TPGSR_PADDINGS)
    probs = torch.rand(2, 26, 37)
    assert InfoGen()(probs).shape == (2, 32, 25, 213)
    assert InfoGen(paddings=TPGSR_PADDINGS)(probs).shape == (2, 32, 1, 203)


def test_eval_forward_matches_release():
    """(a) official-layout random weights -> converter -> strict load ->
    the same SR output (fp32, eval mode)."""
    net, student, teacher = official_setup()
    model = build_release_model()
    load_official(model, net, student, teacher)
    model.eval()
    net.eval()
    student.eval()
    lr, *_ = make_batch(3)
    with torch.no_grad():
        probs = F.softmax(student(parse_crnn_data(lr)), -1)
        expected = net(lr, probs.permute(1, 2, 0).unsqueeze(2))
        out = model(lr, mode='tensor')
    diff = (out - expected).abs().max().item()
    print(f'eval SR max abs diff: {diff:.3e}')
    assert out.shape == (3, 4, 32, 128)
    assert diff <= 1e-4
    # the reading guides the blocks, in MMOCR's class order
    with torch.no_grad():
        ours = model.read(model.student, lr).softmax(-1)
        unguided = model.generator(lr, torch.zeros_like(ours))
        shifted = model.generator(lr, ours.roll(1, dims=-1))
    assert (unguided - expected).abs().max() > 1e-2
    assert (shifted - expected).abs().max() > 1e-2
    preds = model(lr, mode='predict')
    assert torch.allclose(preds[0].pred_img, out[0], atol=1e-6)


def test_training_step_matches_release():
    """(b) one training step (float64) equals the release's step:
    quarter-zeroed clues, x100 losses, the LM trained by CTC on the eval
    reading, Adam with clipping of network + LM only."""
    # two residual blocks instead of five keep the float64 step fast
    net, student, teacher = official_setup(srb_nums=2)
    model = build_release_model(num_blocks=2, dropout=0.)
    load_official(model, net, student, teacher)
    for m in (net, student, teacher, model):
        m.double()
        no_dropout(m)
    model.student.data_preprocessor = Float64Normalize()
    model.teacher.data_preprocessor = Float64Normalize()
    # Both TPS keep float32 constants, computed differently (the release
    # inverts its kernel in float32, ours in float64): through the clue path
    # the difference (3e-8 on the pixel loss) reaches the student's
    # gradients at the size of Adam's eps. The step is compared with the
    # release's constants in both.
    for name in ('inverse_kernel', 'target_coordinate_repr'):
        getattr(model.generator.tps, name).copy_(getattr(net.tps, name))
    lr, hr, labels, samples = make_batch(4, torch.float64)

    # the model, through the config's optimizer wrapper
    losses, before = model_step(model, CONFIG, lr, samples)

    net.train()
    student.train()
    teacher.eval()
    ref_before = copy.deepcopy(net.official_state_dict())
    ref_student_before = copy.deepcopy(student.state_dict())
    ref = release_step(net, student, teacher, lr, hr, labels)

    loss_diffs = {
        key: abs(losses[ours].item() - ref[key]) / abs(ref[key])
        for key, ours in (('loss_img', 'loss_pixel'),
                          ('loss_distill', 'loss_distill'), ('loss_lm',
                                                             'loss_lm'))
    }
    convert = converter().convert_c3stisr
    # clipped gradients, mapped like weights (buffers stand in for grads)
    grads = net.official_state_dict()
    for name, p in net.named_parameters():
        grads[name] = p.grad if p.grad is not None else torch.zeros_like(p)
    student_grads = dict(student.state_dict())
    for name, p in student.named_parameters():
        student_grads[name] = p.grad
    ref_grads = convert(grads, student_grads, model)
    grad_diffs = {
        name: rel_diff(p.grad, ref_grads[name], floor=1e-8)
        for name, p in model.named_parameters()
        if not name.startswith('teacher.')
    }
    worst_grad = max(grad_diffs.values())
    # network and LM were clipped together to 0.25, the student was not
    norms = {
        part:
        torch.stack([
            p.grad.norm() for n, p in model.named_parameters()
            if n.startswith(prefixes)
        ]).norm().item()
        for part, prefixes in (('sr', ('generator.', 'language_model.')),
                               ('student', ('student.', )))
    }

    after = model.state_dict()
    ref_after = convert(net.official_state_dict(), student.state_dict(), model)
    ref_before = convert(ref_before, ref_student_before, model)
    # Adam's first step is about lr x sign(grad): lr is the step's scale
    worst_step, unchanged = 0., []
    for name in after:
        ours = after[name].double() - before[name].double()
        theirs = ref_after[name].double() - ref_before[name].double()
        worst_step = max(worst_step, rel_diff(ours, theirs, floor=1e-3))
        if (theirs != 0).any() != (ours != 0).any():
            unchanged.append(name)
    print(f'losses rel diff {loss_diffs}, grad norms {norms}, clipped '
          f'grads max rel diff {worst_grad:.3e}, step (weights and '
          f'buffers) max rel diff {worst_step:.3e}')
    assert max(loss_diffs.values()) <= 1e-6
    assert norms['sr'] == pytest.approx(0.25, rel=1e-6)
    assert norms['student'] > 1
    assert unchanged == []
    assert worst_grad <= 1e-6
    assert worst_step <= 1e-6


def test_teacher_is_frozen_and_not_saved(tmp_path):
    model = build_release_model()
    model.train()
    assert not model.teacher.training and model.student.training
    assert not any(p.requires_grad for p in model.teacher.parameters())
    state = model.state_dict()
    assert not any(k.startswith('teacher.') for k in state)
    assert any(k.startswith('student.') for k in state)
    # init_weights loads the two CRNN checkpoints strictly
    crnn = tmp_path / 'crnn.pth'
    official = OfficialCRNN()
    torch.save(dict(state_dict=convert_crnn(official.state_dict())), crnn)
    cfg = release_config()
    cfg.teacher_checkpoint = str(crnn)
    model = MODELS.build(cfg)
    model.init_weights()
    expected = convert_crnn(official.state_dict())
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, expected[key]), key
    assert not torch.equal(
        model.student.state_dict()['backbone.cnn.conv0.'
                                   'weight'],
        expected['backbone.cnn.conv0.weight'])
    model.train()
    assert not model.teacher.training
    assert not any(p.requires_grad for p in model.teacher.parameters())
    # a checkpoint of the model carries no teacher: it loads strictly, and
    # the teacher comes from teacher_checkpoint, as StrictRunner loads it
    # before testing
    saved = model.state_dict()
    cfg.student_checkpoint = str(crnn)
    fresh = MODELS.build(cfg)
    load_pretrained(fresh)
    for key, value in expected.items():
        assert torch.equal(fresh.teacher.state_dict()[key], value), key
        assert torch.equal(fresh.student.state_dict()[key], value), key
    load_state_dict_strictly(fresh, saved, 'saved model')
    for key, value in model.student.state_dict().items():
        assert torch.equal(fresh.student.state_dict()[key], value), key
    assert not any(p.requires_grad for p in fresh.teacher.parameters())


def test_clue_dropout_and_lm_targets():
    model = build_release_model()
    probs = torch.rand(9, 26, 37)
    dropped = model.drop_clues(probs)
    assert dropped[:2].abs().sum() == 0
    assert torch.equal(dropped[2:], probs[2:])
    _, _, _, samples = make_batch(3)
    targets = model.lm_targets(samples)
    assert [t.gt_text.item
            for t in targets] == ['hello', 'w0rld!', 'thisisaverylong']
    assert samples[2].gt_text.item == 'THISISAVERYLONGWORD'


def test_release_config_parses_and_builds():
    """(e) the config parses, its model builds, the recipe is the
    release's."""
    cfg = Config.fromfile(str(CONFIG))
    assert cfg.train_dataloader.batch_size == 48
    assert cfg.train_dataloader.drop_last is True
    assert cfg.optim_wrapper.type == 'GroupClipOptimWrapper'
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=0.25)
    assert cfg.optim_wrapper.optimizer == dict(type='Adam',
                                               lr=1e-3,
                                               betas=(0.5, 0.999))
    assert cfg.train_cfg.type == 'IterBasedTrainLoop'
    assert cfg.train_cfg.val_interval == 100
    assert cfg.default_hooks.checkpoint.save_best == 'mean/crnn_word_acc'
    assert cfg.default_hooks.checkpoint.rule == 'greater'
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.student_checkpoint = None
    model_cfg.teacher_checkpoint = None
    model_cfg.language_model.checkpoint = None
    model = MODELS.build(model_cfg)
    assert type(model).__name__ == 'C3STISRRelease'
    assert model.pixel_loss.loss_weight == 100
    assert model.distill_loss.loss_weight == 100
    wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    clip = {
        id(p): g.get('clip_grad', True)
        for g in wrapper.optimizer.param_groups
        for p in g['params']
    }
    for name, p in model.named_parameters():
        if p.requires_grad:
            assert clip[id(p)] == (not name.startswith('student.')), name
