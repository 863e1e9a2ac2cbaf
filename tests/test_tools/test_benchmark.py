"""tools/analysis_tools/benchmark.py.

The figures are checked against numbers worked out by hand: step times
come from a clock that reads out a fixed list of seconds (so the median,
the milliseconds and the throughput are known in advance), and the
parameter counts from the layer sizes. The real models and steps run on
small batches; speed itself is never checked.
"""
import json
import os
import os.path as osp
import subprocess
import sys
from typing import Callable, List

import pytest
import torch
from mmengine.config import Config

from tools.analysis_tools.benchmark import (benchmark, input_geometry,
                                            random_batch, throughput,
                                            time_steps)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TSRN = 'configs/tsrn/tsrn_textzoom.py'
SMALL_TSRN = {'model.num_blocks': 1, 'model.hidden_channels': 16}
KEYS = {
    'config', 'mode', 'batch_size', 'img_per_s', 'ms_per_batch',
    'peak_mem_mib', 'device', 'threads', 'amp', 'compile', 'iters', 'warmup',
    'params_m', 'torch'
}


def load(config: str, options: dict = None) -> Config:
    cfg = Config.fromfile(osp.join(ROOT, config))
    if options:
        cfg.merge_from_dict(options)
    return cfg


def scripted_clock(readings: List[float]) -> Callable[[], float]:
    """A clock that returns ``readings`` one after the other and fails when
    read more often."""
    readings = iter(readings)

    def clock() -> float:
        value = next(readings, None)
        assert value is not None, 'clock read more often than expected'
        return value

    clock.left = readings
    return clock


def check_result(result: dict, mode: str, batch_size: int) -> None:
    """What holds for any run on the CPU (the timings are checked with a
    scripted clock elsewhere)."""
    assert set(result) == KEYS
    assert result['mode'] == mode and result['batch_size'] == batch_size
    assert result['ms_per_batch'] > 0 and result['img_per_s'] > 0
    assert result['device'] == 'cpu' and result['peak_mem_mib'] is None
    assert result['torch'] == torch.__version__
    assert result['threads'] == torch.get_num_threads()


# Parameters of TSRN without STN, 4 input channels, scale 2, hidden width
# C = 64, counted layer by layer (a conv k x k from a to b: a*b*k*k + b;
# BN: 2C; PReLU: 1; a BiGRU of input C and hidden C/2 per direction:
# 3(C/2)C + 3(C/2)(C/2) + 2*3(C/2) = 6144 + 3072 + 192 = 9408 (x2)):
#   head conv 9x9 4->64 + PReLU         20,736 + 64 + 1       =  20,801
#   residual block: 2 x (conv 3x3 64->64 + BN) = 2 x (36,928 + 128)
#     + 2 x GRU block (1x1 conv 4,160 + BiGRU 18,816)         = 120,064
#   tail conv 3x3 64->64 + BN           36,928 + 128          =  37,056
#   upsample conv 3x3 64->256           147,456 + 256         = 147,712
#   last conv 9x9 64->4                 20,736 + 4            =  20,740
# one block: 346,373 -> 0.346 M; two blocks: 466,437 -> 0.466 M.
TSRN_PARAMS_M = {1: 0.346, 2: 0.466}


def test_time_steps_times_only_the_timed_steps():
    """2 warm-up steps unclocked, then each of 3 steps between two clock
    readings; the times are the differences of those readings."""
    events = []
    readings = [10.0, 10.5, 20.0, 20.25, 30.0, 31.0]
    clock = scripted_clock(readings)

    def step(data):
        assert data == {'batch': 1}
        events.append('step')

    def read():
        events.append('clock')
        return clock()

    times = time_steps(
        step, {'batch': 1}, torch.device('cpu'), iters=3, warmup=2,
        clock=read)
    assert times == [0.5, 0.25, 1.0]
    assert events == ['step', 'step'] + ['clock', 'step', 'clock'] * 3
    assert next(clock.left, None) is None


@pytest.mark.parametrize('times,batch_size,img_per_s,ms_per_batch', [
    # median of an odd count: the middle value 0.020 s -> 20 ms, 4 / 0.02
    ([0.030, 0.010, 0.020], 4, 200.0, 20.0),
    # even count: mean of the two middle values (0.02 + 0.03) / 2
    ([0.050, 0.010, 0.030, 0.020], 2, 80.0, 25.0),
    # 3 / 0.007 = 428.571... -> 4 significant digits; 7 ms
    ([0.007], 3, 428.6, 7.0),
    # 12.3456 ms -> 12.35; 16 / 0.0123456 = 1296.008... -> 1296
    ([0.0123456, 5.0, 0.001], 16, 1296.0, 12.35),
    # 2.5 s -> 2500 ms; 1 / 2.5 = 0.4
    ([2.5], 1, 0.4, 2500.0),
])
def test_throughput_from_known_times(times, batch_size, img_per_s,
                                     ms_per_batch):
    assert throughput(times, batch_size) == {
        'img_per_s': img_per_s,
        'ms_per_batch': ms_per_batch
    }


