"""C3-STISR stage 1: the word corpus, spelling mutation, CTC paths and the
language model pretrainer."""
import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmocr.registry import DATASETS, MODELS, TASK_UTILS, TRANSFORMS

import stisr_mmocr  # noqa: F401
from stisr_mmocr.datasets.default_words import DEFAULT_WORDS

REPO = Path(__file__).resolve().parents[2]
STAGE1 = REPO / 'configs' / 'c3stisr' / 'c3stisr_lm-pretrain_wordcorpus.py'


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Small CPU tensors: one intra-op thread is faster, above all on a
    loaded machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='module')
def cfg():
    cfg = Config.fromfile(str(STAGE1))
    cfg.model.language_model.update(
        d_model=32, n_head=2, d_inner=64, n_layers=1)
    return cfg


def collapse(path, blank):
    """CTC collapse: merge repeats, drop blanks."""
    out, prev = [], blank
    for i in path:
        if i != prev and i != blank:
            out.append(i)
        prev = i
    return out


def test_word_corpus_dataset(tmp_path):
    corpus = tmp_path / 'words.txt'
    corpus.write_text('Hello, world!\nC3-STISR  a\n' + 'x' * 30 + '\n')
    dataset = DATASETS.build(
        dict(type='WordCorpusDataset', ann_file=str(corpus), max_len=20))
    assert [dataset[i]['gt_text'] for i in range(len(dataset))] == \
        ['hello', 'world', 'c3stisr', 'a']
    default = DATASETS.build(dict(type='WordCorpusDataset'))
    assert len(default) == len(DEFAULT_WORDS)


def test_mutate_spelling():
    np.random.seed(0)
    always = TRANSFORMS.build(dict(type='MutateSpelling', word_prob=1.))
    never = TRANSFORMS.build(dict(type='MutateSpelling', word_prob=0.))
    words = ['coffee', 'a', 'station'] * 20
    mutated = [always(dict(gt_text=w))['noisy_text'] for w in words]
    assert all(m != w for m, w in zip(mutated, words))
    assert all(
        set(m) <= set('0123456789abcdefghijklmnopqrstuvwxyz') for m in mutated)
    assert never(dict(gt_text='coffee'))['noisy_text'] == 'coffee'


def test_sample_ctc_path_decodes_to_the_text(cfg):
    np.random.seed(0)
    dictionary = TASK_UTILS.build(cfg.crnn_dictionary)
    sampler = TRANSFORMS.build(
        dict(type='SampleCTCPath', dictionary=cfg.crnn_dictionary))
    blank = dictionary.padding_idx
    for text in ['coffee', 'a', '', 'aaa', 'zz9', 'b' * 13]:
        path = sampler.sample(text)
        assert path.shape == (26, ) and path.dtype == np.int64
        assert dictionary.idx2str(collapse(path.tolist(), blank)) == text
    # too long: the end is dropped ('b' * 14 needs 27 frames)
    path = sampler.sample('b' * 14)
    assert dictionary.idx2str(collapse(path.tolist(), blank)) == 'b' * 13
    assert sampler.sample('ab!')[0] in (blank, dictionary.char2idx('a'))


def test_pretrainer_learns_to_recover_spellings(cfg):
    torch.manual_seed(0)
    np.random.seed(0)
    dataset = DATASETS.build(
        dict(
            copy.deepcopy(cfg.train_dataloader.dataset.to_dict()),
            ann_file='',
            indices=16))
    data = pseudo_collate([dataset[i] for i in range(16)])
    assert data['inputs'][0].shape == (26, )
    model = MODELS.build(cfg.model)
    batch = model.data_preprocessor(data, True)
    optim = torch.optim.Adam(model.parameters(), lr=3e-3)
    history = []
    model.train()
    for _ in range(15):
        optim.zero_grad()
        loss = model(**batch, mode='loss')['loss_ctc']
        loss.backward()
        optim.step()
        history.append(loss.item())
    assert history[-1] < 0.7 * history[0]

    model.eval()
    with torch.no_grad():
        assert model(**batch, mode='tensor').shape == (16, 26, 37)
        preds = model(**batch, mode='predict')
    assert all(isinstance(p.pred_text.item, str) for p in preds)

    # its checkpoint feeds the linguistic clue of the later stages
    lm = MODELS.build(
        dict(
            cfg.model.language_model.to_dict(),
            checkpoint=None,
            checkpoint_prefix='language_model.'))
    from stisr_mmocr.models.layers.c3stisr import extract_weights
    lm.load_state_dict(
        extract_weights(model.state_dict(), 'language_model.', lm))
