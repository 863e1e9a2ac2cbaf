"""Check ``tests/test_models/lemma_step_reference.py`` (one LEMMA training
step) against the official LEMMA code in ``third_party/LEMMA``
(csguoh/LEMMA).

Needs the official code unpacked in the git-ignored ``third_party/LEMMA``
(commit none of it). Run from the repository root (a few minutes on 2
cores):
    .venv/bin/python .dev_scripts/check_lemma_step_reference.py

Official side:
- ``model/lemma.py`` ``LEMMA`` built and randomised as
  ``.dev_scripts/check_lemma_reference.py`` does (that script is imported
  for ``official_lemma``, ``randomize``, ``lr_batch``: batch norms, layer
  norms, PReLUs drawn, an STN that warps, ABINet class biases perturbed so
  that the lengths are not trivial);
- ``loss/text_focus_loss.py`` imported as it is: ``TextFocusLoss``,
  ``Transformer``, ``weight_table``, ``weight_cross_entropy``. Shims: an
  empty ``IPython`` module (``utils/util.py`` and ``utils/ssim_psnr.py``
  import ``embed``), ``torch.Tensor.cuda`` replaced by the identity for
  the whole run (the weight table at import, ``label_encoder``, the
  recognizer's mask and positional input call ``.cuda()``; everything
  stays on the CPU), and the working directory set, for the whole run, to
  the LEMMA root (``./dataset/confuse.pkl`` read at import,
  ``./dataset/charset_36.txt`` read by ``Lable2Tensor()``,
  ``./al_chinese.txt`` opened by *every* ``utils/util.py`` ``str_filt``
  call), or, when the checkout has no ``dataset/confuse.pkl``, to a
  temporary folder holding a generated one and copies of the other two.
  ``nn.DataParallel`` (``ngpu: 1`` here) is a pass-through without CUDA.
  The recognizer checkpoint is a generated ``pretrain_transformer.pth`` in
  the official layout (a bare state dict of a randomised official
  ``Transformer``: batch norms, layer norms and class biases drawn), read
  by the official ``build_up_transformer``.
- ``dataset/dataset.py`` cannot be imported (``utils_deblur`` calls
  ``scipy.finfo``, gone from SciPy): the ``Lable2Tensor`` class is taken
  from the source text and executed verbatim, with ``utils.str_filt`` and
  ``setup.CharsetMapper``.
- ``interfaces/`` cannot be imported offline (``lpips`` VGG weights,
  ``ptflops``, ...): ``base.py`` ``optimizer_init`` and
  ``super_resolution.py`` L117 (the optimiser), L131-132
  (``model.train()``) and L138-157 (the loop body: labels, forward, loss,
  ``* 100``, ``zero_grad``, ``backward``, ``clip_grad_norm_(..., 0.25)``,
  ``step``) are taken from the source text and executed verbatim, with
  ``self`` a namespace holding ``device`` (CPU), ``args`` (``main.py``'s
  parser defaults, rebuilt from its source: ``--learning_rate 1e-3``,
  ``--lr_position 1e-4``) and ``config.TRAIN`` (``lr`` = the learning
  rate, yaml ``beta1``).

Reference side: ``lemma_reference.LEMMA`` loaded strictly from the
official state dict, ``lemma_step_reference.Transformer`` loaded strictly
from the generated checkpoint, ``lemma_train_step`` + ``lemma_optimizer``
+ ``lemma_update``. Everything in float64, batch 2, labels with
punctuation, digits and capitals, training mode with every dropout
active, the same ``torch.manual_seed`` right before each step (the
recognizer is built before it: its initialisation draws). Compared: every
loss term, the SR output, the gradients after clipping, the updated
weights and their changes, the buffers and Adam's moments. Conv biases
followed by a training-mode batch norm get a gradient that is zero up to
rounding ("null-gradient" tensors, below 1e-10 x the largest gradient):
they are compared by the absolute difference of their updated values.

The project's ``STTTransformer``, ``TextFocusLoss`` (with the LEMMA
config's weights 1 / 5 / 2.5e-4), ``load_confusion_weights``,
``TextFocusLoss.encode`` and ``editors/lemma.py`` ``abinet_labels`` are
compared too, and a whole step computed as the project's LEMMA model
computes its loss (on the reference network): INFO lines (not failures)
say by how much they differ, flagged when above 1e-6.
"""
import argparse
import ast
import importlib.util
import os
import pickle
import shutil
import sys
import tempfile
import textwrap
import time
import types
import warnings
from pathlib import Path
from types import SimpleNamespace as NS

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml

