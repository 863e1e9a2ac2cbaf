"""Check ``tests/test_models/tpgsr_reference.py`` against the official TPGSR
code in ``third_party/TPGSR`` (mjq11302010044/TPGSR @ dc3e3b1).

Needs a checkout of mjq11302010044/TPGSR in the git-ignored
``third_party/TPGSR`` (commit none of it). Run from the repository root
(about 10 minutes on 2 cores):
    .venv/bin/python .dev_scripts/check_tpgsr_reference.py

Official side:
- ``model/tsrn.py`` ``TSRN_TL`` and ``model/crnn/crnn.py`` ``CRNN``,
  imported as they are. Shim: an empty ``IPython`` module (``model/tsrn.py``
  and the loss files import ``from IPython import embed``, unused). No
  ``.cuda()`` shim is needed on these paths: ``TSRN_TL`` makes its
  default prior with ``torch.zeros`` on the CPU and the ``.cuda()`` calls of
  ``model/model_transformer.py`` are in functions it never calls.
- ``loss/semantic_loss.py`` ``SemanticLoss``, ``loss/image_loss.py``
  ``ImageLoss``, imported.
- ``interfaces/base.py`` ``parse_crnn_data`` and ``optimizer_init``, and the
  training-step body of ``interfaces/super_resolution.py`` (L297-406 and
  L419-424) and its evaluation cascade (L748-768), taken from the source
  text and executed verbatim (``interfaces`` itself cannot be imported here:
  it needs ``tensorboardX``, ``thop``, ``ptflops``, ``easydict``, LMDB data
  and a CUDA device for ``ptflops``), with ``self`` a namespace holding
  ``args``, ``config`` and the official ``parse_crnn_data``.

Reference side: ``tpgsr_reference`` modules loaded strictly from the
official state dicts; students / teacher are the project's plain-torch
meijieru CRNN (``tests/test_tools/test_crnn_converter.py`` ``OfficialCRNN``)
loaded strictly from the official ``CRNN``'s state dict.
"""
import ast
import copy
import sys
import textwrap
import types
import warnings
from pathlib import Path
from types import SimpleNamespace as NS

import torch
import torch.nn as nn
import yaml

ROOT = Path(__file__).resolve().parents[1]
TP = ROOT / 'third_party' / 'TPGSR'

_ipython = types.ModuleType('IPython')
_ipython.embed = lambda *a, **k: None
sys.modules.setdefault('IPython', _ipython)
sys.path.insert(0, str(TP))
sys.path.insert(0, str(ROOT))
warnings.filterwarnings('ignore')

from loss.image_loss import ImageLoss  # noqa: E402
from loss.semantic_loss import SemanticLoss  # noqa: E402
from model import tsrn as official_tsrn  # noqa: E402
from model.crnn.crnn import CRNN as OfficialCRNNModel  # noqa: E402

from tests.test_models import tpgsr_reference as ref  # noqa: E402
from tests.test_tools.test_crnn_converter import \
    OfficialCRNN as PlainCRNN  # noqa: E402

CFG = yaml.safe_load(open(TP / 'config' / 'super_resolution.yaml'))['TRAIN']
RESULTS = []


def report(name, value, limit):
    ok = value <= limit
    RESULTS.append((name, value, limit, ok))
    print(f'{"OK  " if ok else "FAIL"} {name}: {value:.3e} (<= {limit:g})')


# --------------------------------------------------------------------------
# Official code taken from the source text
# --------------------------------------------------------------------------
def official_methods(names):
    """Functions of ``TextBase`` in ``interfaces/base.py``, by name."""
    src = (TP / 'interfaces' / 'base.py').read_text()
    tree = ast.parse(src)
    cls = next(n for n in tree.body
               if isinstance(n, ast.ClassDef) and n.name == 'TextBase')
    ns = dict(torch=torch, optim=torch.optim)
    for node in cls.body:
        if isinstance(node, ast.FunctionDef) and node.name in names:
            code = ast.get_source_segment(src, node)
            exec(compile(textwrap.dedent(code), 'base.py:' + node.name,
                         'exec'), ns)
    return {name: ns[name] for name in names}


SR_LINES = (TP / 'interfaces' / 'super_resolution.py').read_text() \
    .splitlines()


def official_block(first: int, last: int, first_text: str,
                   last_text: str):
    """super_resolution.py lines first..last (1-based), dedented, after
    checking that they are the expected ones."""
    lines = SR_LINES[first - 1:last]
    assert lines[0].strip() == first_text, lines[0]
    assert lines[-1].strip() == last_text, lines[-1]
    return compile(textwrap.dedent('\n'.join(lines)),
                   f'super_resolution.py:{first}-{last}', 'exec')


