"""tools/model_converters/tsrn_official_to_mmocr.py on state dicts written in
the TPGSR / TextZoom layout by a reference TSRN written out below from
TPGSR's ``model/tsrn.py`` (plain torch, official attribute names)."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from mmocr.registry import MODELS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CFG = osp.join(ROOT, 'configs', 'tsrn', 'tsrn_textzoom.py')
TOOL = osp.join(ROOT, 'tools', 'model_converters', 'tsrn_official_to_mmocr.py')


class Mish(nn.Module):

    def forward(self, x):
        return x * torch.tanh(F.softplus(x))


class GruBlock(nn.Module):

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, kernel_size=1, padding=0)
        self.gru = nn.GRU(c, c // 2, bidirectional=True, batch_first=True)

    def forward(self, x):
        x = self.conv1(x).permute(0, 2, 3, 1).contiguous()
        b = x.size()
        x = x.view(b[0] * b[1], b[2], b[3])
        x, _ = self.gru(x)
        return x.view(b[0], b[1], b[2], b[3]).permute(0, 3, 1, 2)


class RecurrentResidualBlock(nn.Module):

    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, kernel_size=3, padding=1)
        self.bn1 = nn.BatchNorm2d(c)
        self.gru1 = GruBlock(c)
        self.prelu = Mish()
        self.conv2 = nn.Conv2d(c, c, kernel_size=3, padding=1)
        self.bn2 = nn.BatchNorm2d(c)
        self.gru2 = GruBlock(c)

    def forward(self, x):
        r = self.bn2(self.conv2(self.prelu(self.bn1(self.conv1(x)))))
        r = self.gru1(r.transpose(-1, -2)).transpose(-1, -2)
        return self.gru2(x + r)


class UpsampleBLock(nn.Module):

    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c * 4, kernel_size=3, padding=1)
        self.pixel_shuffle = nn.PixelShuffle(2)
        self.prelu = Mish()

    def forward(self, x):
        return self.prelu(self.pixel_shuffle(self.conv(x)))


def conv3x3_block(i, o):
    return nn.Sequential(
        nn.Conv2d(i, o, 3, 1, 1), nn.BatchNorm2d(o), nn.ReLU(inplace=True))


class STNHead(nn.Module):

    def __init__(self, in_planes):
        super().__init__()
        self.stn_convnet = nn.Sequential(
            conv3x3_block(in_planes, 32), nn.MaxPool2d(2, 2),
            conv3x3_block(32, 64), nn.MaxPool2d(2, 2),
            conv3x3_block(64, 128), nn.MaxPool2d(2, 2),
            conv3x3_block(128, 256), nn.MaxPool2d(2, 2),
            conv3x3_block(256, 256), nn.MaxPool2d((1, 2), (1, 2)),
            conv3x3_block(256, 256))
        self.stn_fc1 = nn.Sequential(
            nn.Linear(512, 512), nn.BatchNorm1d(512), nn.ReLU(inplace=True))
        self.stn_fc2 = nn.Linear(512, 40)


class TPSBuffers(nn.Module):
    """The persistent buffers of TPGSR's TPSSpatialTransformer (16x64, 20
    points); their values are the project's concern, not the layout's."""

    def __init__(self):
        super().__init__()
        self.register_buffer('inverse_kernel', torch.rand(23, 23))
        self.register_buffer('padding_matrix', torch.zeros(3, 2))
        self.register_buffer('target_coordinate_repr', torch.rand(1024, 23))
        self.register_buffer('target_control_points', torch.rand(20, 2))


class OfficialTSRN(nn.Module):
    """TPGSR's TSRN(scale_factor=2, STN=True, srb_nums=5, mask=True,
    hidden_units=32) in eval mode (the STN only runs while training)."""

    def __init__(self, srb_nums=5, hidden=64):
        super().__init__()
        self.srb_nums = srb_nums
        self.block1 = nn.Sequential(nn.Conv2d(4, hidden, 9, padding=4),
                                    nn.PReLU())
        for i in range(srb_nums):
            setattr(self, f'block{i + 2}', RecurrentResidualBlock(hidden))
        setattr(self, f'block{srb_nums + 2}',
                nn.Sequential(nn.Conv2d(hidden, hidden, 3, padding=1),
                              nn.BatchNorm2d(hidden)))
        setattr(self, f'block{srb_nums + 3}',
                nn.Sequential(UpsampleBLock(hidden),
                              nn.Conv2d(hidden, 4, 9, padding=4)))
        self.tps = TPSBuffers()
        self.stn_head = STNHead(4)

    def forward(self, x):
        block = {'1': self.block1(x)}
        for i in range(self.srb_nums + 1):
            block[str(i + 2)] = getattr(self, f'block{i + 2}')(
                block[str(i + 1)])
        n = self.srb_nums
        out = getattr(self, f'block{n + 3}')(block['1'] + block[str(n + 2)])
        return torch.tanh(out)


def official_model(seed=0):
    torch.manual_seed(seed)
    model = OfficialTSRN()
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():  # non-trivial running statistics
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.1, 0.1, generator=gen)
            m.running_var.uniform_(0.5, 1.5, generator=gen)
    return model.eval()


def convert(tmp_path, checkpoint, name='tsrn.pth'):
    src, dst = tmp_path / 'official.pth', tmp_path / name
    torch.save(checkpoint, src)
    proc = subprocess.run([sys.executable, TOOL, str(src), str(dst)],
                          cwd=ROOT, capture_output=True, text=True)
    return proc, dst


@pytest.mark.parametrize('layout', ['state_dict_G', 'bare', 'module'])
def test_converted_official_tsrn_loads_strictly_with_equal_output(
        tmp_path, layout):
    ref = official_model()
    state = ref.state_dict()
    if layout == 'state_dict_G':
        checkpoint = dict(state_dict_G=state, info=dict(arch='tsrn'))
    elif layout == 'module':
        checkpoint = {f'module.{k}': v for k, v in state.items()}
    else:
        checkpoint = state
    proc, dst = convert(tmp_path, checkpoint)
    assert proc.returncode == 0, proc.stderr
    model = MODELS.build(Config.fromfile(CFG).model).eval()
    load_checkpoint(model, str(dst), map_location='cpu', strict=True)
    x = torch.rand(3, 4, 16, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        diff = (model(x, mode='tensor') - ref(x)).abs().max().item()
    assert diff <= 1e-5


def test_mismatching_checkpoint_is_reported_and_nothing_written(tmp_path):
    state = official_model().state_dict()
    extra = dict(state, **{'classifier.weight': torch.zeros(1)})
    proc, dst = convert(tmp_path, extra, 'extra.pth')
    assert proc.returncode != 0 and not dst.exists()
    assert "outside the TSRN layout: ['classifier.weight']" in proc.stderr
    # one more residual block than the model has: shapes and keys differ
    more = dict(state, **{f'block9.{k[7:]}': v for k, v in state.items()
                          if k.startswith('block8.')})
    proc, dst = convert(tmp_path, more, 'more.pth')
    assert proc.returncode != 0 and not dst.exists()
    assert 'unexpected keys' in proc.stderr and 'generator.srb.5.' in proc.stderr
    fewer = {k: v for k, v in state.items() if not k.startswith('block3.')}
    proc, dst = convert(tmp_path, fewer, 'fewer.pth')
    assert proc.returncode != 0 and not dst.exists()
    assert 'block indices' in proc.stderr
    no_bn = {k: v for k, v in state.items() if k != 'block2.bn1.weight'}
    proc, dst = convert(tmp_path, no_bn, 'no_bn.pth')
    assert proc.returncode != 0 and not dst.exists()
    assert 'missing keys (1): generator.srb.0.bn1.weight' in proc.stderr
