"""Check ``tests/test_models/lemma_reference.py`` against the official LEMMA
code in ``third_party/LEMMA`` (csguoh/LEMMA).

Needs the official code unpacked in the git-ignored ``third_party/LEMMA``
(commit none of it). Run from the repository root (a minute or two on 2
cores):
    .venv/bin/python .dev_scripts/check_lemma_reference.py

Official side: ``model/lemma.py`` ``LEMMA`` (with
``model/Position_aware_module.py``, ``model/transformer.py``,
``model/backbone.py``, ``model/resnet.py``, ``model/stn_head.py``,
``model/tps_spatial_transformer.py``) and ``setup.py`` ``CharsetMapper``,
imported as they are: ``model/`` needs no shim (``cv2``, ``matplotlib``,
``torchvision`` are installed). ``third_party/LEMMA`` goes first on
``sys.path``: the repository's own ``setup.py`` would otherwise shadow
LEMMA's ``setup`` module. The network is built as ``generator_init`` does
(``interfaces/base.py`` L121-123) from ``config/super_resolution.yaml``'s
``PositionAware`` section (as a namespace; ``easydict`` is not needed),
with the two ABINet checkpoints set to None and the charset path made
absolute. ``Lable2Tensor.getlabletensor``'s label lines
(``dataset/dataset.py`` L56-57) and ``TextFocusLoss``'s fine-tune lines
(``loss/text_focus_loss.py`` L594-596) are executed from the source text
(``.cuda()`` dropped; neither module imports on a CPU-only machine).

Reference side: ``lemma_reference.build_lemma`` given the same namespace
config, loaded strictly from the official state dict. Random but
non-trivial weights (``randomize``): batch norms (affine and running
statistics), layer norms and PReLUs drawn, an STN that warps, class
biases that make the predicted lengths vary.
"""
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml

ROOT = Path(__file__).resolve().parents[1]
TP = ROOT / 'third_party' / 'LEMMA'

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(TP))
warnings.filterwarnings('ignore')

from model.lemma import LEMMA as OfficialLEMMA  # noqa: E402
from setup import CharsetMapper  # noqa: E402

from tests.test_models import lemma_reference as ref  # noqa: E402

assert Path(sys.modules['setup'].__file__).parent == TP
RESULTS = []
CHARSET_PATH = str(TP / 'dataset' / 'charset_36.txt')


def report(name, value, limit):
    ok = value <= limit
    RESULTS.append((name, value, limit, ok))
    print(f'{"OK  " if ok else "FAIL"} {name}: {value:.3e} (<= {limit:g})')


def to_namespace(node):
    if isinstance(node, dict):
        return SimpleNamespace(
            **{k: to_namespace(v) for k, v in node.items()})
    return node


def official_config():
    """The yaml's ``PositionAware`` section, checkpoints None."""
    raw = yaml.safe_load(open(TP / 'config' / 'super_resolution.yaml'))
    section = raw['PositionAware']
    section['vision']['checkpoint'] = None
    section['language']['checkpoint'] = None
    section['dataset_charset_path'] = CHARSET_PATH
    return SimpleNamespace(PositionAware=to_namespace(section))


CFG = official_config()


def official_lemma():
    return OfficialLEMMA(scale_factor=2, width=128, height=32, STN=True,
                         mask=True, srb_nums=5, cfg=CFG)


def randomize(module, gen):
    """Non-trivial norms and PReLUs, an STN that warps, class biases that
    give varied lengths (the null class wins at some positions)."""
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
            elif isinstance(m, nn.LayerNorm):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) +
                               0.5)
                m.bias.copy_(torch.rand(m.bias.shape, generator=gen) - 0.5)
            elif isinstance(m, nn.PReLU):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) *
                               0.5)
        module.stn_head.stn_fc2.weight.normal_(0, 1e-2, generator=gen)
        prior = module.position_prior
        for cls in (prior.vision.cls, prior.language.cls):
            cls.bias.normal_(0, 1., generator=gen)
        # the language model then predicts the null label first: its
        # lengths are 1, clamped to 2 (most rows of attn_map masked)
        prior.language.cls.bias[0] += 3.