ROOT = Path(__file__).resolve().parents[1]
TP = ROOT / 'third_party' / 'LEMMA'

_ipython = types.ModuleType('IPython')
_ipython.embed = lambda *a, **k: None
sys.modules.setdefault('IPython', _ipython)
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(TP))
warnings.filterwarnings('ignore')
torch.Tensor.cuda = lambda self, *args, **kwargs: self  # CPU shim

_spec = importlib.util.spec_from_file_location(
    'check_lemma_reference', ROOT / '.dev_scripts' /
    'check_lemma_reference.py')
NET = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(NET)

TMP = Path(tempfile.mkdtemp(prefix='lemma_step_'))
REAL_CONFUSE = (TP / 'dataset' / 'confuse.pkl').is_file()


def generated_confusion(path):
    """62 x 62 float64 counts-like table, zero diagonal, a few other
    zeros (-> weight 1)."""
    gen = np.random.RandomState(0)
    data = gen.rand(62, 62) * 3.5
    data[gen.rand(62, 62) < 0.05] = 0.
    np.fill_diagonal(data, 0.)
    with open(path, 'wb') as f:
        pickle.dump(data, f)


if REAL_CONFUSE:
    WORKDIR = TP
else:
    WORKDIR = TMP
    (TMP / 'dataset').mkdir()
    generated_confusion(TMP / 'dataset' / 'confuse.pkl')
    shutil.copy(TP / 'dataset' / 'charset_36.txt', TMP / 'dataset')
    shutil.copy(TP / 'al_chinese.txt', TMP)
CONFUSE_PATH = str(WORKDIR / 'dataset' / 'confuse.pkl')

os.chdir(WORKDIR)  # for the whole run
import loss.text_focus_loss as official_tfl  # noqa: E402
from setup import CharsetMapper  # noqa: E402
from utils import str_filt as official_str_filt  # noqa: E402

from stisr_mmocr.models.editors.lemma import \
    abinet_labels as project_abinet_labels  # noqa: E402
from stisr_mmocr.models.layers.stirer.stt_transformer import \
    STTTransformer  # noqa: E402
from stisr_mmocr.models.losses.text_focus_loss import (  # noqa: E402
    TextFocusLoss as ProjectTextFocusLoss, load_confusion_weights)
from tests.test_models import lemma_step_reference as ref  # noqa: E402

assert Path(sys.modules['setup'].__file__).parent == TP
assert Path(official_tfl.__file__).parent.parent == TP
RESULTS = []
DT = torch.float64
LABELS = ['Tel:0800-42!', "it's 9AM"]


def report(name, value, limit):
    ok = value <= limit
    RESULTS.append((name, value, limit, ok))
    print(f'{"OK  " if ok else "FAIL"} {name}: {value:.3e} (<= {limit:g})')


def info(name, value, target=1e-6):
    flag = '' if value <= target else f'  (above {target:g})'
    print(f'INFO {name}: {value:.3e}{flag}')


def maxdiff(a, b):
    return (a.double() - b.double()).abs().max().item()


def maxrel(a, b, floor=1e-30):
    return maxdiff(a, b) / max(b.double().abs().max().item(), floor)


def rel(a, b):
    return abs(float(a) - float(b)) / abs(float(b))


# --------------------------------------------------------------------------
# Official code taken from the source text
# --------------------------------------------------------------------------
def source_of(path, name, cls=None):
    """Source text of a top-level class / function, or of a method."""
    src = path.read_text()
    tree = ast.parse(src)
    nodes = tree.body
    if cls is not None:
        nodes = next(n for n in nodes
                     if isinstance(n, ast.ClassDef) and n.name == cls).body
    node = next(n for n in nodes if getattr(n, 'name', None) == name)
    return textwrap.dedent(ast.get_source_segment(src, node))


