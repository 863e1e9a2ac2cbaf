"""Tests for ``tools/model_converters/crnn_official_to_mmocr.py`` and the
key map it uses (``stisr_mmocr.converters.crnn``)."""
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from mmocr.models.common.dictionary import Dictionary
from mmocr.registry import MODELS
from mmocr.structures import TextRecogDataSample
from mmocr.registry import TASK_UTILS
from mmocr.utils import register_all_modules

from stisr_mmocr import converters

REPO_ROOT = Path(__file__).resolve().parents[2]
CONVERTER = (
    REPO_ROOT / 'tools' / 'model_converters' / 'crnn_official_to_mmocr.py')
JUDGE_CONFIG = REPO_ROOT / 'configs' / 'judges' / 'crnn_textzoom.py'
ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'


def judge_dictionary() -> Dictionary:
    """The dictionary of the TextZoom judge config."""
    return TASK_UTILS.build(
        Config.fromfile(str(JUDGE_CONFIG)).model.decoder.dictionary)


def convert_crnn(state_dict: dict) -> dict:
    """An official CRNN state dict in the TextZoom judge's layout."""
    return converters.convert_crnn(state_dict, judge_dictionary())


class OfficialBiLSTM(nn.Module):
    """``BidirectionalLSTM`` of meijieru/crnn.pytorch ``models/crnn.py``."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int) -> None:
        super().__init__()
        self.rnn = nn.LSTM(n_in, n_hidden, bidirectional=True)
        self.embedding = nn.Linear(n_hidden * 2, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        recurrent, _ = self.rnn(x)
        t, b, h = recurrent.size()
        return self.embedding(recurrent.view(t * b, h)).view(t, b, -1)


class OfficialCRNN(nn.Module):
    """meijieru's ``CRNN(imgH=32, nc=1, nclass=37, nh=256)``."""

    def __init__(self, n_class: int = 37, n_hidden: int = 256) -> None:
        super().__init__()
        channels = [1, 64, 128, 256, 256, 512, 512, 512]
        # conv index -> pooling that follows it
        pools = {
            0: nn.MaxPool2d(2, 2),  # 64x16x50
            1: nn.MaxPool2d(2, 2),  # 128x8x25
            3: nn.MaxPool2d((2, 2), (2, 1), (0, 1)),  # 256x4x26
            5: nn.MaxPool2d((2, 2), (2, 1), (0, 1)),  # 512x2x27
        }
        self.cnn = nn.Sequential()
        for i in range(7):
            kernel, padding = (2, 0) if i == 6 else (3, 1)
            self.cnn.add_module(
                f'conv{i}',
                nn.Conv2d(channels[i], channels[i + 1], kernel, 1, padding))
            if i in (2, 4, 6):
                self.cnn.add_module(f'batchnorm{i}',
                                    nn.BatchNorm2d(channels[i + 1]))
            self.cnn.add_module(f'relu{i}', nn.ReLU(True))
            if i in pools:
                self.cnn.add_module(f'pooling{list(pools).index(i)}', pools[i])
        self.rnn = nn.Sequential(
            OfficialBiLSTM(512, n_hidden, n_hidden),
            OfficialBiLSTM(n_hidden, n_hidden, n_class))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        conv = self.cnn(x)
        assert conv.size(2) == 1
        return self.rnn(conv.squeeze(2).permute(2, 0, 1))  # [T, B, C]


def official_decode(logits: torch.Tensor) -> List[str]:
    """Greedy CTC decoding of official ``[T, B, 37]`` logits (blank 0)."""
    texts = []
    for seq in logits.argmax(-1).t().tolist():
        prev, text = 0, ''
        for k in seq:
            if k != 0 and k != prev:
                text += ALPHABET[k - 1]
            prev = k
        texts.append(text)
    return texts


def mmocr_class_index(dictionary: Dictionary) -> List[int]:
    """MMOCR class index of every official class (blank, then ALPHABET)."""
    chars = [dictionary.char2idx(char) for char in ALPHABET]
    return [dictionary.padding_idx] + chars


@pytest.fixture(scope='module')
def official() -> OfficialCRNN:
    torch.manual_seed(0)
    model = OfficialCRNN()
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            nn.init.uniform_(module.weight, 0.5, 1.5)
            nn.init.uniform_(module.bias, -0.2, 0.2)
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.num_batches_tracked.fill_(1000)
    return model.eval()


def build_judge() -> nn.Module:
    register_all_modules()
    return MODELS.build(Config.fromfile(str(JUDGE_CONFIG)).model).eval()


