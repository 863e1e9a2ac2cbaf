import difflib
from typing import Dict, List, Optional, Tuple

import cv2
import mmcv
import numpy as np
import torch
import torch.nn as nn
from mmocr.registry import MODELS, VISUALIZERS
from mmocr.visualization import BaseLocalVisualizer
from PIL import Image, ImageDraw, ImageFont

from stisr_mmocr.structures import TextSRDataSample
from stisr_mmocr.utils import gray_to_rgb, rgb_to_bgr

_RIGHT = (0, 140, 0)
_WRONG = (220, 0, 0)
_LABEL = (60, 60, 60)


def mark_errors(pred: str, gt: str, ignore_case: bool = True) -> List[bool]:
    """Which characters of a prediction agree with the ground truth.

    The two strings are aligned with :class:`difflib.SequenceMatcher`; a
    predicted character is right when it falls in a matching block.

    Args:
        pred (str): Predicted text.
        gt (str): Ground-truth text.
        ignore_case (bool): Compare case-insensitively. Defaults to True.

    Returns:
        list[bool]: One flag per character of ``pred``, True when right.
    """
    a, b = (pred.lower(), gt.lower()) if ignore_case else (pred, gt)
    right = [False] * len(pred)
    for block in difflib.SequenceMatcher(
            None, a, b, autojunk=False).get_matching_blocks():
        right[block.a:block.a + block.size] = [True] * block.size
    return right


def to_uint8_rgb(img: torch.Tensor) -> np.ndarray:
    """(C, H, W) image, ``uint8`` or float in [0, 1] -> (H, W, 3) ``uint8``
    RGB (channels after the third, e.g. the mask, dropped)."""
    rgb = img[:3].detach()
    if rgb.dtype != torch.uint8:
        rgb = rgb.float().clamp(0, 1).mul(255).round().byte()
    return rgb.permute(1, 2, 0).cpu().numpy()


