"""Time one inference or training step of a text SR model built from its
config, on random inputs, and print the figures as one JSON line.

The model is built through MMOCR's ``MODELS`` registry (random weights, or
``--checkpoint``) and driven exactly as the runner drives it: ``test_step``
under ``torch.no_grad`` in ``infer`` mode (SR images and, for models that
read text, the decoded text), ``train_step`` with the optimizer wrapper of
the config in ``train`` mode. The batch is random: LR images
(N, C, h, w) in [0, 1], HR targets (N, C, h * s, w * s) and random
lower-case alphanumeric words (3 to 11 characters) as ``gt_text``, created
once on the device (no host-to-device copy is timed). C, (h, w) and s are
read from the model config (``in_channels``/``in_chans``,
``lr_hw``/``img_size``, ``scale_factor``/``upscale``), else 4, (16, 64)
and 2.

``ms_per_batch`` is the median over the timed iterations that follow the
warm-up (the device is synchronised around each one on CUDA) and
``img_per_s`` is the batch size divided by it. ``peak_mem_mib`` is the
CUDA peak allocation over the timed iterations (null on the CPU).

Usage:
    python tools/analysis_tools/benchmark.py CONFIG [--checkpoint CKPT]
        --mode {infer,train} --batch-size N [--device cpu|cuda]
        [--amp {off,bf16,fp16}] [--compile] [--iters 10] [--warmup 3]
        [--cfg-options k=v ...]
"""
import argparse
import contextlib
import copy
import json
import statistics
import string
import sys
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import LabelData

AMP_DTYPES = {'bf16': torch.bfloat16, 'fp16': torch.float16}
WORD_CHARS = string.digits + string.ascii_lowercase


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Time the inference or training step of a text SR '
        'model; prints one JSON line')
    parser.add_argument('config', help='model config file')
    parser.add_argument(
        '--checkpoint', help='weights to load (default: random weights)')
    parser.add_argument('--mode', choices=('infer', 'train'), required=True)
    parser.add_argument('--batch-size', type=int, required=True)
    parser.add_argument('--device', choices=('cpu', 'cuda'), default='cpu')
    parser.add_argument(
        '--amp',
        choices=('off', ) + tuple(AMP_DTYPES),
        default='off',
        help='autocast dtype (training on CUDA goes through mmengine\'s '
        'AmpOptimWrapper)')
    parser.add_argument(
        '--compile',
        action='store_true',
        help='torch.compile the step function, as mmengine\'s runner does '
        'with `compile=True`')
    parser.add_argument(
        '--iters', type=int, default=10, help='timed iterations')
    parser.add_argument(
        '--warmup', type=int, default=3, help='untimed iterations first')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. model.num_blocks=2')
    return parser.parse_args()


def input_geometry(model_cfg: dict) -> Tuple[int, Tuple[int, int], int]:
    """Read (channels, (h, w) of the LR input, scale factor) from a model
    config (or from its ``generator``), defaulting to TextZoom's 4,
    (16, 64) and 2."""
    model_cfg = model_cfg.get('generator') or model_cfg
    channels = model_cfg.get('in_channels', model_cfg.get('in_chans', 4))
    lr_hw = model_cfg.get('lr_hw', model_cfg.get('img_size', (16, 64)))
    scale = model_cfg.get('scale_factor', model_cfg.get('upscale', 2))
    return int(channels), (int(lr_hw[0]), int(lr_hw[1])), int(scale)


def random_batch(batch_size: int, channels: int, lr_hw: Tuple[int, int],
                 scale: int, device: torch.device,
                 generator: torch.Generator) -> dict:
    """A collated batch as the data preprocessor receives it.

    Returns:
        dict: ``inputs`` (N, C, h, w) float in [0, 1] and ``data_samples``
        (``TextSRDataSample`` with ``gt_img`` (C, h * s, w * s) and
        ``gt_text``), all on ``device``.
    """
    from stisr_mmocr.structures import TextSRDataSample
    h, w = lr_hw
    inputs = torch.rand(
        batch_size, channels, h, w, generator=generator).to(device)
    hr = torch.rand(
        batch_size, channels, h * scale, w * scale,
        generator=generator).to(device)
    lengths = torch.randint(3, 12, (batch_size, ), generator=generator)
    samples = []
    for img, length in zip(hr, lengths.tolist()):
        idx = torch.randint(len(WORD_CHARS), (length, ), generator=generator)
        sample = TextSRDataSample(metainfo=dict(img_shape=(h, w)))
        sample.gt_img = img
        sample.gt_text = LabelData(item=''.join(WORD_CHARS[i] for i in idx))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def make_step(model: torch.nn.Module, cfg: Config, mode: str,
              device: torch.device, amp: str) -> Callable[[dict], object]:
    """The function one iteration calls: ``test_step`` or ``train_step``
    (with the config's optimizer wrapper), under autocast when asked."""
    dtype = AMP_DTYPES.get(amp)
    if mode == 'infer':
        model.eval()

        def infer(data: dict) -> object:
            with torch.no_grad(), torch.autocast(
                    device.type, dtype=dtype, enabled=dtype is not None):
                return model.test_step(data)

        return infer

    if 'optim_wrapper' not in cfg:
        raise KeyError(f'config {cfg.filename} has no `optim_wrapper`: '
                       'train mode needs one')
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    cpu_autocast = False
    if dtype is not None and device.type == 'cuda':
        optim_cfg.type = 'AmpOptimWrapper'
        optim_cfg.dtype = dtype
        optim_cfg.setdefault('loss_scale', 'dynamic')
    elif dtype is torch.float16:
        raise ValueError('--amp fp16 training needs a loss scaler, which '
                         'mmengine\'s AmpOptimWrapper offers on CUDA only; '
                         'use --amp bf16 on the CPU')
    elif dtype is not None:
        cpu_autocast = True
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
    model.train()

    def train(data: dict) -> object:
        with torch.autocast('cpu', dtype=dtype, enabled=cpu_autocast):
            return model.train_step(data, optim_wrapper)

    return train