assert SR_LINES[294].strip() == 'elif self.args.arch in ABLATION_SET:'
STEP_CODE = official_block(
    297, 406,
    'aster_dict_hr = self.parse_crnn_data(images_hr[:, :3, :, :])',
    'loss_im = loss_img + loss_recog_distill')
UPDATE_CODE = official_block(419, 424, 'optimizer_G.zero_grad()',
                             'optimizer_G.step()')
EVAL_CODE = official_block(748, 768,
                           'for i in range(self.args.stu_iter):',
                           'images_sr.append(cascade_images)')
METHODS = official_methods(['parse_crnn_data', 'optimizer_init'])


def official_self(stu_iter=1, sr_share=True, tpg_share=False,
                  use_label=False, use_distill=True):
    me = NS(args=NS(arch='tsrn_tl_cascade', stu_iter=stu_iter,
                    sr_share=sr_share, tpg_share=tpg_share,
                    use_label=use_label, use_distill=use_distill,
                    ssim_loss=False, random_reso=False),
            config=NS(TRAIN=NS(width=CFG['width'], lr=CFG['lr'],
                               beta1=CFG['beta1'],
                               optimizer=CFG['optimizer'])),
            results_recorder=NS(add_scalar=lambda *a, **k: None))
    me.parse_crnn_data = types.MethodType(METHODS['parse_crnn_data'], me)
    me.optimizer_init = types.MethodType(METHODS['optimizer_init'], me)
    return me


# --------------------------------------------------------------------------
# Set-up
# --------------------------------------------------------------------------
def official_tsrn_tl():
    return official_tsrn.TSRN_TL(scale_factor=CFG['down_sample_scale'],
                                 width=CFG['width'], height=CFG['height'],
                                 STN=True, mask=True, srb_nums=5,
                                 hidden_units=32)