def main_defaults():
    """``main.py``'s parser defaults (rebuilt from its source)."""
    src = (TP / 'main.py').read_text()
    tree = ast.parse(src)
    main_if = next(n for n in tree.body if isinstance(n, ast.If))
    stmts = [
        ast.get_source_segment(src, n) for n in main_if.body
        if ast.get_source_segment(src, n).startswith(
            ('parser = ', 'parser.add_argument'))
    ]
    ns = dict(argparse=argparse)
    exec('\n'.join(stmts), ns)
    return ns['parser'].parse_args([])


ARGS = main_defaults()
TRAIN_CFG = yaml.safe_load(open(TP / 'config' /
                                'super_resolution.yaml'))['TRAIN']
TRAIN_CFG['lr'] = ARGS.learning_rate  # main.py L36

_ns = dict(torch=torch, np=np, CharsetMapper=CharsetMapper,
           str_filt=official_str_filt)
exec(compile(source_of(TP / 'dataset' / 'dataset.py', 'Lable2Tensor'),
             'dataset.py:Lable2Tensor', 'exec'), _ns)
Lable2Tensor = _ns['Lable2Tensor']
LABEL2TENSOR = Lable2Tensor()

_ns = dict(optim=torch.optim)
exec(compile(source_of(TP / 'interfaces' / 'base.py', 'optimizer_init',
                       'TextBase'), 'base.py:optimizer_init', 'exec'), _ns)
OPTIMIZER_INIT = _ns['optimizer_init']

SR_LINES = (TP / 'interfaces' / 'super_resolution.py').read_text() \
    .splitlines()


def official_block(first, last, first_text, last_text):
    lines = SR_LINES[first - 1:last]
    assert lines[0].strip() == first_text, lines[0]
    assert lines[-1].strip() == last_text, lines[-1]
    return compile(textwrap.dedent('\n'.join(lines)),
                   f'super_resolution.py:{first}-{last}', 'exec')


OPT_CODE = official_block(
    117, 117, 'optimizer_G = self.optimizer_init(model_list[0])',
    'optimizer_G = self.optimizer_init(model_list[0])')
TRAIN_MODE_CODE = official_block(131, 132, 'for model in model_list:',
                                 'model.train()')
STEP_CODE = official_block(138, 157, 'for model in model_list:',
                           'optimizer_G.step()')
assert SR_LINES[145 - 1].strip() == (
    'label_tensor = label2tensor.getlabletensor(label_strs)')
assert SR_LINES[150 - 1].strip() == 'loss_img_each  =  loss.mean() * 100'
assert 'clip_grad_norm_(model.parameters(), 0.25)' in SR_LINES[156 - 1]
TFL_LINES = (TP / 'loss' / 'text_focus_loss.py').read_text().splitlines()
assert TFL_LINES[599 - 1].strip() == (
    'loss = (1 * mse_loss) + 0.5 * (attention_loss * 10 + '
    'recognition_loss * 0.0005) + finetune_loss * 0.01')


def official_self():
    me = NS(device=torch.device('cpu'), args=ARGS,
            config=NS(TRAIN=NS(**TRAIN_CFG)))
    me.optimizer_init = types.MethodType(OPTIMIZER_INIT, me)
    return me


