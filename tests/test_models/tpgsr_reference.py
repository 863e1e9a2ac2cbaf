"""Plain-torch reference of TPGSR (TIP'23, ``mjq11302010044/TPGSR`` at
commit dc3e3b1, MIT), written from the official code for parity tests.

What it covers (file:line of the official code):

- ``TSRN_TL`` (``model/tsrn.py`` L111-215) with ``InfoGen`` (L81-108),
  ``RecurrentResidualBlockTL`` (L397-426), ``GruBlock`` (L491-508),
  ``UpsampleBLock`` (L464-477), ``mish`` (L480-488), ``STNHead``
  (``model/stn_head.py``) and ``TPSSpatialTransformer``
  (``model/tps_spatial_transformer.py``), with the official module and
  parameter names and the official construction order: an official state
  dict loads with ``load_state_dict(strict=True)``, and with the same seed
  a fresh reference gets the official initial weights.
- ``parse_crnn_data`` (``interfaces/base.py`` L806-829), ``SemanticLoss``
  (``loss/semantic_loss.py``), ``ImageLoss(gradient=True, [1, 1e-4])``
  (``loss/image_loss.py``), the label tensors of
  ``alignCollate_realWTLAMask`` (``dataset/dataset.py`` L1226-1323).
- one training step of ``--arch tsrn_tl_cascade`` (``interfaces/
  super_resolution.py`` L295-406 and L419-424), any ``--stu_iter``, with or
  without ``--sr_share`` / ``--tpg_share`` / ``--use_label``; the
  optimiser of ``optimizer_init`` (``base.py`` L427-486); the evaluation
  cascade (``super_resolution.py`` L673-768).

Recognizers (the students, the teacher) are passed in: any module that maps
(N, 1, 32, 100) gray images to (T, N, 37) logits, blank first (meijieru's
CRNN, ``model/crnn/crnn.py``; ``tests/test_tools/test_crnn_converter.py``
has a plain-torch copy, ``OfficialCRNN``).

Not covered: ``--ssim_loss``, ``--random_reso``, ``--syn`` and DataParallel
(the official yaml sets ``ngpu: 2``: the SR network's batch norms then see
each GPU's half batch; see ``docs/notes_tpgsr.md``).

``third_party/check_tpgsr_reference.py`` (git-ignored) checks this file
against the official modules and the official loop body.
"""
import itertools
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

#: meijieru CRNN classes: blank first (``alignCollate_syn.d2a``).
TPGSR_CLASSES = '-0123456789abcdefghijklmnopqrstuvwxyz'