def randomize(module, gen, infogen_scale=0.5):
    """Non-trivial norms, an STN that warps, an InfoGen whose output
    matters, peaked CRNN outputs."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) +
                               0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=gen) - 0.5)
                m.running_mean.copy_(
                    (torch.rand(m.running_mean.shape, generator=gen) - 0.5)
                    * 0.2)
                m.running_var.copy_(
                    torch.rand(m.running_var.shape, generator=gen) + 0.5)
                m.num_batches_tracked.fill_(7)
        if hasattr(module, 'stn_head'):
            module.stn_head.stn_fc2.weight.normal_(0, 1e-2, generator=gen)
        if hasattr(module, 'infoGen'):
            for i in range(1, 5):
                getattr(module.infoGen, f'tconv{i}').weight.normal_(
                    0, infogen_scale, generator=gen)
                getattr(module.infoGen, f'bn{i}').running_mean.zero_()
        if hasattr(module, 'rnn'):
            module.rnn[1].embedding.weight.mul_(20)


def pair_sr(seed):
    torch.manual_seed(seed)
    off = official_tsrn_tl()
    randomize(off, torch.Generator().manual_seed(seed))
    mine = ref.build_tsrn_tl()
    mine.load_state_dict(off.state_dict(), strict=True)
    return off, mine


def pair_crnn(seed):
    torch.manual_seed(seed)
    off = OfficialCRNNModel(32, 1, 37, 256)
    randomize(off, torch.Generator().manual_seed(seed))
    mine = PlainCRNN()
    mine.load_state_dict(off.state_dict(), strict=True)
    return off, mine


def batch(n, dtype, seed=1):
    gen = torch.Generator().manual_seed(seed)
    hr = torch.rand(n, 4, 32, 128, generator=gen, dtype=dtype)
    lr = nn.functional.avg_pool2d(hr, 2) + 0.05 * torch.rand(
        n, 4, 16, 64, generator=gen, dtype=dtype)
    return lr, hr


def maxdiff(a, b):
    return (a.double() - b.double()).abs().max().item()


def maxrel(a, b, floor):
    scale = max(b.double().abs().max().item(), floor)
    return maxdiff(a, b) / scale


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------
def check_structure():
    torch.manual_seed(0)
    off = official_tsrn_tl()
    torch.manual_seed(0)
    mine = ref.build_tsrn_tl()
    ko, km = list(off.state_dict()), list(mine.state_dict())
    print(f'state dict: {len(ko)} entries, '
          f'{sum(p.numel() for p in off.parameters())} parameters; '
          f'same keys in the same order: {ko == km}')
    assert ko == km
    # same seed -> same initial weights (construction order matches)
    worst = max(maxdiff(v, mine.state_dict()[k])
                for k, v in off.state_dict().items())
    report('seeded init, official vs reference (all tensors)', worst, 0.)
    probs = torch.rand(2, 26, 37).softmax(-1)
    prior = ref.prior_from_probs(probs.transpose(0, 1))
    shapes = []
    x = prior
    for i in range(1, 5):
        x = getattr(off.infoGen, f'tconv{i}')(x)
        shapes.append(tuple(x.shape))
    print('InfoGen tconv output shapes (N=2, T=26):', shapes)
    assert shapes[-1] == (2, 32, 1, 203)


def check_eval_forward():
    for dtype, limit in ((torch.float32, 1e-5), (torch.float64, 0.)):
        off, mine = pair_sr(3)
        off_crnn, _ = pair_crnn(4)
        off, mine, off_crnn = (m.to(dtype).eval()
                               for m in (off, mine, off_crnn))
        lr, _ = batch(4, dtype)
        with torch.no_grad():
            probs = torch.softmax(
                off_crnn(ref.parse_crnn_data(lr)), -1)  # (26, N, 37)
            prior = ref.prior_from_probs(probs)
            rand_prior = ref.prior_from_probs(
                (3 * torch.randn(26, 4, 37, dtype=dtype)).softmax(-1))
            worst, info = 0., 0.
            for p in (prior, rand_prior, torch.zeros_like(prior)):
                a, b = off(lr, p), mine(lr, p)
                worst = max(worst, maxdiff(a, b))
                info = max(info, maxdiff(off.infoGen(p), mine.infoGen(p)))
            guided = (off(lr, prior) - off(lr, torch.zeros_like(prior))
                      ).abs().max().item()
        name = str(dtype).split('.')[-1]
        report(f'eval forward, SR output max abs diff ({name})', worst,
               limit)
        report(f'eval forward, InfoGen output max abs diff ({name})', info,
               limit)
        print(f'  (the prior changes the SR output by up to {guided:.3f})')


def check_train_forward():
    off, mine = pair_sr(5)
    off, mine = off.double().train(), mine.double().train()
    lr, _ = batch(4, torch.float64)
    prior = ref.prior_from_probs(
        (3 * torch.randn(26, 4, 37, dtype=torch.float64)).softmax(-1))
    a, b = off(lr, prior), mine(lr, prior)
    report('train-mode forward (STN + TPS, BN batch stats), float64',
           maxdiff(a, b), 0.)
    stats = max(
        maxdiff(v, mine.state_dict()[k]) for k, v in off.state_dict().items())
    report('BN running stats after it, float64', stats, 0.)


def run_official_step(flags, sr, students, teacher, lr, hr, labels):
    me = official_self(**flags)
    text_label, weighted_mask, weighted_tics = labels
    ns = dict(
        self=me, torch=torch, Variable=torch.autograd.Variable,
        images_lr=lr, images_hr=hr, aster=teacher, aster_student=students,
        model_list=sr, image_crit=ImageLoss(gradient=True,
                                            loss_weight=[1, 1e-4]),
        sem_loss=SemanticLoss(),
        ctc_loss=torch.nn.CTCLoss(blank=0, reduction='none'),
        text_label=text_label, weighted_mask=weighted_mask,
        weighted_tics=weighted_tics, iters=1, loss_ssim=0.)
    exec(STEP_CODE, ns)
    ns['optimizer_G'] = me.optimizer_init(sr, recognizer=students)
    exec(UPDATE_CODE, ns)
    return ns


def check_train_step(stu_iter, sr_share, tpg_share=False, use_label=False):
    dtype = torch.float64
    n_sr = 1 if sr_share else stu_iter
    pairs = [pair_sr(10 + i) for i in range(n_sr)]
    stu_pairs = [pair_crnn(20 + i) for i in range(stu_iter)]
    teacher_off, teacher_mine = pair_crnn(30)
    lr, hr = batch(4, dtype, seed=2)
    labels = ref.collate_labels(['Hello', 'w0rld!', 'THISISAVERYLONGWORD',
                                 '!?'])
    off_sr = [p[0].to(dtype).train() for p in pairs]
    my_sr = [p[1].to(dtype).train() for p in pairs]
    off_stu = [p[0].to(dtype).train() for p in stu_pairs]
    my_stu = [p[1].to(dtype).train() for p in stu_pairs]
    teacher_off, teacher_mine = (teacher_off.to(dtype).eval(),
                                 teacher_mine.to(dtype).eval())

    flags = dict(stu_iter=stu_iter, sr_share=sr_share, tpg_share=tpg_share,
                 use_label=use_label, use_distill=True)
    ns = run_official_step(flags, off_sr, off_stu, teacher_off, lr, hr,
                           labels)
    mine = ref.tpgsr_train_step(my_sr, my_stu, teacher_mine, lr, hr,
                                *labels, stu_iter=stu_iter,
                                sr_share=sr_share, tpg_share=tpg_share,
                                use_label=use_label)
    opt = ref.tpgsr_optimizer(my_sr, my_stu, CFG['lr'], CFG['beta1'])
    ref.tpgsr_update(mine['loss'], my_sr, opt)

    tag = (f'stu_iter={stu_iter} sr_share={sr_share} tpg_share={tpg_share}'
           f' use_label={use_label}')
    losses = max(
        abs(float(ns[o]) - float(mine[m])) / abs(float(ns[o]))
        for o, m in (('loss_im', 'loss'), ('loss_img', 'loss_img'),
                     ('loss_recog_distill', 'loss_distill')))
    print(f'[{tag}] official loss_im {float(ns["loss_im"]):.6f} = loss_img '
          f'{float(ns["loss_img"]):.6f} + loss_recog_distill '
          f'{float(ns["loss_recog_distill"]):.6f}')
    report(f'[{tag}] losses, max rel diff', losses, 1e-12)
    grads, params = 0., 0.
    mods = list(zip(off_sr, my_sr)) + list(zip(off_stu, my_stu))
    for o, m in mods:
        named = dict(m.named_parameters())
        for name, po in o.named_parameters():
            pm = named[name]
            if po.grad is None or pm.grad is None:
                assert po.grad is None and pm.grad is None, name
                continue
            grads = max(grads, maxrel(pm.grad, po.grad, 1e-8))
        so, sm = o.state_dict(), m.state_dict()
        params = max(params, max(maxdiff(sm[k], so[k]) for k in so))
    report(f'[{tag}] clipped grads, max rel diff', grads, 1e-10)
    report(f'[{tag}] weights + buffers after the Adam step, max abs diff',
           params, 1e-12)
    norms = [torch.stack([p.grad.norm() for p in m.parameters()
                          if p.grad is not None]).norm().item()
             for m in my_sr]
    print(f'  SR grad norms after clipping: {[f"{v:.4f}" for v in norms]}')


def check_eval_cascade(stu_iter, sr_share):
    for dtype, limit in ((torch.float32, 1e-5), (torch.float64, 0.)):
        n_sr = 1 if sr_share else stu_iter
        pairs = [pair_sr(40 + i) for i in range(n_sr)]
        stu = [pair_crnn(50 + i) for i in range(stu_iter)]
        off_sr = [p[0].to(dtype).eval() for p in pairs]
        my_sr = [p[1].to(dtype).eval() for p in pairs]
        off_stu = [p[0].to(dtype).eval() for p in stu]
        my_stu = [p[1].to(dtype).eval() for p in stu]
        lr, _ = batch(4, dtype, seed=3)
        ns = dict(self=official_self(stu_iter=stu_iter, sr_share=sr_share),
                  torch=torch, aster=[None, off_stu, None], model_list=off_sr,
                  images_lr=lr, cascade_images=lr, images_sr=[])
        with torch.no_grad():
            exec(EVAL_CODE, ns)
        mine = ref.tpgsr_eval_cascade(my_sr, my_stu, lr, stu_iter, sr_share)
        worst = max(maxdiff(a, b) for a, b in zip(ns['images_sr'], mine))
        name = str(dtype).split('.')[-1]
        report(f'eval cascade stu_iter={stu_iter} sr_share={sr_share} '
               f'({name}), all stages', worst, limit)


def main():
    torch.set_num_threads(2)
    check_structure()
    check_eval_forward()
    check_train_forward()
    check_train_step(1, True)
    check_train_step(3, True)
    check_train_step(3, False)
    check_train_step(2, True, tpg_share=True, use_label=True)
    check_eval_cascade(3, True)
    check_eval_cascade(2, False)
    failed = [r for r in RESULTS if not r[3]]
    print(f'{len(RESULTS) - len(failed)}/{len(RESULTS)} checks passed')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