def test_official_stack_layout(official: OfficialCRNN) -> None:
    names = [name for name, _ in official.cnn.named_children()]
    pooling = [name for name in names if name.startswith('pooling')]
    assert pooling == [f'pooling{i}' for i in range(4)]
    assert official(torch.rand(1, 1, 32, 100)).shape == (26, 1, 37)


@pytest.mark.parametrize('with_num_batches', [True, False])
def test_convert_matches_official(official: OfficialCRNN,
                                  with_num_batches: bool) -> None:
    state_dict = official.state_dict()
    if not with_num_batches:  # checkpoints saved by PyTorch < 0.4
        state_dict = {
            k: v
            for k, v in state_dict.items()
            if not k.endswith('num_batches_tracked')
        }
    converted = convert_crnn(state_dict)
    judge = build_judge()
    assert list(converted) == list(judge.state_dict())
    judge.load_state_dict(converted, strict=True)

    assert judge.decoder.dictionary.padding_idx == 36
    mmocr_index = mmocr_class_index(judge.decoder.dictionary)

    torch.manual_seed(1)
    images = torch.rand(3, 1, 32, 100)
    with torch.no_grad():
        expected = official(images).permute(1, 0, 2)  # [B, T, 37]
        logits = judge.decoder.forward_train(judge.extract_feat(images))
    torch.testing.assert_close(
        logits[..., mmocr_index], expected, atol=1e-5, rtol=1e-5)

    # TextZoom feeds [0, 1] gray: a 0..255 gray image divided by 255.
    batch = judge.data_preprocessor(
        dict(inputs=list(images * 255), data_samples=None), False)
    torch.testing.assert_close(batch['inputs'], images, atol=1e-6, rtol=0)

    data_samples = [
        TextRecogDataSample(metainfo=dict(valid_ratio=1.0)) for _ in range(3)
    ]
    with torch.no_grad():
        results = judge.predict(images, data_samples)
    texts = [result.pred_text.item for result in results]
    assert texts == official_decode(expected.permute(1, 0, 2))


def test_judge_decoding_matches_official() -> None:
    judge = build_judge()
    mmocr_index = mmocr_class_index(judge.decoder.dictionary)
    # official argmax paths with blanks (0) and repeated characters
    torch.manual_seed(2)
    paths = torch.tensor([0, 0, 1, 11, 11, 36])[torch.randint(6, (26, 4))]
    official_logits = torch.nn.functional.one_hot(paths, 37).float()
    mmocr_logits = torch.empty(4, 26, 37)
    mmocr_logits[..., mmocr_index] = official_logits.permute(1, 0, 2)

    data_samples = [
        TextRecogDataSample(metainfo=dict(valid_ratio=1.0)) for _ in range(4)
    ]
    results = judge.decoder.postprocessor(
        mmocr_logits.softmax(-1), data_samples)
    texts = official_decode(official_logits)
    assert any(texts)
    assert [r.pred_text.item for r in results] == texts


def test_convert_rejects_bad_keys(official: OfficialCRNN) -> None:
    state_dict = official.state_dict()
    missing = dict(state_dict)
    missing.pop('cnn.conv3.bias')
    with pytest.raises(KeyError, match='cnn.conv3.bias'):
        convert_crnn(missing)

    extra = dict(state_dict)
    extra['rnn.2.embedding.weight'] = torch.zeros(37, 512)
    with pytest.raises(KeyError, match='rnn.2.embedding.weight'):
        convert_crnn(extra)


@pytest.mark.parametrize('wrapped', [False, True])
def test_cli(official: OfficialCRNN, tmp_path: Path, wrapped: bool) -> None:
    state_dict = official.state_dict()
    src, dst = tmp_path / 'crnn.pth', tmp_path / 'out' / 'crnn_mmocr.pth'
    torch.save(dict(state_dict=state_dict) if wrapped else state_dict, src)
    cmd = [sys.executable, str(CONVERTER), str(src), str(dst)]
    subprocess.run(cmd, check=True, cwd=tmp_path)

    checkpoint = torch.load(dst, map_location='cpu', weights_only=True)
    assert checkpoint['meta']['blank_idx'] == 36
    assert checkpoint['meta']['dictionary'][:36] == list(ALPHABET)
    expected = convert_crnn(state_dict)
    assert list(checkpoint['state_dict']) == list(expected)
    for key, value in expected.items():
        assert torch.equal(checkpoint['state_dict'][key], value), key
    build_judge().load_state_dict(checkpoint['state_dict'], strict=True)
