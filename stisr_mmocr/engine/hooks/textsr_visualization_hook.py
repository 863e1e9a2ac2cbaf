import os.path as osp
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.runner import Runner
from mmengine.visualization import Visualizer
from mmocr.registry import HOOKS

from stisr_mmocr.structures import TextSRDataSample
from stisr_mmocr.visualization import TextSRLocalVisualizer, to_uint8_rgb


def sample_name(sample: TextSRDataSample, fallback: str) -> str:
    """A file stem for a sample: the image file's stem, else
    ``<LMDB folder>_<index>``, else ``fallback``."""
    if sample.get('img_path'):
        return osp.splitext(osp.basename(sample.img_path))[0]
    if sample.get('lmdb_path') and sample.get('sample_idx') is not None:
        return f"{osp.basename(osp.normpath(sample.lmdb_path))}_" \
               f'{sample.sample_idx:09d}'
    return fallback


@HOOKS.register_module()
class TextSRVisualizationHook(Hook):
    """Draw LR | SR | HR pictures with :class:`TextSRLocalVisualizer`.

    The LR panel is the packed model input of the batch (LMDB items have no
    image file to read back, unlike MMOCR's ``VisualizationHook``). In test,
    every sample is drawn; in validation, the first sample of every
    ``interval``-th batch. ``tools/test.py --show-dir DIR`` enables it and
    sets ``show_dir``.

    Args:
        enable (bool): Draw at all. Defaults to False.
        interval (int): Validation batch interval. Defaults to 50.
        show_dir (str, optional): Folder for the PNGs, relative to the run's
            ``<work_dir>/<timestamp>``. None: only the visualizer's
            backends receive the pictures.
        show (bool): Display each picture. Defaults to False.
        wait_time (float): Display time in seconds. Defaults to 0.
        draw_gt (bool): Draw the HR panel and the ground truth.
        draw_pred (bool): Draw the SR panel and the texts read.
    """

    def __init__(self,
                 enable: bool = False,
                 interval: int = 50,
                 show_dir: Optional[str] = None,
                 show: bool = False,
                 wait_time: float = 0.,
                 draw_gt: bool = True,
                 draw_pred: bool = True) -> None:
        self.enable = enable
        self.interval = interval
        self.show_dir = show_dir
        self.show = show
        self.wait_time = wait_time
        self.draw_gt = draw_gt
        self.draw_pred = draw_pred
        self._out_dir: Optional[str] = None

    def before_run(self, runner: Runner) -> None:
        if not self.enable:
            return
        if not isinstance(Visualizer.get_current_instance(),
                          TextSRLocalVisualizer):
            raise TypeError('TextSRVisualizationHook needs `visualizer = dict('
                            "type='TextSRLocalVisualizer')` in the config")
        if self.show_dir is not None:
            self._out_dir = osp.join(runner.work_dir, runner.timestamp,
                                     self.show_dir)

    def _draw(self, data_batch: dict, outputs: Sequence[TextSRDataSample],
              indices: Sequence[int], step: int, prefix: str) -> None:
        visualizer = Visualizer.get_current_instance()
        for i in indices:
            name = sample_name(outputs[i], f'{prefix}_{step}_{i}')
            out_file = None if self._out_dir is None else osp.join(
                self._out_dir, f'{name}.png')
            visualizer.add_datasample(
                name,
                to_uint8_rgb(data_batch['inputs'][i]),
                outputs[i],
                draw_gt=self.draw_gt,
                draw_pred=self.draw_pred,
                show=self.show,
                wait_time=self.wait_time,
                out_file=out_file,
                step=step)

    def after_val_iter(self, runner: Runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence[TextSRDataSample]) -> None:
        if self.enable and batch_idx % self.interval == 0:
            self._draw(data_batch, outputs, [0], runner.iter + batch_idx,
                       'val')

    def after_test_iter(self, runner: Runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence[TextSRDataSample]) -> None:
        if self.enable:
            self._draw(data_batch, outputs, range(len(outputs)), batch_idx,
                       'test')
