"""tools/analysis_tools/benchmark.py: the real models and steps on small
batches; figures are checked for shape and sense, never for speed."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

from tools.analysis_tools.benchmark import (benchmark, input_geometry,
                                            random_batch)

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


def check_figures(result: dict, mode: str, batch_size: int) -> None:
    assert set(result) == KEYS
    assert result['mode'] == mode and result['batch_size'] == batch_size
    assert result['ms_per_batch'] > 0
    assert result['img_per_s'] == pytest.approx(
        batch_size / result['ms_per_batch'] * 1e3, rel=0.01)
    assert result['device'] == 'cpu' and result['peak_mem_mib'] is None
    assert result['torch'] == torch.__version__
    assert result['params_m'] >= 0


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
    check_figures(result, 'train', 2)
    assert result['iters'] == 2 and result['warmup'] == 1
    assert result['config'].endswith(TSRN)


@pytest.mark.parametrize('config,options', [
    (TSRN, SMALL_TSRN),
    ('configs/stirer/stirer_stage1_synth-mjst.py', {
        'model.depths': (1, ),
        'model.num_heads': (6, ),
        'model.rec_head': dict(rec_embed_dim=96, rec_depth=1,
                               rec_num_heads=3),
        'model.decoder': dict(num_layers=1, num_decoder_layers=1),
    }),
    ('configs/c3stisr/c3stisr_textzoom.py', {
        'model.backbone.num_blocks': 1,
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
    check_figures(result, mode, 2)


def test_bf16_autocast_on_cpu():
    cfg = load(TSRN, SMALL_TSRN)
    for mode in ('infer', 'train'):
        result = benchmark(cfg, mode, 2, amp='bf16', iters=1, warmup=0)
        check_figures(result, mode, 2)
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
    tsrn = input_geometry(
        dict(in_channels=3, lr_size=(8, 32), scale_factor=4))
    data = random_batch(3, *tsrn, torch.device('cpu'),
                        torch.Generator().manual_seed(0))
    assert data['inputs'].shape == (3, 3, 8, 32)
    assert 0 <= data['inputs'].min() and data['inputs'].max() <= 1
    for sample in data['data_samples']:
        assert sample.gt_img.shape == (3, 32, 128)
        text = sample.gt_text.item
        assert 3 <= len(text) <= 11 and text.isalnum() and text == text.lower()
