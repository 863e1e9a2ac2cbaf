from typing import Sequence

import torch
import torch.nn as nn

from .info_transformer import InfoTransformer
from .sine_positional_encoding import SinePositionalEncoding


class TPInterpreter(nn.Module):
    """TATT's text prior interpreter (``model/tsrn.py`` ``TPInterpreter``):
    turns a recognizer's (N, T, K) character distributions into a
    (N, C, H, W) prior map aligned with the image features by attention.

    The prior is embedded (``fc_in`` + PReLU), given sinusoidal positions
    (with dropout, as the official code), encoded, and read by the image
    features (queries at learned positions ``init_factor``) in
    :class:`InfoTransformer`. The official module also builds
    ``fc_feature_in``, which its forward never calls; it is not built here.

    Args:
        num_classes (int): K. Defaults to 37.
        channels (int): C of the prior map and the transformer. Defaults
            to 64.
        feat_hw (Sequence[int]): (H, W) of the image features (the LR
            size). Defaults to (16, 64).
        nhead (int): Attention heads. Defaults to 4.
        num_encoder_layers (int): Defaults to 1.
        num_decoder_layers (int): Defaults to 2.
        dropout (float): Defaults to 0.1.
    """

    def __init__(self,
                 num_classes: int = 37,
                 channels: int = 64,
                 feat_hw: Sequence[int] = (16, 64),
                 nhead: int = 4,
                 num_encoder_layers: int = 1,
                 num_decoder_layers: int = 2,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.feat_hw = tuple(feat_hw)
        self.fc_in = nn.Linear(num_classes, channels)
        self.activation = nn.PReLU()
        self.transformer = InfoTransformer(
            d_model=channels,
            nhead=nhead,
            dim_feedforward=channels,
            num_encoder_layers=num_encoder_layers,
            num_decoder_layers=num_decoder_layers,
            dropout=dropout,
            feat_hw=feat_hw)
        self.pe = SinePositionalEncoding(channels, dropout)
        self.init_factor = nn.Embedding(feat_hw[0] * feat_hw[1], channels)

    def forward(self, features: torch.Tensor,
                probs: torch.Tensor) -> torch.Tensor:
        """Interpret a prior for a feature map.

        Args:
            features (torch.Tensor): (N, C, H, W) image features.
            probs (torch.Tensor): (N, T, K) character distributions.

        Returns:
            torch.Tensor: (N, C, H, W) prior map.
        """
        n, c, h, w = features.shape
        if (h, w) != self.feat_hw:
            raise ValueError(
                f'TPInterpreter was built for {self.feat_hw[0]}x'
                f'{self.feat_hw[1]} features (feat_hw), got {h}x{w}')
        x = self.activation(self.fc_in(probs))
        pos = self.pe(x.new_zeros(x.shape)).permute(1, 0, 2)
        prior = self.transformer(x.permute(1, 0, 2), pos,
                                 self.init_factor.weight,
                                 features.flatten(2).permute(2, 0, 1))
        return prior.permute(1, 2, 0).reshape(n, c, h, w)