def pair(seed):
    torch.manual_seed(seed)
    off = official_lemma()
    randomize(off, torch.Generator().manual_seed(seed))
    mine = ref.build_lemma(cfg=CFG)
    mine.load_state_dict(off.state_dict(), strict=True)
    return off, mine


def lr_batch(n, dtype, seed=1):
    gen = torch.Generator().manual_seed(seed)
    rgb = torch.rand(n, 3, 16, 64, generator=gen, dtype=dtype)
    gray = rgb.mean(1, keepdim=True)
    mask = (gray < gray.mean(dim=(2, 3), keepdim=True)).to(dtype)
    return torch.cat([rgb, mask], 1)


def maxdiff(a, b):
    return (a.double() - b.double()).abs().max().item()


def maxrel(a, b, floor=1e-30):
    scale = max(b.double().abs().max().item(), floor)
    return maxdiff(a, b) / scale


def dname(dtype):
    return str(dtype).split('.')[-1]


PRIOR_KEYS = ('attn_map', 'img_logits', 'text_logits')


def compare_outputs(tag, out_a, out_b, limit):
    """SR output, the prior dict (lengths exactly) and ``self.block``."""
    (sr_a, prior_a), (sr_b, prior_b) = out_a, out_b
    report(f'{tag}: SR output max rel diff', maxrel(sr_b, sr_a), limit)
    assert set(prior_a) == set(prior_b) == set(PRIOR_KEYS) | {'pt_lengths'}
    worst = max(maxrel(prior_b[k], prior_a[k]) for k in PRIOR_KEYS)
    report(f'{tag}: attn_map / img_logits / text_logits max rel diff',
           worst, limit)
    same = torch.equal(prior_a['pt_lengths'], prior_b['pt_lengths'])
    report(f'{tag}: pt_lengths differ (0 = equal; '
           f'{prior_a["pt_lengths"].tolist()})', float(not same), 0.)


def compare_blocks(tag, off, mine, limit):
    worst = max(maxrel(mine.block[k], v) for k, v in off.block.items())
    assert list(off.block) == list(mine.block)
    report(f'{tag}: intermediate maps block1..block8 max rel diff', worst,
           limit)


