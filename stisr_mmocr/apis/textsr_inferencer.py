import os.path as osp
from datetime import datetime
from typing import Dict, List, Optional, Sequence, Tuple, Union

import mmcv
import mmengine
import numpy as np
import torch.nn as nn
from mmengine.dataset import Compose, pseudo_collate
from mmengine.infer import BaseInferencer
from mmengine.logging import print_log
from mmengine.registry import init_default_scope
from mmocr.registry import TRANSFORMS, VISUALIZERS
from rich.progress import track

from stisr_mmocr.engine import load_pretrained
from stisr_mmocr.structures import TextSRDataSample
from stisr_mmocr.utils import rgb_to_bgr
from stisr_mmocr.visualization import TextSRLocalVisualizer, to_uint8_rgb

InputType = Union[str, np.ndarray]
InputsType = Union[InputType, Sequence[InputType]]


def find_pipeline(dataset: Optional[dict]) -> List[dict]:
    """The pipeline of a dataset config, looking into wrapped datasets
    (``ConcatDataset``); [] when there is none."""
    if not dataset:
        return []
    if dataset.get('pipeline'):
        return list(dataset['pipeline'])
    for inner in dataset.get('datasets', []):
        found = find_pipeline(inner)
        if found:
            return found
    return find_pipeline(dataset.get('dataset'))