# --------------------------------------------------------------------------
# Recognizer checkpoint, models
# --------------------------------------------------------------------------
def randomize_stt(model, gen):
    """Drawn batch norms (affine and running statistics), layer norms and
    class biases."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) +
                               0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=gen) - 0.5)
                m.running_mean.copy_(
                    (torch.rand(m.running_mean.shape, generator=gen) - 0.5)
                    * 0.2)
                m.running_var.copy_(
                    torch.rand(m.running_var.shape, generator=gen) + 0.5)
            elif isinstance(m, official_tfl.LayerNorm):
                m.a_2.copy_(torch.rand(m.a_2.shape, generator=gen) + 0.5)
                m.b_2.copy_(torch.rand(m.b_2.shape, generator=gen) - 0.5)
        model.generator_word.proj.bias.normal_(0, 1., generator=gen)


STT_PATH = str(TMP / 'pretrain_transformer.pth')


def make_stt_checkpoint(seed=11):
    torch.manual_seed(seed)
    off = official_tfl.Transformer()
    randomize_stt(off, torch.Generator().manual_seed(seed))
    torch.save(off.state_dict(), STT_PATH)


def official_crit():
    """``TextFocusLoss(config.TRAIN)`` as ``generator_init`` builds it."""
    cfg = NS(pretrained_trans=STT_PATH, ngpu=1)
    return official_tfl.TextFocusLoss(cfg).to(DT)


def reference_stt():
    stt = ref.Transformer()
    stt.load_state_dict(torch.load(STT_PATH), strict=True)
    return stt.to(DT).eval()


def project_stt():
    stt = STTTransformer()
    stt.load_state_dict(torch.load(STT_PATH), strict=True)
    return stt.to(DT).eval()


def hr_batch(n, seed=3):
    gen = torch.Generator().manual_seed(seed)
    rgb = torch.rand(n, 3, 32, 128, generator=gen, dtype=DT)
    gray = rgb.mean(1, keepdim=True)
    mask = (gray < gray.mean(dim=(2, 3), keepdim=True)).to(DT)
    return torch.cat([rgb, mask], 1)


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------
def check_labels():
    texts = LABELS + [
        'Hello', 'WORLD!', 'a-b c', 'x' * 30, '', '--', '2023', 'Straße',
        'İstanbul', 'Z9', 'ǅ', 'K'
    ]
    off = LABEL2TENSOR.getlabletensor(texts)
    mine = ref.lemma_labels(texts)
    same = all(a.dtype == b.dtype and torch.equal(a, b)
               for a, b in zip(off, mine))
    print(f'  labels {LABELS}: STT inputs '
          f'{mine[2][:2].tolist()}, lengths {mine[1][:2].tolist()}, '
          f'ABINet ids {mine[0][:2, :13].tolist()}')
    report('lemma_labels vs Lable2Tensor.getlabletensor (label_id, '
           'lengths, inputs, targets; 0 = equal)', float(not same), 0.)
    same_filt = all(ref.str_filt(t, v) == official_str_filt(t, v)
                    for t in texts for v in ('digit', 'lower', 'upper',
                                             'all'))
    report('str_filt vs utils.str_filt (0 = equal)', float(not same_filt),
           0.)
    inputs, targets, lengths = ProjectTextFocusLoss.encode(
        texts, torch.device('cpu'))
    same = (torch.equal(inputs, off[2]) and torch.equal(targets, off[3])
            and lengths == off[1].tolist())
    info('project TextFocusLoss.encode vs label_encoder (0 = equal)',
         float(not same))
    same = torch.equal(project_abinet_labels(texts), off[0])
    info('project editors.lemma.abinet_labels vs get_labels (0 = equal)',
         float(not same))


def float64_confusion_table():
    """The official table without its float32 rounding."""
    with open(CONFUSE_PATH, 'rb') as f:
        data = np.asarray(pickle.load(f), dtype=np.float64)
    rows = np.concatenate((np.ones((1, 62)), data[:10], data[36:],
                           data[10:36]))
    table = 1 / np.concatenate((np.ones((63, 1)), rows), axis=1)
    table[table == np.inf] = 1
    for j in range(11, 37):
        others = np.arange(63) != j
        table[others, j] = np.maximum(table[others, j],
                                      table[others, j + 26])
    return torch.from_numpy(table[:37, :37])


def check_confusion():
    table = ref.official_confusion_weights(CONFUSE_PATH)
    off = official_tfl.weight_table
    print(f'  confuse.pkl: {"the checkout" if REAL_CONFUSE else "generated"}'
          f' ({CONFUSE_PATH}); table {tuple(off.shape)} {off.dtype}, range '
          f'[{off.min():.4g}, {off.max():.4g}]; diagonal: end + digits '
          f'{off.diagonal()[:11].unique().tolist()}, letters in '
          f'[{off.diagonal()[11:].min():.4g}, '
          f'{off.diagonal()[11:].max():.4g}] (1 / confusions of the '
          'lower-case row with the upper-case column: the columns keep '
          "confuse.pkl's digits / upper / lower order)")
    report('official_confusion_weights vs weight_table (dtype, values; '
           '0 = equal)', float(not (table.dtype == off.dtype
                                    and torch.equal(table, off))), 0.)
    proj = load_confusion_weights(CONFUSE_PATH)
    info('project load_confusion_weights vs weight_table (dtype, values; '
         '0 = equal)', float(not (proj.dtype == off.dtype
                                  and torch.equal(proj, off))))
    gen = torch.Generator().manual_seed(4)
    pred = 3 * torch.randn(19, 37, generator=gen, dtype=DT)
    gt = torch.randint(0, 37, (19, ), generator=gen)
    a = official_tfl.weight_cross_entropy(pred, gt)
    b = ref.weight_cross_entropy(pred, gt, table)
    report(f'weight_cross_entropy (float64, 19 characters, value '
           f'{float(a):.6f}) rel diff', rel(b, a), 0.)
    for name, log_w in (('float32', table[gt].log()),
                        ('float64', table[gt].double().log())):
        c = -(pred + log_w).log_softmax(-1).gather(1, gt[:, None]).mean()
        info(f'log_softmax(pred + log w) form, log w in {name}, vs the '
             'official loop (float64 logits), rel diff', rel(c, a), 1e-15)
    d = -(pred.float() + table[gt].log()).log_softmax(-1).gather(
        1, gt[:, None]).mean()
    info('the project TextFocusLoss form (logits cast to float32) vs the '
         'official, rel diff', rel(d, a))
    e = ref.weight_cross_entropy(pred, gt, float64_confusion_table())
    info('the same loop with a table kept in float64 (not rounded to '
         'float32) vs the official, rel diff', rel(e, a))


def check_recognizer():
    torch.manual_seed(0)
    off = official_tfl.Transformer()
    torch.manual_seed(0)
    mine = ref.Transformer()
    so, sm = off.state_dict(), mine.state_dict()
    report('Transformer: state-dict keys/order/shapes differ (count)',
           float(sum(a != b or so[a].shape != sm[b].shape
                     for a, b in zip(so, sm)) + abs(len(so) - len(sm))), 0.)
    report('Transformer: seeded init, official vs reference, max abs diff',
           max(maxdiff(v, sm[k]) for k, v in so.items()), 0.)
    n_par = sum(p.numel() for p in off.parameters())
    print(f'  recognizer: {len(so)} state-dict entries, {n_par} parameter '
          'values')
    del off, mine
    make_stt_checkpoint()
    state = torch.load(STT_PATH)
    ok = True
    for model in (ref.Transformer(), STTTransformer()):
        try:
            model.load_state_dict(state, strict=True)
        except RuntimeError as err:  # pragma: no cover
            print(err)
            ok = False
    report('pretrain_transformer.pth layout loads strictly into '
           'Transformer and STTTransformer (0 = yes)', float(not ok), 0.)
    ProjectTextFocusLoss.build_recognizer(STT_PATH)
    crit = official_crit()
    off = crit.transformer.module
    mine, proj = reference_stt(), project_stt()
    hr = hr_batch(2)
    _, length, inputs, _ = ref.lemma_labels(LABELS)
    with torch.no_grad():
        gray = ref.to_gray_tensor(hr)
        a = off(official_tfl.to_gray_tensor(hr), length, inputs)
        b = mine(gray, length, inputs)
        c = ref.read_text_focus(proj, gray, length, inputs)
    report('recognizer (float64, eval): to_gray_tensor max abs diff',
           maxdiff(gray, official_tfl.to_gray_tensor(hr)), 0.)
    report('recognizer: cut logits max rel diff', maxrel(b[0], a[0]), 0.)
    report('recognizer: attention maps max rel diff', maxrel(b[1], a[1]),
           0.)
    info('project STTTransformer: cut logits max rel diff',
         maxrel(c[0], a[0]))
    info('project STTTransformer: attention maps max rel diff',
         maxrel(c[1], a[1]))
    print(f'  (logits range [{a[0].min():.2f}, {a[0].max():.2f}], '
          f'predictions {a[0].argmax(-1).tolist()}; attention map '
          f'{tuple(a[1].shape)})')


PARAM_KEYS = ('mse', 'attention', 'recognition', 'finetune', 'loss')


def snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def compare_models(tag, off, mine, before, limit, report_fn=report):
    """Gradients (after clipping), updated parameters, their changes,
    buffers, official side ``off`` first.

    Tensors whose official gradient is below 1e-10 x the largest one
    ("null gradient": conv biases followed by a training-mode batch norm,
    mathematically zero, rounding noise in fact) are reported apart, by
    the absolute difference of their updated values: Adam turns their
    noise into steps of lr * g / (|g| + eps). Updated weights: max abs
    diff / max(max |official|, 1e-3) per tensor (1e-3 = the learning
    rate, a floor for zero-initialised biases)."""
    named = dict(mine.named_parameters())
    grads = {n: p.grad for n, p in off.named_parameters()
             if p.grad is not None}
    scale = max(g.abs().max().item() for g in grads.values())
    worst = dict(grad=(0., '-'), weight=(0., '-'), delta=(0., '-'),
                 null=(0., '-'))
    no_grad, null = [], []

    def keep(key, value, name):
        if value > worst[key][0]:
            worst[key] = (value, name)

    for name, po in off.named_parameters():
        pm = named[name]
        if po.grad is None or pm.grad is None:
            assert po.grad is None and pm.grad is None, name
            no_grad.append(name)
            continue
        if po.grad.abs().max().item() < 1e-10 * scale:
            null.append(name)
            keep('null', maxdiff(pm, po), name)
            continue
        keep('grad', maxrel(pm.grad, po.grad), name)
        keep('weight', maxrel(pm, po, 1e-3), name)
        keep('delta', maxrel(pm - before[name], po - before[name]), name)
    report_fn(f'{tag}: gradients after clipping, max rel diff per tensor '
              f'(worst {worst["grad"][1]})', worst['grad'][0], limit)
    report_fn(f'{tag}: updated weights, max rel diff per tensor (worst '
              f'{worst["weight"][1]})', worst['weight'][0], limit)
    report_fn(f'{tag}: weight changes, max rel diff per tensor (worst '
              f'{worst["delta"][1]})', worst['delta'][0], limit)
    report_fn(f'{tag}: updated weights of the {len(null)} null-gradient '
              f'tensors, max abs diff (worst {worst["null"][1]})',
              worst['null'][0], limit * 1e-3)
    so, sm = off.state_dict(), mine.state_dict()
    buffers = [k for k, _ in off.named_buffers()]
    report_fn(f'{tag}: buffers (BN running statistics etc.) max abs diff',
              max(maxdiff(sm[k], so[k]) for k in buffers), limit)
    if no_grad:
        print(f'  parameters without gradient: {no_grad}')
    return null


def run_official(off_net, crit, lr, hr, seed):
    ns = dict(self=official_self(), torch=torch, model_list=[off_net],
              image_crit=crit, label2tensor=LABEL2TENSOR,
              data=(hr, None, lr, None, None, list(LABELS), None, None,
                    None))
    exec(OPT_CODE, ns)
    exec(TRAIN_MODE_CODE, ns)
    torch.manual_seed(seed)
    exec(STEP_CODE, ns)
    return ns


def check_train_step():
    seed = 2024
    off_net, mine = NET.pair(13)
    before = {k: v.detach().clone().to(DT)
              for k, v in off_net.named_parameters()}
    off_net, mine = off_net.to(DT), mine.to(DT).train()
    crit = official_crit()
    table = ref.official_confusion_weights(CONFUSE_PATH)
    lr, hr = NET.lr_batch(2, DT, seed=6), hr_batch(2, seed=7)

    stt = reference_stt()  # built before seeding: its init draws

    t0 = time.time()
    ns = run_official(off_net, crit, lr, hr, seed)
    t1 = time.time()
    torch.manual_seed(seed)
    out = ref.lemma_train_step(mine, stt, lr, hr, LABELS, table)
    opt = ref.lemma_optimizer(mine)
    norm = ref.lemma_update(out['loss'], mine, opt)
    t2 = time.time()
    print(f'  official step {t1 - t0:.1f}s, reference step {t2 - t1:.1f}s; '
          f'language lengths {out["pos_prior"]["pt_lengths"].tolist()}, '
          f'gradient norm before clipping {float(norm):.4g}')
    groups = ns['optimizer_G'].param_groups
    same_groups = (
        [len(g['params']) for g in groups] ==
        [len(g['params']) for g in opt.param_groups] and all(
            {k: v for k, v in g.items() if k != 'params'} ==
            {k: v for k, v in h.items() if k != 'params'}
            for g, h in zip(groups, opt.param_groups)))
    print(f'  optimiser groups: {[len(g["params"]) for g in groups]} '
          f'parameters, lr {[g["lr"] for g in groups]}, betas '
          f'{groups[0]["betas"]}')
    report('lemma_optimizer groups/hyper-parameters vs optimizer_init '
           '(0 = same)', float(not same_groups), 0.)
    official = dict(mse=ns['mse_loss'], attention=ns['attention_loss'],
                    recognition=ns['recognition_loss'],
                    finetune=ns['finetune_loss'], loss=ns['loss_im'])
    for key in PARAM_KEYS:
        print(f'  {key:12s} official {float(official[key]):.17g}  '
              f'reference {float(out[key]):.17g}')
        report(f'step (float64): {key} rel diff',
               rel(out[key], official[key]), 0.)
    report('step: SR output max rel diff',
           maxrel(out['sr'], ns['cascade_images']), 0.)
    null = compare_models('step', off_net, mine, before, 0.)
    print(f'  null-gradient tensors ({len(null)}): {null[:4]} ...')
    state_o = ns['optimizer_G'].state
    state_m = opt.state
    worst = 0.
    for po, pm in zip(off_net.parameters(), mine.parameters()):
        for key in ('exp_avg', 'exp_avg_sq'):
            worst = max(worst, maxdiff(state_m[pm][key], state_o[po][key]))
    report('step: Adam exp_avg / exp_avg_sq max abs diff', worst, 0.)
    result = dict(official=official, before=before, off_net=off_net,
                  sr=ns['cascade_images'].detach(),
                  prior=ns['pos_prior'], lr=lr, hr=hr, seed=seed, crit=crit,
                  table=table)
    del mine, opt
    return result


def check_project_stt_step(prev):
    """The reference step with the project's ``STTTransformer`` as the
    recognizer (the reference maths otherwise)."""
    _, mine = NET.pair(13)
    mine = mine.to(DT).train()
    stt = project_stt()
    torch.manual_seed(prev['seed'])
    out = ref.lemma_train_step(mine, stt, prev['lr'], prev['hr'], LABELS,
                               prev['table'])
    ref.lemma_update(out['loss'], mine, ref.lemma_optimizer(mine))
    for key in PARAM_KEYS:
        info(f'reference step with the project STTTransformer: {key} rel '
             'diff', rel(out[key], prev['official'][key]))
    compare_models('reference step with the project STTTransformer',
                   prev['off_net'], mine, prev['before'], 1e-6, info)


def project_terms(crit, sr, hr):
    """The project's TextFocusLoss, one term at a time."""
    terms = {}
    for key, weights in (('mse', (1., 0., 0.)), ('attention', (0., 1., 0.)),
                         ('recognition', (0., 0., 1.))):
        crit.mse_weight, crit.attention_weight, crit.recognition_weight = \
            weights
        terms[key] = crit(sr, hr, LABELS)
    return terms


