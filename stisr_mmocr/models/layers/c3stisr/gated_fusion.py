from typing import Dict, Sequence, Tuple

import torch
import torch.nn as nn
from mmocr.registry import MODELS


@MODELS.register_module()
class GatedFusion(nn.Module):
    """Gated fusion of C3-STISR's clues (Eq. 6).

    Dilated convolutions extract features of every clue; they are stacked
    with the LR image at the channel dimension and convolutions predict a
    mask M of shape (K, C', H, W) per image; a softmax over the K clues
    gives the weights of the weighted sum ``h_t = sum_k M[k] * h_k``.

    The feature extractors are keyed by clue name, so the weights of a clue
    carry over between stages that fuse different sets of clues.

    Args:
        clue_names (Sequence[str]): Names of the K >= 2 clues, in the order
            of the weights, e.g. ('rec', 'ling', 'vis').
        channels (int): Channels C' of every clue. Defaults to 32.
        image_channels (int): Channels of the LR image. Defaults to 4.
        dilations (Sequence[int]): Dilations of the 3x3 convolutions applied
            to each clue. Defaults to (1, 2, 4).
        mid_channels (int): Channels of the mask convolutions. Defaults to
            64.
    """

    def __init__(self,
                 clue_names: Sequence[str],
                 channels: int = 32,
                 image_channels: int = 4,
                 dilations: Sequence[int] = (1, 2, 4),
                 mid_channels: int = 64) -> None:
        super().__init__()
        if len(clue_names) < 2 or len(set(clue_names)) != len(clue_names):
            raise ValueError('GatedFusion fuses at least 2 distinct clues, '
                             f'got {clue_names}')
        self.clue_names = tuple(clue_names)
        self.extractors = nn.ModuleDict()
        for name in self.clue_names:
            layers = []
            for d in dilations:
                layers += [
                    nn.Conv2d(channels, channels, 3, padding=d, dilation=d),
                    nn.LeakyReLU(0.2, inplace=True)
                ]
            self.extractors[name] = nn.Sequential(*layers)
        num_clues = len(self.clue_names)
        self.mask_convs = nn.Sequential(
            nn.Conv2d(
                num_clues * channels + image_channels,
                mid_channels,
                3,
                padding=1), nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(mid_channels, num_clues * channels, 3, padding=1))

    def forward(self, clues: Dict[str, torch.Tensor],
                image: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Fuse the clues.

        Args:
            clues (dict[str, torch.Tensor]): Every clue of ``clue_names``,
                (N, C', H, W) each.
            image (torch.Tensor): (N, C_img, H, W) LR image.

        Returns:
            tuple[torch.Tensor, torch.Tensor]: The fused clue (N, C', H, W)
            and the weights (N, K, C', H, W), summing to 1 over K.
        """
        missing = [name for name in self.clue_names if name not in clues]
        if missing:
            raise KeyError(f'GatedFusion misses the clues {missing}')
        hs = [clues[name] for name in self.clue_names]
        feats = [
            self.extractors[name](h) for name, h in zip(self.clue_names, hs)
        ]
        mask = self.mask_convs(torch.cat([*feats, image], dim=1))
        n, _, h, w = mask.shape
        weights = mask.view(n, len(hs), -1, h, w).softmax(dim=1)
        fused = (weights * torch.stack(hs, dim=1)).sum(dim=1)
        return fused, weights