# --------------------------------------------------------------------------
# Dropout log (order, shapes, strides of every F.dropout call)
# --------------------------------------------------------------------------
class DropoutLog:

    def __init__(self):
        self.calls = []
        self._orig = F.dropout

    def __enter__(self):
        orig = self._orig

        def logged(input, p=0.5, training=True, inplace=False):
            if training:
                self.calls.append((float(p), tuple(input.shape),
                                   tuple(input.stride())))
            return orig(input, p, training, inplace)

        F.dropout = logged
        return self

    def __exit__(self, *exc):
        F.dropout = self._orig


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------
def check_charset_and_labels():
    mapper = CharsetMapper(CHARSET_PATH, max_length=26)
    official = ''.join(mapper.label_to_char[i]
                       for i in range(mapper.num_classes))
    print(f'charset: {mapper.num_classes} classes, null label '
          f'{mapper.null_label}, {official!r}')
    report('CHARSET vs CharsetMapper(charset_36.txt) (0 = equal)',
           float(official != ref.CHARSET or mapper.null_char !=
                 ref.NULL_CHAR or list(mapper.label_to_char) !=
                 list(range(37))), 0.)
    lines = (TP / 'dataset' / 'dataset.py').read_text().splitlines()
    assert lines[55].strip() == ('label_id = [torch.tensor(self.charset.'
                                 'get_labels(l.lower())) for l in label]')
    assert lines[56].strip() == 'label_id = torch.stack(label_id).cuda()'
    code = '\n'.join(
        [lines[55].strip(), lines[56].strip().replace('.cuda()', '')])
    texts = ['Hello', 'WORLD!', 'a-b c', 'x' * 30, '', '2023', 'Straße',
             'İstanbul', 'don\'t', 'Z9']
    ns = dict(torch=torch, label=texts,
              self=SimpleNamespace(charset=mapper))
    exec(compile(code, 'dataset.py:56-57', 'exec'), ns)
    mine = ref.abinet_labels(texts)
    same = (ns['label_id'].dtype == mine.dtype
            and torch.equal(ns['label_id'], mine))
    print(f'  labels of {texts[:3]}: {mine[:3, :6].tolist()} ...')
    report('abinet_labels vs getlabletensor L56-57 (0 = equal)',
           float(not same), 0.)
    hot = ref.abinet_labels(texts, one_hot=True)
    report('abinet_labels one_hot argmax == indices (0 = equal)',
           float(not torch.equal(hot.argmax(-1), mine)), 0.)
    # the fine-tune CE lines of TextFocusLoss.forward
    src = (TP / 'loss' / 'text_focus_loss.py').read_text().splitlines()
    ft = [s.strip() for s in src[593:596]]
    assert ft[0].startswith('finetune_loss_v = self.ce_loss(F.softmax('
                            "distill_res['img_logits']"), ft[0]
    assert ft[2] == 'finetune_loss = finetune_loss_v + finetune_loss_t'
    gen = torch.Generator().manual_seed(3)
    for dtype, limit in ((torch.float32, 0.), (torch.float64, 0.)):
        prior = {k: 4 * torch.randn(len(texts), 26, 37, generator=gen,
                                    dtype=dtype)
                 for k in ('img_logits', 'text_logits')}
        ns = dict(F=F, distill_res=prior, label_id=mine,
                  self=SimpleNamespace(ce_loss=nn.CrossEntropyLoss()))
        exec(compile('\n'.join(ft), 'text_focus_loss.py:594-596', 'exec'),
             ns)
        a = ns['finetune_loss']
        b = ref.abinet_finetune_loss(prior, mine)
        report(f'abinet_finetune_loss vs L594-596 ({dname(dtype)}, value '
               f'{float(a):.6f}) abs diff', abs(float(a - b)), limit)


def check_structure():
    torch.manual_seed(0)
    off = official_lemma()
    torch.manual_seed(0)
    mine = ref.build_lemma()
    so, sm = off.state_dict(), mine.state_dict()
    n_par = sum(p.numel() for p in off.parameters())
    print(f'state dict: {len(so)} entries ({len(list(off.parameters()))} '
          f'parameters, {n_par} values; {len(list(off.buffers()))} '
          f'buffers); same keys in the same order: {list(so) == list(sm)}')
    report('state dict entries != 1102', float(abs(len(so) - 1102)), 0.)
    report('state dict keys/order/shapes/dtypes differ (count)',
           float(sum(a != b or so[a].shape != sm[b].shape
                     or so[a].dtype != sm[b].dtype
                     for a, b in zip(so, sm)) + abs(len(so) - len(sm))), 0.)
    named_o = [(k, tuple(p.shape)) for k, p in off.named_parameters()]
    named_m = [(k, tuple(p.shape)) for k, p in mine.named_parameters()]
    report('named_parameters order/shapes differ (0 = same)',
           float(named_o != named_m), 0.)
    worst = max(maxdiff(v, sm[k]) for k, v in so.items())
    report('seeded init (default build_lemma()), official vs reference, '
           'all tensors max abs diff', worst, 0.)
    off2, mine2 = pair(1)
    off2.load_state_dict(mine2.state_dict(), strict=True)
    mine2.load_state_dict(off2.state_dict(), strict=True)
    print('  strict load official -> reference and reference -> official '
          'OK')