def check_project_loss(prev):
    """The project's TextFocusLoss on the official step's SR output."""
    crit = ProjectTextFocusLoss(recognizer_checkpoint=STT_PATH,
                                confusion_file=CONFUSE_PATH)
    crit._recognizer[0].to(DT)
    sr = prev['sr'].clone().requires_grad_(True)
    hr = prev['hr']
    with torch.no_grad():
        terms = project_terms(crit, sr, hr)
    off_terms = prev['crit'](sr, hr, LABEL2TENSOR.getlabletensor(LABELS),
                             {k: v.detach()
                              for k, v in prev['prior'].items()})
    for key, value in zip(('mse', 'attention', 'recognition'),
                          off_terms[1:4]):
        info(f'project TextFocusLoss term {key} (float64 SR) vs official, '
             'rel diff', rel(terms[key], value))
    crit.mse_weight, crit.attention_weight, crit.recognition_weight = \
        1., 5., 2.5e-4
    mine = crit(sr, hr, LABELS)
    (grad_m, ) = torch.autograd.grad(mine, sr)
    base = off_terms[1] + 0.5 * (off_terms[2] * 10 + off_terms[3] * 0.0005)
    (grad_o, ) = torch.autograd.grad(base, sr)
    info('project TextFocusLoss(1, 5, 2.5e-4) vs mse + 0.5 * (10 att + '
         '5e-4 rec): value rel diff', rel(mine, base))
    info('  the same: gradient w.r.t. SR, max rel diff',
         maxrel(grad_m, grad_o))
    # what the gray weights alone do: float32 gray weights, official maths
    stt = reference_stt()
    _, length, inputs, gt = ref.lemma_labels(LABELS)
    w32 = torch.tensor([0.299, 0.587, 0.114],
                       dtype=torch.float32).view(1, 3, 1, 1)

    def gray32(x):
        return (x[:, :3] * w32).sum(1, keepdim=True)

    with torch.no_grad():
        _, a_hr = ref.read_text_focus(stt, gray32(hr), length, inputs)
        p_sr, a_sr = ref.read_text_focus(stt, gray32(sr), length, inputs)
        att = F.l1_loss(a_hr, a_sr)
        rec = ref.weight_cross_entropy(p_sr, gt, prev['table'])
    info('  of which float32 gray weights alone: attention rel diff',
         rel(att, off_terms[2]))
    info('  of which float32 gray weights alone: recognition rel diff',
         rel(rec, off_terms[3]))
    o = prev['official']
    split = 100 * (o['mse'] + 5. * o['attention'] +
                   2.5e-4 * o['recognition']) + 1. * o['finetune']
    info('pre-multiplied weights (100 (mse + 5 att + 2.5e-4 rec) + ft) vs '
         'the official expression, total rel diff', rel(split, o['loss']),
         1e-15)
    del crit, stt