@pytest.mark.parametrize('mode', ['infer', 'train'])
def test_benchmark_reports_the_median_timed_step(mode):
    """The model's real step runs 1 + 3 times; the clock says the timed
    steps took 10, 50 and 20 ms: the median is 20 ms (the mean would be
    26.67), i.e. 100 images/s at batch 2, and the warm-up is not timed."""
    cfg = load(TSRN, SMALL_TSRN)
    clock = scripted_clock([1.0, 1.010, 2.0, 2.050, 3.0, 3.020])
    result = benchmark(cfg, mode, 2, iters=3, warmup=1, clock=clock)
    assert next(clock.left, None) is None
    check_result(result, mode, 2)
    assert result['ms_per_batch'] == 20.0
    assert result['img_per_s'] == 100.0
    assert result['iters'] == 3 and result['warmup'] == 1


@pytest.mark.parametrize('num_blocks', [1, 2])
def test_params_counted_by_hand(num_blocks):
    cfg = load(TSRN, {
        'model.num_blocks': num_blocks,
        'model.use_stn': False
    })
    result = benchmark(cfg, 'infer', 1, iters=1, warmup=0)
    assert result['params_m'] == TSRN_PARAMS_M[num_blocks]


def test_cli_prints_one_json_line():
    proc = subprocess.run(
        [
            sys.executable, 'tools/analysis_tools/benchmark.py', TSRN,
            '--mode', 'train', '--batch-size', '2', '--iters', '2',
            '--warmup', '1', '--cfg-options'
        ] + [f'{k}={v}' for k, v in SMALL_TSRN.items()],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT),
        capture_output=True,
        text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout
    result = json.loads(lines[0])
    check_result(result, 'train', 2)
    assert result['iters'] == 2 and result['warmup'] == 1
    assert result['config'].endswith(TSRN)
    assert result['amp'] == 'off' and result['compile'] is False


@pytest.mark.parametrize('config,options', [
    (TSRN, SMALL_TSRN),
    ('configs/stirer/stirer_stage1_synth-mjst.py', {
        'model.generator.depths': (1, ),
        'model.generator.num_heads': (6, ),
        'model.generator.rec_head': dict(rec_embed_dim=96, rec_depth=1,
                                         rec_num_heads=3),
        'model.generator.decoder': dict(num_layers=1, num_decoder_layers=1),
    }),
    ('configs/c3stisr/c3stisr_textzoom.py', {
        'model.generator.num_blocks': 1,
        'model.clue_generator.linguistic.language_model.n_layers': 1,
        'model.clue_generator.linguistic.language_model.checkpoint': None,
        'model.recognizer_checkpoint': None,
    }),
])
@pytest.mark.parametrize('mode', ['infer', 'train'])
def test_models_both_modes(config, options, mode):
    """Every model family runs its real inference and training step."""
    cfg = load(config, options)
    result = benchmark(cfg, mode, 2, iters=1, warmup=1)
    check_result(result, mode, 2)


def test_bf16_autocast_on_cpu():
    cfg = load(TSRN, SMALL_TSRN)
    for mode in ('infer', 'train'):
        result = benchmark(cfg, mode, 2, amp='bf16', iters=1, warmup=0)
        check_result(result, mode, 2)
        assert result['amp'] == 'bf16'


def test_errors_name_the_problem():
    cfg = load(TSRN, SMALL_TSRN)
    with pytest.raises(ValueError, match='fp16 training'):
        benchmark(cfg, 'train', 2, amp='fp16', iters=1, warmup=0)
    with pytest.raises(ValueError, match='mode'):
        benchmark(cfg, 'eval', 2)
    bicubic = load('configs/bicubic/bicubic_textzoom.py')
    with pytest.raises(KeyError, match='optim_wrapper'):
        benchmark(bicubic, 'train', 2, iters=1, warmup=0)
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match='GPU'):
            benchmark(cfg, 'infer', 2, device='cuda')


def test_batch_follows_the_config():
    stirer = load('configs/stirer/stirer_stage1_synth-mjst.py')
    assert input_geometry(stirer.model) == (4, (16, 64), 2)
    assert input_geometry(dict(type='Bicubic')) == (4, (16, 64), 2)
    assert input_geometry(
        dict(type='STIRER',
             generator=dict(in_chans=3, img_size=(8, 16),
                            upscale=4))) == (3, (8, 16), 4)
    tsrn = input_geometry(
        dict(in_channels=3, lr_hw=(8, 32), scale_factor=4))
    assert tsrn == (3, (8, 32), 4)
    data = random_batch(3, *tsrn, torch.device('cpu'),
                        torch.Generator().manual_seed(0))
    assert data['inputs'].shape == (3, 3, 8, 32)
    assert 0 <= data['inputs'].min() and data['inputs'].max() <= 1
    for sample in data['data_samples']:
        assert sample.gt_img.shape == (3, 32, 128)
        text = sample.gt_text.item
        assert 3 <= len(text) <= 11 and text.isalnum() and text == text.lower()