@VISUALIZERS.register_module()
class TextSRLocalVisualizer(BaseLocalVisualizer):
    """Draw LR | SR | HR side by side with what judges read on each panel.

    Every panel is drawn at ``zoom`` x the SR size (the LR by nearest
    neighbour), titled, with one line per judge below it (``name: text``,
    wrong characters in red, right ones in green) and, under the SR panel,
    the sample's own ``pred_text`` (``rec``); the ground truth closes the
    picture. Missing panels (no SR model, no HR) are left out.

    Layout, with ``m = margin``, ``l = font_size + 6`` (line height),
    ``(h, w)`` the zoomed panel size, ``k`` panels and ``r`` text lines:
    the canvas is ``(2m + l + h + r * l + l, m + k * (w + m))``; panel ``i``
    has its top-left corner at ``(m + l, m + i * (w + m))``.

    Args:
        name (str): Instance name. Defaults to 'visualizer'.
        judges (dict[str, dict], optional): Judge name -> judge config (e.g.
            ``TextRecogJudge``), built on first use.
        zoom (int): Panel magnification. Defaults to 2.
        font_size (int): Text size in pixels. Defaults to 14.
        margin (int): Gap around panels in pixels. Defaults to 6.
        ignore_case (bool): Compare case-insensitively when marking wrong
            characters. Defaults to True.
        **kwargs: :class:`BaseLocalVisualizer` arguments (``vis_backends``,
            ``save_dir``, ...).
    """

    def __init__(self,
                 name: str = 'visualizer',
                 judges: Optional[Dict[str, dict]] = None,
                 zoom: int = 2,
                 font_size: int = 14,
                 margin: int = 6,
                 ignore_case: bool = True,
                 **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.judge_cfgs = dict(judges or {})
        self._judges: Optional[nn.ModuleDict] = None
        self.zoom = zoom
        self.font = ImageFont.load_default(size=font_size)
        self.line_height = font_size + 6
        self.margin = margin
        self.ignore_case = ignore_case

    @property
    def judges(self) -> nn.ModuleDict:
        """The judges, built on first use."""
        if self._judges is None:
            self._judges = nn.ModuleDict({
                k: MODELS.build(v)
                for k, v in self.judge_cfgs.items()
            })
        return self._judges

    def _panels(self, lr: np.ndarray, sample: Optional[TextSRDataSample]
                ) -> List[Tuple[str, np.ndarray]]:
        """(title, RGB ``uint8`` image) of each panel at its own size."""
        panels = [('LR', lr[..., :3])]
        for title, key in (('SR', 'pred_img'), ('HR', 'gt_img')):
            if sample is not None and key in sample:
                panels.append((title, to_uint8_rgb(sample.get(key))))
        return panels

    def _read(self, img: np.ndarray) -> Dict[str, str]:
        """Judge name -> text read on an RGB ``uint8`` image."""
        if not self.judge_cfgs:
            return {}
        x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255.
        return {
            name: judge(x)[0].pred_text.item
            for name, judge in self.judges.items()
        }

    def _draw_text(self, draw: ImageDraw.ImageDraw, xy: Tuple[int, int],
                   label: str, text: str, gt: Optional[str]) -> None:
        """Draw ``label`` then ``text``, each character coloured by whether
        it agrees with ``gt`` (plain when ``gt`` is None)."""
        x, y = xy
        draw.text((x, y), label, fill=_LABEL, font=self.font)
        x += draw.textlength(label, font=self.font)
        flags = mark_errors(text, gt, self.ignore_case) if gt is not None \
            else [None] * len(text)
        for char, right in zip(text, flags):
            color = _LABEL if right is None else _RIGHT if right else _WRONG
            draw.text((x, y), char, fill=color, font=self.font)
            x += draw.textlength(char, font=self.font)

    def draw_panels(self,
                    lr: np.ndarray,
                    data_sample: Optional[TextSRDataSample] = None,
                    draw_gt: bool = True,
                    draw_pred: bool = True) -> np.ndarray:
        """Compose the picture of one sample.

        Args:
            lr (np.ndarray): LR image, RGB ``uint8`` (h, w, C>=3) or gray.
            data_sample (TextSRDataSample, optional): With ``pred_img``,
                ``gt_img``, ``gt_text``, ``pred_text`` where available.
            draw_gt (bool): Draw the HR panel and the ground-truth text.
            draw_pred (bool): Draw the SR panel and the texts read.

        Returns:
            np.ndarray: RGB ``uint8`` canvas, size as in the class doc.
        """
        if lr.ndim == 2:
            lr = gray_to_rgb(lr)
        panels = [(t, p) for t, p in self._panels(lr, data_sample)
                  if (t != 'HR' or draw_gt) and (t != 'SR' or draw_pred)]
        ref = panels[1][1] if len(panels) > 1 else lr
        h, w = ref.shape[0] * self.zoom, ref.shape[1] * self.zoom
        gt = None
        if draw_gt and data_sample is not None and 'gt_text' in data_sample:
            gt = data_sample.gt_text.get('item') or None
        rows: List[List[Tuple[str, str]]] = [[] for _ in panels]
        if draw_pred:
            for i, (_, img) in enumerate(panels):
                rows[i] += [(f'{k}: ', v) for k, v in self._read(img).items()]
            if data_sample is not None and 'pred_text' in data_sample:
                sr_col = next(
                    (i for i, (t, _) in enumerate(panels) if t == 'SR'), 0)
                rows[sr_col].append(('rec: ', data_sample.pred_text.item))
        num_rows = max(len(r) for r in rows)
        m, lh = self.margin, self.line_height
        canvas = Image.new('RGB',
                           (m + len(panels) *
                            (w + m), 2 * m + lh + h + num_rows * lh + lh),
                           (255, 255, 255))
        draw = ImageDraw.Draw(canvas)
        for i, (title, img) in enumerate(panels):
            x = m + i * (w + m)
            draw.text((x, m), title, fill=_LABEL, font=self.font)
            canvas.paste(
                Image.fromarray(
                    cv2.resize(img, (w, h), interpolation=cv2.INTER_NEAREST)),
                (x, m + lh))
            for j, (label, text) in enumerate(rows[i]):
                self._draw_text(draw, (x, m + lh + h + j * lh), label, text,
                                gt)
        if gt is not None:
            self._draw_text(draw, (m, m + lh + h + num_rows * lh), 'GT: ', gt,
                            None)
        return np.asarray(canvas)

    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: Optional[TextSRDataSample] = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       pred_score_thr: Optional[float] = None,
                       out_file: Optional[str] = None,
                       step: int = 0) -> np.ndarray:
        """Draw a sample, then show it or send it to the backends, and save
        it to ``out_file`` when given. Same signature as MMOCR's
        visualizers, so MMOCR's inferencers can call it.

        Args:
            name (str): Image name.
            image (np.ndarray): LR image, RGB ``uint8`` (h, w, 3).
            data_sample (TextSRDataSample, optional): Predictions and
                ground truth.
            draw_gt (bool): Draw the HR panel and the ground truth.
            draw_pred (bool): Draw the SR panel and the texts read.
            show (bool): Display instead of sending to the backends.
            wait_time (float): Display time in seconds.
            pred_score_thr (float, optional): Unused (MMOCR interface).
            out_file (str, optional): PNG/JPG file to write.
            step (int): Global step for the backends.

        Returns:
            np.ndarray: The RGB canvas.
        """
        canvas = self.draw_panels(image, data_sample, draw_gt, draw_pred)
        if show:
            self.show(canvas, win_name=name, wait_time=wait_time)
        else:
            self.add_image(name, canvas, step)
        if out_file is not None:
            mmcv.imwrite(rgb_to_bgr(canvas), out_file)
        self.set_image(canvas)
        return canvas
