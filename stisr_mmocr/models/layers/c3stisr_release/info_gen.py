from typing import Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmocr.registry import MODELS

#: Paddings of the four transposed convolutions in the C3-STISR release
#: (``model/tsrn.py``, class ``InfoGen``, L294-303).
RELEASE_PADDINGS = ((0, 0), (0, 0), (1, 1), (1, 1))
#: Paddings of TPGSR's ``InfoGen`` (TPGSR ``model/tsrn.py``, L89-98).
TPGSR_PADDINGS = ((1, 1), (1, 1), (1, 1), (1, 0))


@MODELS.register_module()
class InfoGen(nn.Module):
    """TPGSR's text-prior generator: a character distribution sequence
    turned into a feature map by four transposed convolutions (kernel 3,
    strides 2, 2, 2 and (2, 1)), each followed by BN and ReLU.

    The (N, T, K) distribution is laid out as a (N, K, 1, T) map. With
    T = 26 the release's paddings give a (N, C', 25, 213) map, TPGSR's a
    (N, C', 1, 203) one; the caller resizes it to the LR size.

    Args:
        in_channels (int): K, classes of the distribution. Defaults to 37.
        out_channels (int): C'. Defaults to 32.
        mid_channels (Sequence[int]): Channels of the first three transposed
            convolutions. Defaults to (512, 128, 64).
        paddings (Sequence[Sequence[int]]): (H, W) padding of each transposed
            convolution. Defaults to :data:`RELEASE_PADDINGS`.
    """

    def __init__(self,
                 in_channels: int = 37,
                 out_channels: int = 32,
                 mid_channels: Sequence[int] = (512, 128, 64),
                 paddings: Sequence[Sequence[int]] = RELEASE_PADDINGS) -> None:
        super().__init__()
        if len(mid_channels) != 3 or len(paddings) != 4:
            raise ValueError('InfoGen needs 3 mid_channels and 4 paddings, '
                             f'got {mid_channels} and {paddings}')
        channels = [in_channels, *mid_channels, out_channels]
        strides: Tuple = (2, 2, 2, (2, 1))
        for i in range(4):
            self.add_module(
                f'tconv{i + 1}',
                nn.ConvTranspose2d(channels[i],
                                   channels[i + 1],
                                   kernel_size=3,
                                   stride=strides[i],
                                   padding=tuple(paddings[i]),
                                   bias=False))
            self.add_module(f'bn{i + 1}', nn.BatchNorm2d(channels[i + 1]))

    def forward(self, probs: torch.Tensor) -> torch.Tensor:
        """(N, T, K) distributions -> (N, C', H', W') feature map."""
        x = probs.transpose(1, 2).unsqueeze(2)
        for i in range(1, 5):
            x = getattr(self, f'bn{i}')(getattr(self, f'tconv{i}')(x))
            x = F.relu(x)
        return x
