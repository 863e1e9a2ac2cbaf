import torch
import torch.nn as nn

from .bigru import bigru


class GruBlock(nn.Module):
    """1x1 convolution (+ batch norm), then a bidirectional GRU along the
    width of each row.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels (even: half per direction).
        with_bn (bool): Batch-normalise the projection (STIRER's blocks).
            Defaults to False (TSRN).
        projection (bool): The 1x1 convolution; without it (LEMMA's blocks)
            the GRU reads the input directly (``in_channels`` must equal
            ``out_channels``). Defaults to True.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 with_bn: bool = False,
                 projection: bool = True) -> None:
        super().__init__()
        if out_channels % 2:
            raise ValueError(f'out_channels must be even, got {out_channels}')
        if not projection and (with_bn or in_channels != out_channels):
            raise ValueError('a GruBlock without projection takes no batch '
                             'norm and needs in_channels == out_channels, '
                             f'got {in_channels} -> {out_channels}')
        self.conv1 = nn.Conv2d(in_channels, out_channels,
                               kernel_size=1) if projection else None
        self.bn1 = nn.BatchNorm2d(out_channels) if with_bn else nn.Identity()
        self.gru = nn.GRU(
            out_channels,
            out_channels // 2,
            bidirectional=True,
            batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(N, C_in, H, W) -> (N, C_out, H, W), each row a sequence.

        Without batch norm the 1x1 convolution is the GRU's input
        projection (:func:`bigru` folds it into the GRU's input weights).
        """
        in_proj = None
        if self.conv1 is not None and isinstance(self.bn1, nn.Identity):
            in_proj = (self.conv1.weight.flatten(1), self.conv1.bias)
        elif self.conv1 is not None:
            x = self.bn1(self.conv1(x))
        n, c, h, w = x.shape
        seq = x.permute(0, 2, 3, 1).reshape(n * h, w, c)
        out = bigru(seq, self.gru, in_proj)
        return out.reshape(n, h, w, -1).permute(0, 3, 1, 2)