def check_project_step(prev):
    """A full step as the project's LEMMA model computes its loss: the
    reference network, the project's TextFocusLoss (1, 5, 2.5e-4) x 100
    and 100 x 0.01 x the guidance CE with its labels."""
    crit = ProjectTextFocusLoss(recognizer_checkpoint=STT_PATH,
                                confusion_file=CONFUSE_PATH,
                                mse_weight=1., attention_weight=5.,
                                recognition_weight=2.5e-4)
    crit._recognizer[0].to(DT)
    _, mine = NET.pair(13)
    mine = mine.to(DT).train()
    opt = ref.lemma_optimizer(mine)
    torch.manual_seed(prev['seed'])
    sr, prior = mine(prev['lr'])
    labels = project_abinet_labels(LABELS, prior['img_logits'].shape[1])
    guidance = sum(
        F.cross_entropy(prior[k].softmax(-1).flatten(0, 1),
                        labels.flatten())
        for k in ('img_logits', 'text_logits'))
    loss = 0 + 100. * crit(sr, prev['hr'], LABELS) + \
        100. * 0.01 * guidance
    ref.lemma_update(loss, mine, opt)
    info('project-style step (project TextFocusLoss): total loss rel diff',
         rel(loss, prev['official']['loss']))
    compare_models('project-style step', prev['off_net'], mine,
                   prev['before'], 1e-6, info)


def main():
    torch.set_num_threads(2)
    t0 = time.time()
    check_labels()
    check_confusion()
    check_recognizer()
    prev = check_train_step()
    check_project_stt_step(prev)
    check_project_loss(prev)
    check_project_step(prev)
    shutil.rmtree(TMP, ignore_errors=True)
    failed = [r for r in RESULTS if not r[3]]
    print(f'{len(RESULTS) - len(failed)}/{len(RESULTS)} checks passed '
          f'({time.time() - t0:.0f}s)')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