class TextSRInferencer(BaseInferencer):
    """Super-resolve users' text crops and, with a cascade, read them.

    Inputs of any size are resized (bicubic) to the model's LR size, with the
    mask channel when the model takes one; the original size is kept in the
    results. A file that cannot be read is reported by name and skipped; the
    others are still processed.

    Args:
        model (str | dict): Config file (or config dict) of an SR model or
            of an :class:`SRRecognizerCascade`.
        weights (str, optional): Checkpoint of the whole model. None keeps
            the weights the config loads (e.g. ``generator_checkpoint``) or has.
        device (str, optional): Device; None picks one.
        lr_hw (tuple[int, int], optional): (H, W) of the LR input. Defaults
            to the ``lr_hw`` of the ``ResizeLRHR`` in the config's test
            pipeline, else (16, 64).
        mask (bool, optional): Add the binary mask channel. Defaults to
            whether the config's test pipeline has ``AddMaskChannel``, else
            True.
    """

    def __init__(self,
                 model: Union[str, dict],
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 lr_hw: Optional[Tuple[int, int]] = None,
                 mask: Optional[bool] = None) -> None:
        self.lr_hw = None if lr_hw is None else tuple(lr_hw)
        self.mask = mask
        init_default_scope('mmocr')
        super().__init__(
            model=model, weights=weights, device=device, scope='mmocr')

    def _init_pipeline(self, cfg: mmengine.Config) -> Compose:
        """Loader -> LR image -> resize -> (mask) -> pack."""
        test = find_pipeline((cfg.get('test_dataloader') or {}).get('dataset'))
        resize = [t for t in test if t['type'] == 'ResizeLRHR']
        if self.lr_hw is None:
            self.lr_hw = TRANSFORMS.build(resize[0]).lr_hw \
                if resize else (16, 64)
        if self.mask is None:
            self.mask = not test or any(t['type'] == 'AddMaskChannel'
                                        for t in test)
        pipeline = [
            dict(type='InferencerLoader'),
            dict(type='RecogImgToLR'),
            dict(type='ResizeLRHR', lr_hw=self.lr_hw),
        ]
        if self.mask:
            pipeline.append(dict(type='AddMaskChannel'))
        pipeline.append(
            dict(
                type='PackTextSRInputs',
                meta_keys=('img_path', 'ori_shape_lr')))
        return Compose(pipeline)

    def _init_collate(self, cfg: mmengine.Config):
        """Packed samples are batched as lists, as mmengine does."""
        return pseudo_collate

    def _init_visualizer(self, cfg: mmengine.Config) -> TextSRLocalVisualizer:
        """The config's ``TextSRLocalVisualizer`` (judges included) without
        its storage backends, or a default one."""
        vis_cfg = dict(cfg.get('visualizer') or {})
        if vis_cfg.get('type') != 'TextSRLocalVisualizer':
            vis_cfg = dict(type='TextSRLocalVisualizer')
        vis_cfg.update(
            name=f'textsr_inferencer_{datetime.now().timestamp()}',
            vis_backends=None,
            save_dir=None)
        return VISUALIZERS.build(vis_cfg)

    def _load_weights_to_model(self, model: nn.Module,
                               checkpoint: Optional[dict],
                               cfg: Optional[mmengine.Config]) -> None:
        """Load ``weights`` when given; otherwise the weights the config
        names: its pretrained ``init_cfg`` entries (e.g. STIRER's network)
        and the parts models load when built (no random-weights warning:
        Bicubic has none, cascades load their parts)."""
        if checkpoint is not None:
            super()._load_weights_to_model(model, checkpoint, cfg)
        else:
            load_pretrained(model)

    def _inputs_to_list(self, inputs: InputsType) -> list:
        """A folder -> its files, sorted; a single input -> [input]."""
        if isinstance(inputs, str) and osp.isdir(inputs):
            return [
                osp.join(inputs, f) for f in sorted(
                    mmengine.list_dir_or_file(inputs, list_dir=False))
            ]
        return list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]

    def preprocess(self, inputs: list, batch_size: int = 8, **kwargs):
        """Yield ``(names, batch, failures)`` per chunk of ``batch_size``
        inputs; ``failures`` lists ``(name, error)`` of unreadable ones."""
        for start in range(0, len(inputs), batch_size):
            names, packed, failures = [], [], []
            for i, item in enumerate(inputs[start:start + batch_size], start):
                name = item if isinstance(item, str) else f'array_{i}'
                try:
                    packed.append(self.pipeline(item))
                except Exception as e:  # any unreadable input is skipped
                    failures.append((name, f'{type(e).__name__}: {e}'))
                    continue
                names.append(name)
            yield names, self.collate_fn(packed) if packed else None, failures

    def visualize(self, data: dict, preds: List[TextSRDataSample],
                  names: List[str], vis_dir: str) -> None:
        """Write one LR | SR picture (with texts) per input into
        ``vis_dir``."""
        for inputs, pred, name in zip(data['inputs'], preds, names):
            stem = osp.splitext(osp.basename(name))[0]
            self.visualizer.add_datasample(
                stem,
                to_uint8_rgb(inputs),
                pred,
                draw_gt=False,
                out_file=osp.join(vis_dir, f'{stem}.png'))

    def postprocess(self, preds: List[TextSRDataSample], names: List[str],
                    sr_dir: Optional[str]) -> List[dict]:
        """JSON-ready results; SR images are written into ``sr_dir``.

        Returns:
            list[dict]: Per input: ``input``, ``ori_shape`` (H, W),
            ``aspect_ratio`` (W / H of the original), ``sr_shape``, and
            ``sr_image`` (file) when saved, ``text`` and ``score`` (mean
            character score) when the model reads text.
        """
        results = []
        for pred, name in zip(preds, names):
            h, w = pred.ori_shape_lr
            result = dict(input=name, ori_shape=[h, w], aspect_ratio=w / h)
            if 'pred_img' in pred:
                sr = to_uint8_rgb(pred.pred_img)
                result['sr_shape'] = list(sr.shape[:2])
                if sr_dir:
                    stem = osp.splitext(osp.basename(name))[0]
                    result['sr_image'] = osp.join(sr_dir, f'{stem}.png')
                    mmcv.imwrite(rgb_to_bgr(sr), result['sr_image'])
            if 'pred_text' in pred:
                scores = pred.pred_text.get('score', [])
                result['text'] = pred.pred_text.item
                result['score'] = float(np.mean(scores)) if len(scores) else 0.
            results.append(result)
        return results

    def __call__(self,
                 inputs: InputsType,
                 batch_size: int = 8,
                 out_dir: Optional[str] = None,
                 save_vis: bool = True,
                 progress_bar: bool = True) -> Dict[str, list]:
        """Run on image paths, a folder or BGR arrays (as MMOCR's
        inferencers take them).

        Args:
            inputs (str | np.ndarray | Sequence): Inputs.
            batch_size (int): Inference batch size. Defaults to 8.
            out_dir (str, optional): Writes ``sr/<name>.png``,
                ``vis/<name>.png`` (with ``save_vis``) and ``results.json``.
            save_vis (bool): Write pictures. Defaults to True.
            progress_bar (bool): Show a progress bar. Defaults to True.

        Returns:
            dict: ``predictions`` (see :meth:`postprocess`) and ``failed``
            (``input`` and ``error`` of each skipped input).
        """
        items = self._inputs_to_list(inputs)
        sr_dir = osp.join(out_dir, 'sr') if out_dir else None
        vis_dir = osp.join(out_dir, 'vis') if out_dir and save_vis else None
        predictions, failed = [], []
        chunks = self.preprocess(items, batch_size)
        total = -(-len(items) // batch_size)
        for names, data, failures in track(
                chunks,
                total=total,
                description='Inference',
                disable=not progress_bar):
            for name, error in failures:
                print_log(f'skipped {name}: {error}', 'current', 30)
                failed.append(dict(input=name, error=error))
            if data is None:
                continue
            preds = self.forward(data)
            if vis_dir:
                self.visualize(data, preds, names, vis_dir)
            predictions += self.postprocess(preds, names, sr_dir)
        print_log(
            f'{len(predictions)} of {len(items)} inputs processed, '
            f'{len(failed)} skipped' +
            (': ' + ', '.join(f['input'] for f in failed) if failed else ''),
            'current')
        results = dict(predictions=predictions, failed=failed)
        if out_dir:
            mmengine.dump(
                dict(lr_hw=list(self.lr_hw), mask=self.mask, **results),
                osp.join(out_dir, 'results.json'),
                indent=2)
        return results
