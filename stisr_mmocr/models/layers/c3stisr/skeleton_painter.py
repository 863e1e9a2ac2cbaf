from typing import Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmocr.registry import MODELS
from PIL import Image, ImageDraw, ImageFont

FontType = Union[ImageFont.FreeTypeFont, ImageFont.ImageFont]


@MODELS.register_module()
class SkeletonPainter(nn.Module):
    """Skeleton painter of C3-STISR: draws decoded strings as black text on
    a white background with PIL, one image per letter case.

    Each string is drawn on a canvas fitted to its bounding box (plus a
    margin), which is then resized to the LR size, like text crops are
    resized to TextZoom's fixed size. An empty string gives a white image.
    The painter has no parameters.

    Args:
        out_hw (Sequence[int]): (H, W) of the drawn images. Defaults to
            (16, 64).
        font (str, optional): Path of a TrueType/OpenType font (the paper
            uses Ubuntu Bold). None uses the font that ships with Pillow
            (``ImageFont.load_default``). Defaults to None.
        font_size (int): Font size in pixels before resizing. Defaults to
            32.
        cases (Sequence[str]): Letter cases to draw, each 'upper', 'lower'
            or 'unchanged'; one output channel per case. Defaults to
            ('upper', 'lower').
        margin (int): White margin around the text, in pixels before
            resizing. Defaults to 2.
    """

    def __init__(self,
                 out_hw: Sequence[int] = (16, 64),
                 font: Optional[str] = None,
                 font_size: int = 32,
                 cases: Sequence[str] = ('upper', 'lower'),
                 margin: int = 2) -> None:
        super().__init__()
        for case in cases:
            if case not in ('upper', 'lower', 'unchanged'):
                raise ValueError(f'SkeletonPainter cases must be upper, lower '
                                 f'or unchanged, got {case!r}')
        self.out_hw = tuple(out_hw)
        self.font_path = font
        self.font_size = font_size
        self.cases = tuple(cases)
        self.margin = margin
        self._font: Optional[FontType] = None

    @property
    def num_channels(self) -> int:
        """Channels of the output: one per letter case."""
        return len(self.cases)

    @property
    def font(self) -> FontType:
        """The PIL font, loaded on first use."""
        if self._font is None:
            if self.font_path is None:
                self._font = ImageFont.load_default(size=self.font_size)
            else:
                self._font = ImageFont.truetype(self.font_path, self.font_size)
        return self._font

    def __getstate__(self) -> dict:
        """Drop the loaded font when pickled or copied."""
        state = super().__getstate__()
        state['_font'] = None
        return state

    def draw(self, text: str) -> np.ndarray:
        """Draw one string.

        Args:
            text (str): The string, drawn as given.

        Returns:
            np.ndarray: (H, W) float32 image in [0, 1], 1 for white.
        """
        height, width = self.out_hw
        if not text:
            return np.ones((height, width), np.float32)
        left, top, right, bottom = self.font.getbbox(text)
        canvas = Image.new(
            'L',
            (right - left + 2 * self.margin, bottom - top + 2 * self.margin),
            255)
        ImageDraw.Draw(canvas).text((self.margin - left, self.margin - top),
                                    text,
                                    fill=0,
                                    font=self.font)
        canvas = canvas.resize((width, height), Image.BILINEAR)
        return np.asarray(canvas, np.float32) / 255.

    def forward(self,
                texts: Sequence[str],
                device: Optional[torch.device] = None) -> torch.Tensor:
        """Draw a batch of strings.

        Args:
            texts (Sequence[str]): N strings.
            device (torch.device, optional): Device of the output.

        Returns:
            torch.Tensor: (N, len(cases), H, W) images in [0, 1].
        """
        images = [[
            self.draw(text if case == 'unchanged' else getattr(text, case)())
            for case in self.cases
        ] for text in texts]
        if not images:
            return torch.ones(
                0, self.num_channels, *self.out_hw, device=device)
        return torch.from_numpy(np.asarray(images)).to(device)