def time_steps(step: Callable[[dict], object],
               data: dict,
               device: torch.device,
               iters: int,
               warmup: int,
               clock: Callable[[], float] = time.perf_counter) -> List[float]:
    """Run ``warmup`` then ``iters`` steps; seconds of each timed step, as
    differences of ``clock`` readings taken around it."""
    cuda = device.type == 'cuda'
    for _ in range(warmup):
        step(data)
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    times = []
    for _ in range(iters):
        start = clock()
        step(data)
        if cuda:
            torch.cuda.synchronize(device)
        times.append(clock() - start)
    return times


def throughput(times: List[float], batch_size: int) -> Dict[str, float]:
    """``ms_per_batch``: the median step time in milliseconds (2
    decimals); ``img_per_s``: the batch size divided by that median (4
    significant digits)."""
    median = statistics.median(times)
    return {
        'img_per_s': float(f'{batch_size / median:.4g}'),
        'ms_per_batch': round(median * 1e3, 2),
    }


def benchmark(cfg: Config,
              mode: str,
              batch_size: int,
              device: str = 'cpu',
              amp: str = 'off',
              compile_step: bool = False,
              iters: int = 10,
              warmup: int = 3,
              checkpoint: Optional[str] = None,
              seed: int = 0,
              clock: Callable[[], float] = time.perf_counter
              ) -> Dict[str, object]:
    """Build the model of ``cfg`` and time its inference or training step.

    Args:
        cfg (Config): A config with ``model`` (and ``optim_wrapper`` for
            ``mode='train'``).
        mode (str): 'infer' or 'train'.
        batch_size (int): Images per step.
        device (str): 'cpu' or 'cuda'.
        amp (str): 'off', 'bf16' or 'fp16'.
        compile_step (bool): ``torch.compile`` the step function.
        iters (int): Timed iterations.
        warmup (int): Untimed iterations before them.
        checkpoint (str, optional): Weights to load strictly; None keeps
            the weights the modules are constructed with (``init_weights``,
            which may load pretrained parts named in the config, is not
            called).
        seed (int): Seed of the weights and the random batch.
        clock (callable): Seconds counter read around each timed step.

    Returns:
        dict: The figures printed by the command line.
    """
    import stisr_mmocr  # noqa: F401  (registers the models)
    from mmocr.registry import MODELS
    from stisr_mmocr.engine import load_checkpoint_strictly
    if mode not in ('infer', 'train'):
        raise ValueError(f'mode must be infer or train, got {mode!r}')
    if batch_size < 1 or iters < 1 or warmup < 0:
        raise ValueError('batch_size and iters must be positive, warmup '
                         'non-negative')
    if amp != 'off' and amp not in AMP_DTYPES:
        raise ValueError(f'amp must be off, bf16 or fp16, got {amp!r}')
    dev = torch.device(device)
    if dev.type == 'cuda' and not torch.cuda.is_available():
        raise RuntimeError('--device cuda asked for, but torch sees no GPU')
    init_default_scope(cfg.get('default_scope', 'mmocr'))
    torch.manual_seed(seed)
    model = MODELS.build(copy.deepcopy(cfg.model))
    if checkpoint:
        load_checkpoint_strictly(model, checkpoint)
    model.to(dev)
    step = make_step(model, cfg, mode, dev, amp)
    if compile_step:
        name = 'test_step' if mode == 'infer' else 'train_step'
        setattr(model, name, torch.compile(getattr(model, name)))
    channels, lr_hw, scale = input_geometry(cfg.model)
    data = random_batch(batch_size, channels, lr_hw, scale, dev,
                        torch.Generator().manual_seed(seed))
    times = time_steps(step, data, dev, iters, warmup, clock)
    return {
        'config': cfg.filename,
        'mode': mode,
        'batch_size': batch_size,
        **throughput(times, batch_size),
        'peak_mem_mib': (round(torch.cuda.max_memory_allocated(dev) / 2**20,
                               1) if dev.type == 'cuda' else None),
        'device': (torch.cuda.get_device_name(dev)
                   if dev.type == 'cuda' else 'cpu'),
        'threads': torch.get_num_threads(),
        'amp': amp,
        'compile': compile_step,
        'iters': iters,
        'warmup': warmup,
        'params_m': round(sum(p.numel() for p in model.parameters()) / 1e6,
                          3),
        'torch': torch.__version__,
    }


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    # Library logs go to stderr so that stdout holds the JSON line only.
    with contextlib.redirect_stdout(sys.stderr):
        result = benchmark(
            cfg,
            args.mode,
            args.batch_size,
            device=args.device,
            amp=args.amp,
            compile_step=args.compile,
            iters=args.iters,
            warmup=args.warmup,
            checkpoint=args.checkpoint)
    print(json.dumps(result))


if __name__ == '__main__':
    main()