def check_eval_forward():
    for dtype, limit in ((torch.float32, 1e-5), (torch.float64, 1e-12)):
        off, mine = pair(3)
        off, mine = off.to(dtype).eval(), mine.to(dtype).eval()
        x = lr_batch(2, dtype)
        with torch.no_grad():
            a, b = off(x), mine(x)
        tag = f'eval forward ({dname(dtype)}, N=2)'
        compare_outputs(tag, a, b, limit)
        compare_blocks(tag, off, mine, limit)
        print(f'  (SR range [{b[0].min():.3f}, {b[0].max():.3f}]; '
              f'attn_map range [{b[1]["attn_map"].min():.2e}, '
              f'{b[1]["attn_map"].max():.2e}])')


def check_train_forward():
    """Training mode: STN + TPS, batch statistics, every dropout."""
    for dtype, limit in ((torch.float32, 1e-5), (torch.float64, 1e-12)):
        off, mine = pair(5)
        off, mine = off.to(dtype).train(), mine.to(dtype).train()
        x = lr_batch(2, dtype, seed=2)
        tag = f'train forward ({dname(dtype)}, N=2, seed 123)'
        torch.manual_seed(123)
        with torch.no_grad(), DropoutLog() as log_a:
            a = off(x)
        rng_a = torch.get_rng_state()
        torch.manual_seed(123)
        with torch.no_grad(), DropoutLog() as log_b:
            b = mine(x)
        rng_b = torch.get_rng_state()
        compare_outputs(tag, a, b, limit)
        compare_blocks(tag, off, mine, limit)
        so, sm = off.state_dict(), mine.state_dict()
        report(f'{tag}: BN running stats etc. after it, max abs diff',
               max(maxdiff(sm[k], v) for k, v in so.items()), limit)
        drawn = [c for c in log_a.calls if c[0] > 0]
        print(f'  F.dropout calls: official {len(log_a.calls)} '
              f'({len(drawn)} with p > 0), reference {len(log_b.calls)}')
        report(f'{tag}: dropout calls (p, shape, stride) differ (count)',
               float(sum(p != q for p, q in zip(log_a.calls, log_b.calls))
                     + abs(len(log_a.calls) - len(log_b.calls))), 0.)
        report(f'{tag}: RNG state after the forward differs (0 = same)',
               float(not torch.equal(rng_a, rng_b)), 0.)
        torch.manual_seed(124)
        with torch.no_grad():
            c = mine(x)
        print(f'  (another seed changes the SR output by up to '
              f'{maxdiff(c[0], b[0]):.2e}, text_logits by '
              f'{maxdiff(c[1]["text_logits"], b[1]["text_logits"]):.2e}: '
              'the dropout masks matter)')
        if dtype == torch.float32:
            with torch.no_grad():
                d = mine.eval()(x)
            print(f'  (eval vs train SR differ by {maxdiff(d[0], b[0]):.2e}'
                  ': STN, batch statistics, dropout)')