# --------------------------------------------------------------------------
# Network: model/tsrn.py, model/stn_head.py, model/tps_spatial_transformer.py
# --------------------------------------------------------------------------
class mish(nn.Module):  # noqa: N801 (official name)
    """tsrn.py L480-488."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.tanh(F.softplus(x))


class GruBlock(nn.Module):
    """tsrn.py L491-508: 1x1 conv, then a BiGRU along the last axis of each
    row of the (N, C, H, W) map (sequences of length W)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        assert out_channels % 2 == 0
        self.conv1 = nn.Conv2d(in_channels, out_channels, 1, padding=0)
        self.gru = nn.GRU(out_channels,
                          out_channels // 2,
                          bidirectional=True,
                          batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(x).permute(0, 2, 3, 1).contiguous()
        b = x.size()
        x, _ = self.gru(x.view(b[0] * b[1], b[2], b[3]))
        return x.view(b[0], b[1], b[2], b[3]).permute(0, 3, 1, 2)


class RecurrentResidualBlockTL(nn.Module):
    """tsrn.py L397-426. The prior enters once: concatenated (channels
    after the residual's) to conv-BN-mish-conv-BN's output, before
    ``gru1``, which runs on the transposed map (sequences along H);
    ``gru2`` runs along W on ``x + residual``."""

    def __init__(self, channels: int, text_channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(channels)
        self.gru1 = GruBlock(channels + text_channels, channels)
        self.prelu = mish()
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(channels)
        self.gru2 = GruBlock(channels, channels)

    def forward(self, x: torch.Tensor, text_emb: torch.Tensor):
        residual = self.bn2(self.conv2(self.prelu(self.bn1(self.conv1(x)))))
        cat_feature = torch.cat([residual, text_emb], 1)
        residual = self.gru1(cat_feature.transpose(-1, -2)).transpose(-1, -2)
        return self.gru2(x + residual)


class UpsampleBLock(nn.Module):
    """tsrn.py L464-477: conv to C x s^2, pixel shuffle, mish."""

    def __init__(self, in_channels: int, up_scale: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels,
                              in_channels * up_scale**2,
                              3,
                              padding=1)
        self.pixel_shuffle = nn.PixelShuffle(up_scale)
        self.prelu = mish()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.prelu(self.pixel_shuffle(self.conv(x)))


class InfoGen(nn.Module):
    """tsrn.py L81-108 (TPGSR's paddings). (N, 37, 1, T) -> four transposed
    convolutions (kernel 3; strides 2, 2, 2, (2, 1); paddings 1, 1, 1,
    (1, 0); no bias), each + BN + ReLU. T = 26 gives (N, C', 1, 203):
    widths 26 -> 51 -> 101 -> 201 -> 203, height 1 throughout."""

    def __init__(self, t_emb: int, output_size: int) -> None:
        super().__init__()
        self.tconv1 = nn.ConvTranspose2d(t_emb, 512, 3, 2, padding=1,
                                         bias=False)
        self.bn1 = nn.BatchNorm2d(512)
        self.tconv2 = nn.ConvTranspose2d(512, 128, 3, 2, padding=1,
                                         bias=False)
        self.bn2 = nn.BatchNorm2d(128)
        self.tconv3 = nn.ConvTranspose2d(128, 64, 3, 2, padding=1,
                                         bias=False)
        self.bn3 = nn.BatchNorm2d(64)
        self.tconv4 = nn.ConvTranspose2d(64,
                                         output_size,
                                         3, (2, 1),
                                         padding=(1, 0),
                                         bias=False)
        self.bn4 = nn.BatchNorm2d(output_size)

    def forward(self, t_embedding: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.bn1(self.tconv1(t_embedding)))
        x = F.relu(self.bn2(self.tconv2(x)))
        x = F.relu(self.bn3(self.tconv3(x)))
        return F.relu(self.bn4(self.tconv4(x)))


def conv3x3_block(in_planes: int, out_planes: int) -> nn.Sequential:
    """stn_head.py L13-22."""
    return nn.Sequential(nn.Conv2d(in_planes, out_planes, 3, 1, 1),
                         nn.BatchNorm2d(out_planes), nn.ReLU(inplace=True))


class STNHead(nn.Module):
    """stn_head.py L25-106 (``activation='none'``; ``input_size`` is
    unused there: the flatten width is fixed to 2, L47, i.e. a 16 x 64
    input). Initialised as the official one (L55-90)."""

    def __init__(self, in_planes: int, num_ctrlpoints: int) -> None:
        super().__init__()
        self.in_planes = in_planes
        self.num_ctrlpoints = num_ctrlpoints
        self.stn_convnet = nn.Sequential(
            conv3x3_block(in_planes, 32), nn.MaxPool2d(2, 2),
            conv3x3_block(32, 64), nn.MaxPool2d(2, 2),
            conv3x3_block(64, 128), nn.MaxPool2d(2, 2),
            conv3x3_block(128, 256), nn.MaxPool2d(2, 2),
            conv3x3_block(256, 256), nn.MaxPool2d((1, 2), (1, 2)),
            conv3x3_block(256, 256))
        self.stn_fc1 = nn.Sequential(nn.Linear(2 * 256, 512),
                                     nn.BatchNorm1d(512), nn.ReLU(True))
        self.stn_fc2 = nn.Linear(512, num_ctrlpoints * 2)
        for module in (self.stn_convnet, self.stn_fc1):
            for m in module.modules():
                if isinstance(m, nn.Conv2d):
                    n = m.kernel_size[0] * m.kernel_size[1] * m.out_channels
                    m.weight.data.normal_(0, math.sqrt(2. / n))
                    m.bias.data.zero_()
                elif isinstance(m, nn.BatchNorm2d):
                    m.weight.data.fill_(1)
                    m.bias.data.zero_()
                elif isinstance(m, nn.Linear):
                    m.weight.data.normal_(0, 0.001)
                    m.bias.data.zero_()
        margin, k = 0.01, num_ctrlpoints // 2
        xs = np.linspace(margin, 1. - margin, k)
        pts = np.concatenate([
            np.stack([xs, np.ones(k) * margin], 1),
            np.stack([xs, np.ones(k) * (1 - margin)], 1)
        ]).astype(np.float32)
        self.stn_fc2.weight.data.zero_()
        self.stn_fc2.bias.data = torch.Tensor(pts).view(-1)

    def forward(self, x: torch.Tensor):
        x = self.stn_convnet(x)
        img_feat = self.stn_fc1(x.view(x.size(0), -1))
        x = self.stn_fc2(0.1 * img_feat)
        return img_feat, x.view(-1, self.num_ctrlpoints, 2)


def _partial_repr(points: torch.Tensor, ctrl: torch.Tensor) -> torch.Tensor:
    """tps_spatial_transformer.py L22-34: 0.5 r^2 log r^2, NaN -> 0."""
    diff = points.view(-1, 1, 2) - ctrl.view(1, -1, 2)
    sq = diff * diff
    dist = sq[:, :, 0] + sq[:, :, 1]
    rep = 0.5 * dist * torch.log(dist)
    return rep.masked_fill(rep != rep, 0)


class TPSSpatialTransformer(nn.Module):
    """tps_spatial_transformer.py L54-112. Its four buffers (computed in
    float32, as the official ``torch.Tensor`` ones) are in the state dict.

    Args:
        align_corners (bool): Of ``F.grid_sample``. The official call
            (L11) passes none: ``False`` on torch >= 1.3, where the code
            runs today; the README's torch 1.2 sampled as ``True``.
    """

    def __init__(self,
                 output_image_size: Tuple[int, int],
                 num_control_points: int,
                 margins: Tuple[float, float],
                 align_corners: bool = False) -> None:
        super().__init__()
        self.num_control_points = num_control_points
        self.target_height, self.target_width = output_image_size
        self.align_corners = align_corners
        k = num_control_points // 2
        xs = np.linspace(margins[0], 1. - margins[0], k)
        target = torch.Tensor(
            np.concatenate([
                np.stack([xs, np.ones(k) * margins[1]], 1),
                np.stack([xs, np.ones(k) * (1. - margins[1])], 1)
            ]))
        n = num_control_points
        kernel = torch.zeros(n + 3, n + 3)
        kernel[:n, :n].copy_(_partial_repr(target, target))
        kernel[:n, -3].fill_(1)
        kernel[-3, :n].fill_(1)
        kernel[:n, -2:].copy_(target)
        kernel[-2:, :n].copy_(target.transpose(0, 1))
        h, w = output_image_size
        coords = torch.Tensor(list(itertools.product(range(h), range(w))))
        y, x = coords.split(1, dim=1)
        coords = torch.cat([x / (w - 1), y / (h - 1)], dim=1)
        coord_repr = torch.cat(
            [_partial_repr(coords, target),
             torch.ones(h * w, 1), coords], 1)
        self.register_buffer('inverse_kernel', torch.inverse(kernel))
        self.register_buffer('padding_matrix', torch.zeros(3, 2))
        self.register_buffer('target_coordinate_repr', coord_repr)
        self.register_buffer('target_control_points', target)

    def forward(self, input: torch.Tensor, source_control_points):
        n = source_control_points.size(0)
        y = torch.cat(
            [source_control_points,
             self.padding_matrix.expand(n, 3, 2)], 1)
        source = torch.matmul(self.target_coordinate_repr,
                              torch.matmul(self.inverse_kernel, y))
        grid = source.view(-1, self.target_height, self.target_width, 2)
        grid = 2.0 * torch.clamp(grid, 0, 1) - 1.0
        return F.grid_sample(input, grid,
                             align_corners=self.align_corners), source


class TSRN_TL(nn.Module):  # noqa: N801 (official name)
    """tsrn.py L111-215, as ``generator_init`` builds it for
    ``tsrn_tl_cascade`` (``base.py`` L323-326): ``scale_factor`` = yaml
    ``down_sample_scale`` (2), ``width``/``height`` = yaml 128/32, ``STN``
    = ``--STN``, ``mask`` = ``--mask`` (4 input planes), ``srb_nums`` =
    ``--srb`` (5), ``hidden_units`` = ``--hd_u`` (32: 64 feature channels);
    ``text_emb`` 37 and ``out_text_channels`` 32 keep their defaults.

    The official forward feeds the prior to the blocks numbered 2-6 (a
    hard-coded list, L202): it runs only with ``srb_nums == 5`` (with fewer
    blocks it calls the tail ``Sequential`` with two arguments, with more a
    ``RecurrentResidualBlockTL`` with one). This reference feeds every
    residual block, which is the same for 5 and also runs otherwise.
    """

    def __init__(self,
                 scale_factor: int = 2,
                 width: int = 128,
                 height: int = 32,
                 STN: bool = False,  # noqa: N803 (official name)
                 srb_nums: int = 5,
                 mask: bool = True,
                 hidden_units: int = 32,
                 text_emb: int = 37,
                 out_text_channels: int = 32,
                 tps_align_corners: bool = False) -> None:
        super().__init__()
        in_planes = 4 if mask else 3
        assert math.log(scale_factor, 2) % 1 == 0
        upsample_block_num = int(math.log(scale_factor, 2))
        self.block1 = nn.Sequential(
            nn.Conv2d(in_planes, 2 * hidden_units, 9, padding=4), nn.PReLU())
        self.srb_nums = srb_nums
        for i in range(srb_nums):
            setattr(self, f'block{i + 2}',
                    RecurrentResidualBlockTL(2 * hidden_units,
                                             out_text_channels))
        self.infoGen = InfoGen(text_emb, out_text_channels)
        self.emb_cls = text_emb
        setattr(
            self, f'block{srb_nums + 2}',
            nn.Sequential(
                nn.Conv2d(2 * hidden_units, 2 * hidden_units, 3, padding=1),
                nn.BatchNorm2d(2 * hidden_units)))
        block_ = [
            UpsampleBLock(2 * hidden_units, 2)
            for _ in range(upsample_block_num)
        ]
        block_.append(nn.Conv2d(2 * hidden_units, in_planes, 9, padding=4))
        setattr(self, f'block{srb_nums + 3}', nn.Sequential(*block_))
        self.tps_inputsize = [height // scale_factor, width // scale_factor]
        self.stn = STN
        if STN:
            self.tps = TPSSpatialTransformer(tuple(self.tps_inputsize), 20,
                                             (0.05, 0.05), tps_align_corners)
            self.stn_head = STNHead(in_planes, 20)

    def spatial_prior(self, text_emb: torch.Tensor,
                      size: Sequence[int]) -> torch.Tensor:
        """L195-196: InfoGen, then bilinear (``align_corners=True``) to the
        (possibly rectified) LR size. From (N, 32, 1, 203) every row of the
        (N, 32, 16, 64) map is the same."""
        return F.interpolate(self.infoGen(text_emb),
                             (size[0], size[1]),
                             mode='bilinear',
                             align_corners=True)

    def forward(self,
                x: torch.Tensor,
                text_emb: Optional[torch.Tensor] = None) -> torch.Tensor:
        """L178-215.

        Args:
            x: (N, 4, 16, 64) LR images in [0, 1].
            text_emb: (N, 37, 1, T) prior (:func:`prior_from_probs`). None:
                zeros (N, 37, 1, 26), as L191-193 (which makes them on the
                CPU in float32; here on ``x``'s device and dtype).

        Returns:
            (N, 4, 32, 128) SR images, ``tanh`` (no clamping).
        """
        if self.stn and self.training:
            _, ctrl_points_x = self.stn_head(x)
            x, _ = self.tps(x, ctrl_points_x)
        block = {'1': self.block1(x)}
        if text_emb is None:
            text_emb = x.new_zeros((x.shape[0], self.emb_cls, 1, 26))
        spatial_t_emb = self.spatial_prior(text_emb, x.shape[2:])
        n = self.srb_nums
        for i in range(n + 1):
            blk = getattr(self, f'block{i + 2}')
            if i < n:
                block[str(i + 2)] = blk(block[str(i + 1)], spatial_t_emb)
            else:
                block[str(i + 2)] = blk(block[str(i + 1)])
        out = getattr(self, f'block{n + 3}')(block['1'] + block[str(n + 2)])
        return torch.tanh(out)


def build_tsrn_tl(**kwargs) -> TSRN_TL:
    """``TSRN_TL`` as ``train_TPGSR-TSRN.sh`` builds it (``--STN --mask``,
    srb 5, hd_u 32, yaml scale 2, 128 x 32)."""
    cfg = dict(scale_factor=2, width=128, height=32, STN=True, mask=True,
               srb_nums=5, hidden_units=32)
    cfg.update(kwargs)
    return TSRN_TL(**cfg)


# --------------------------------------------------------------------------
# Data helpers and losses
# --------------------------------------------------------------------------
def parse_crnn_data(imgs: torch.Tensor, width: int = 128) -> torch.Tensor:
    """base.py L806-829 (no ``--random_reso``): RGB channels, bicubic
    (``align_corners`` False) to 32 x 100 (x ``width`` when the yaml width
    is not 128), then gray 0.299 R + 0.587 G + 0.114 B. No clamping, no
    normalisation: the CRNN reads [0, 1] (LR/HR) or tanh output (SR)."""
    in_width = width if width != 128 else 100
    x = F.interpolate(imgs[:, :3, ...], (32, in_width), mode='bicubic')
    return 0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]


def prior_from_probs(probs: torch.Tensor) -> torch.Tensor:
    """(T, N, 37) CRNN probabilities -> (N, 37, 1, T) prior (L321)."""
    return probs.permute(1, 0, 2).unsqueeze(1).permute(0, 3, 1, 2)


def semantic_loss(pred_vec: torch.Tensor,
                  gt_vec: torch.Tensor) -> torch.Tensor:
    """loss/semantic_loss.py ``SemanticLoss``: mean |gt - pred| +
    ``KLDivLoss()`` (reduction 'mean': the mean over every element) of
    log(pred + 1e-20) against gt + 1e-20; lambda1 = lambda2 = 1."""
    margin = torch.mean(torch.abs(gt_vec - pred_vec))
    kl = F.kl_div(torch.log(pred_vec + 1e-20),
                  gt_vec + 1e-20,
                  reduction='mean')
    return margin + kl


def gradient_map(x: torch.Tensor) -> torch.Tensor:
    """image_loss.py L44-51 (with the 1e-6 inside the square root)."""
    h_x, w_x = x.shape[2], x.shape[3]
    r = F.pad(x, (0, 1, 0, 0))[:, :, :, 1:]
    l = F.pad(x, (1, 0, 0, 0))[:, :, :, :w_x]  # noqa: E741
    t = F.pad(x, (0, 0, 1, 0))[:, :, :h_x, :]
    b = F.pad(x, (0, 0, 0, 1))[:, :, 1:, :]
    return torch.pow(
        torch.pow((r - l) * 0.5, 2) + torch.pow((t - b) * 0.5, 2) + 1e-6,
        0.5)


def image_loss(out: torch.Tensor,
               target: torch.Tensor,
               weights: Sequence[float] = (1., 1e-4)) -> torch.Tensor:
    """image_loss.py ``ImageLoss(gradient=True, loss_weight=[1, 1e-4])``
    (``base.py`` L328): w0 x MSE over all 4 channels + w1 x L1 of the
    gradient maps of the RGB channels."""
    return weights[0] * F.mse_loss(out, target) + weights[1] * F.l1_loss(
        gradient_map(out[:, :3]), gradient_map(target[:, :3]))


def collate_labels(label_strs: Sequence[str]):
    """dataset.py ``alignCollate_realWTLAMask.__call__`` L1255-1323: the
    label tensors of a training batch.

    Returns:
        tuple: ``label_vecs`` (N, 37, 1, L) one-hot (L = longest cut
        label; blank one-hot for a label without a known character),
        ``weighted_mask`` (flat CTC targets, 0 for such a label),
        ``weighted_tics`` (1, or 0 for such a label).
    """
    a2d = {ch: i for i, ch in enumerate(TPGSR_CLASSES)}
    max_len, batches, flat, tics = 0, [], [], []
    for word in label_strs:
        word = word.lower()
        if len(word) >= 15:
            word = word[:15]
        ids = [a2d[ch] for ch in word if ch in a2d]
        flat.extend(ids if ids else [0])
        max_len = max(max_len, len(word))
        vec = torch.zeros((max(len(ids), 1), len(TPGSR_CLASSES)))
        if ids:
            vec.scatter_(-1, torch.tensor(ids)[:, None].long(), 1)
            tics.append(1)
        else:
            vec[0, 0] = 1.
            tics.append(0)
        batches.append(vec)
    rebatch = torch.zeros((len(label_strs), max_len, len(TPGSR_CLASSES)))
    for idx, vec in enumerate(batches):
        rebatch[idx][:vec.shape[0]] = vec
    label_vecs = rebatch.unsqueeze(1).float().permute(0, 3, 1, 2)
    return label_vecs, torch.tensor(flat).long(), torch.tensor(tics)


# --------------------------------------------------------------------------
# Training step, optimiser, evaluation (interfaces/super_resolution.py)
# --------------------------------------------------------------------------
def prior_dropout(prior: torch.Tensor) -> torch.Tensor:
    """L376-382: the prior of the first N // 4 samples is zeroed."""
    n = prior.shape[0]
    drop_vec = torch.ones(n).float()
    drop_vec[:int(n // 4)] = 0.
    return prior * drop_vec.to(prior.device).view(-1, 1, 1, 1)


def tpgsr_train_step(sr_nets: Sequence[nn.Module],
                     students: Sequence[nn.Module],
                     teacher: nn.Module,
                     images_lr: torch.Tensor,
                     images_hr: torch.Tensor,
                     label_vecs: Optional[torch.Tensor] = None,
                     weighted_mask: Optional[torch.Tensor] = None,
                     weighted_tics: Optional[torch.Tensor] = None,
                     stu_iter: int = 1,
                     sr_share: bool = True,
                     tpg_share: bool = False,
                     use_distill: bool = True,
                     use_label: bool = False) -> Dict[str, torch.Tensor]:
    """The losses of one ``tsrn_tl_cascade`` step (L295-406), modules in
    the modes the loop keeps them in (SR networks and students train, the
    teacher eval).

    Stage i: the student ``students[0 if tpg_share else i]`` reads
    ``cascade`` (stage 0: the LR image, stage i > 0: the SR output of stage
    i - 1, not detached, L313-316); its softmax, prior-dropped, guides
    ``sr_nets[0 if sr_share else i]``, which always reads ``images_lr``
    (L384). Losses summed over the stages, each x100 (L372, L385):
    ``image_loss(SR_i, HR)`` and ``semantic_loss(student_i, teacher(HR))``
    (``--use_distill``); ``--use_label`` adds the CTC of the student's
    logits against ``weighted_mask``, weighted by ``weighted_tics`` (L347-
    366, weight 1). Returns ``loss`` (= ``loss_im``, L406), ``loss_img``,
    ``loss_distill`` (``loss_recog_distill``), per-stage
    ``loss_img_{i}`` / ``loss_distill_{i}`` / ``loss_label_{i}`` and the
    stage outputs ``sr_{i}``.
    """
    out: Dict[str, torch.Tensor] = {}
    label_vecs_hr = F.softmax(teacher(parse_crnn_data(images_hr)).detach(),
                              -1)
    cascade = images_lr
    loss_img, loss_distill = 0., 0.
    for i in range(stu_iter):
        student = students[0 if tpg_share else i]
        logits = student(parse_crnn_data(cascade))
        probs = F.softmax(logits, -1)
        prior = prior_from_probs(probs)
        net = sr_nets[0 if sr_share else i]
        if use_label:
            text_len = (label_vecs.sum(1).squeeze(1) > 0).float().sum(1)
            t, n = logits.shape[:2]
            ctc = F.ctc_loss(logits.log_softmax(2),
                             weighted_mask.long().to(logits.device),
                             torch.full((n, ), t, dtype=torch.long,
                                        device=logits.device),
                             text_len.reshape(-1).long(),
                             blank=0,
                             reduction='none')
            each = (ctc * weighted_tics.float().to(ctc.device)).mean()
            out[f'loss_label_{i}'] = each
            loss_distill = loss_distill + each
        if use_distill:
            each = semantic_loss(probs, label_vecs_hr) * 100
            out[f'loss_distill_{i}'] = each
            loss_distill = loss_distill + each
        cascade = net(images_lr, prior_dropout(prior))
        each = image_loss(cascade, images_hr).mean() * 100
        out[f'loss_img_{i}'] = each
        out[f'sr_{i}'] = cascade
        loss_img = loss_img + each
    out.update(loss=loss_img + loss_distill,
               loss_img=loss_img,
               loss_distill=loss_distill)
    return out


def tpgsr_optimizer(sr_nets: Sequence[nn.Module],
                    students: Sequence[nn.Module],
                    lr: float = 1e-3,
                    beta1: float = 0.5) -> torch.optim.Adam:
    """base.py L427-450: one Adam over the SR networks' parameters, then
    every student's (all ``stu_iter`` of them, even with ``--tpg_share``),
    lr = yaml ``lr``, betas (yaml ``beta1``, 0.999). The teacher is not in
    it."""
    params: List[nn.Parameter] = []
    for m in sr_nets:
        params += list(m.parameters())
    for m in students:
        params += list(m.parameters())
    return torch.optim.Adam(params, lr=lr, betas=(beta1, 0.999))


def tpgsr_update(loss: torch.Tensor, sr_nets: Sequence[nn.Module],
                 optimizer: torch.optim.Optimizer) -> None:
    """L419-424: backward, each SR network clipped on its own to norm 0.25,
    the students not clipped, one step."""
    optimizer.zero_grad()
    loss.backward()
    for m in sr_nets:
        torch.nn.utils.clip_grad_norm_(m.parameters(), 0.25)
    optimizer.step()


@torch.no_grad()
def tpgsr_eval_cascade(sr_nets: Sequence[nn.Module],
                       students: Sequence[nn.Module],
                       images_lr: torch.Tensor,
                       stu_iter: int = 1,
                       sr_share: bool = True,
                       tpg_share: bool = False) -> List[torch.Tensor]:
    """L673-768 (no ``--random_reso``), modules in eval mode (L456-469):
    the stage outputs, as in training but without prior dropout. The
    reported accuracy and PSNR / SSIM are those of the last stage (L900,
    L1324); each stage's accuracy is printed."""
    cascade, images_sr = images_lr, []
    for i in range(stu_iter):
        student = students[0 if tpg_share else i]
        probs = F.softmax(student(parse_crnn_data(cascade)), -1)
        cascade = sr_nets[0 if sr_share else i](images_lr,
                                                prior_from_probs(probs) * 1.)
        images_sr.append(cascade)
    return images_sr