def check_varied_lengths():
    """The length-dependent paths with chosen lengths (random weights
    give the same length to every sample): ``_get_length``, the language
    model's padding mask, the guidance generator's row mask and its
    feature selection. float64, eval and training (same seed)."""
    dtype = torch.float64
    off, mine = pair(9)
    off, mine = off.to(dtype), mine.to(dtype)
    gen = torch.Generator().manual_seed(11)
    n = 3
    logits = 3 * torch.randn(n, 26, 37, generator=gen, dtype=dtype)
    logits[:, :, 0] -= 20
    logits[0, 4, 0] = logits[0, 10, 0] = logits[1, 0, 0] = 100
    a = off.position_prior.vision._get_length(logits)
    b = mine.position_prior.vision._get_length(logits)
    report(f'_get_length on crafted logits {a.tolist()} (expected '
           '[5, 1, 26]; 0 = equal)',
           float(not (torch.equal(a, b) and a.tolist() == [5, 1, 26])), 0.)
    lengths = torch.tensor([2, 9, 26])
    tokens = torch.softmax(
        3 * torch.randn(n, 26, 37, generator=gen, dtype=dtype), -1)
    feat = torch.randn(n, 64, 16, 64, generator=gen, dtype=dtype)
    scores = torch.softmax(
        8 * torch.randn(n, 26, 256, generator=gen, dtype=dtype), -1)
    attn_map = F.interpolate(scores.view(n, 26, 8, 32), scale_factor=2,
                             mode='bicubic', align_corners=True)
    prior = {'attn_map': attn_map, 'pt_lengths': lengths,
             'text_logits': 3 * torch.randn(n, 26, 37, generator=gen,
                                            dtype=dtype)}
    keep = (torch.arange(26)[None, :] < lengths[:, None]).to(dtype)
    pos_weight = (attn_map * keep[:, :, None, None]).max(1)[0]
    ties = sum(int(row.numel() - row.unique().numel())
               for row in pos_weight.view(n, -1))
    print(f'  lengths {lengths.tolist()}; attn_map min '
          f'{float(attn_map.min()):.2e}; tied pos_weight values: {ties}')
    for mode in ('eval', 'train'):
        getattr(off, mode)()
        getattr(mine, mode)()
        with torch.no_grad():
            torch.manual_seed(5)
            la = off.position_prior.language(tokens, lengths)
            ga = off.guidanceGen(prior, feat)[0]
            torch.manual_seed(5)
            lb = mine.position_prior.language(tokens, lengths)
            gb = mine.guidanceGen(prior, feat)[0]
        report(f'language model, lengths {lengths.tolist()} ({mode}): '
               'logits max rel diff', maxrel(lb['logits'], la['logits']),
               1e-12)
        report(f'language model ({mode}): pt_lengths differ (0 = equal; '
               f'{la["pt_lengths"].tolist()})',
               float(not torch.equal(la['pt_lengths'], lb['pt_lengths'])),
               0.)
        report(f'guidanceGen, lengths {lengths.tolist()} ({mode}): map '
               'max rel diff', maxrel(gb, ga), 1e-12)
    so, sm = off.state_dict(), mine.state_dict()
    report('after both: running stats etc. max abs diff',
           max(maxdiff(sm[k], v) for k, v in so.items()), 1e-12)


def check_gradients():
    dtype = torch.float64
    off, mine = pair(7)
    off, mine = off.to(dtype).train(), mine.to(dtype).train()
    x = lr_batch(2, dtype, seed=4)
    times = []
    for model in (off, mine):
        t0 = time.time()
        torch.manual_seed(321)
        sr, prior = model(x)
        loss = (sr.mean() + prior['img_logits'].mean() +
                prior['text_logits'].mean())
        loss.backward()
        model._loss = float(loss)
        times.append(time.time() - t0)
    print(f'  loss sr.mean() + img_logits.mean() + text_logits.mean(): '
          f'official {off._loss:.15f}, reference {mine._loss:.15f} '
          f'({times[0]:.1f}s / {times[1]:.1f}s)')
    report('train step (float64): loss rel diff',
           abs(off._loss - mine._loss) / abs(off._loss), 1e-13)
    worst, worst_name, no_grad = 0., '-', []
    named = dict(mine.named_parameters())
    for name, po in off.named_parameters():
        pm = named[name]
        if po.grad is None or pm.grad is None:
            assert po.grad is None and pm.grad is None, name
            no_grad.append(name)
            continue
        rel = maxrel(pm.grad, po.grad, 1e-12)
        if rel > worst:
            worst, worst_name = rel, name
    report(f'train step (float64): gradients of all parameters, max rel '
           f'diff (worst {worst_name})', worst, 1e-9)
    print(f'  parameters without gradient on both sides: {no_grad}')


def main():
    torch.set_num_threads(2)
    t0 = time.time()
    check_charset_and_labels()
    check_structure()
    check_eval_forward()
    check_train_forward()
    check_varied_lengths()
    check_gradients()
    failed = [r for r in RESULTS if not r[3]]
    print(f'{len(RESULTS) - len(failed)}/{len(RESULTS)} checks passed '
          f'({time.time() - t0:.0f}s)')
    sys.exit(1 if failed else 0)


if __name__ == '__main__':
    main()
