from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmocr.registry import MODELS

from ..layers import RecurrentResidualBlock
from ..layers.stirer import (RSTB, PatchEmbed, T5EncoderDecoder, ViTEncoder,
                             conv3_residual, upsample_one_step)

#: Characters of the 37-class setting; id 0 is the CTC blank / T5 padding,
#: ``len(CHARSET) + 1`` the T5 end-of-sequence token.
CHARSET = '0123456789abcdefghijklmnopqrstuvwxyz'


@MODELS.register_module()
class STIRERNet(BaseModule):
    """The STIRER network (ACM MM'23) without losses.

    A 3x3 conv embeds the LR input (RGB + mask); each of the
    ``len(depths)`` stages (:class:`RSTB`) refines the features with
    shifted-window attention and a BiGRU residual block and decodes an
    intermediate SR image and CTC logits. The final step reads the
    features (+ input) with a ViT encoder and an autoregressive T5 decoder,
    and reconstructs the final SR image through a BiGRU block. That makes
    ``len(depths) + 1`` SR and recognition steps.

    Parameter names are those of the official ``model/stirer.py``
    (``STIRER(upscale=2, img_size=(16, 64), window_size=(16, 2),
    img_range=1., depths=[4, 5, 6], embed_dim=48, num_heads=[6, 6, 6],
    mlp_ratio=2, upsampler='pixelshuffledirect', is_eval=False)``), so the
    authors' plain state dict (``STIRER_Final_Release.pth``) loads into this
    module strictly, e.g. with
    ``init_cfg=dict(type='StrictPretrained', checkpoint=...)``.

    Args:
        in_chans (int): Channels of input and output images. Defaults to 4.
        img_size (tuple[int, int]): (H, W) of the LR input. Defaults to
            (16, 64).
        upscale (int): SR scale. Defaults to 2.
        window_size (tuple[int, int]): Attention windows. Defaults to
            (16, 2).
        depths (Sequence[int]): Swin blocks per stage. Defaults to
            (4, 5, 6).
        embed_dim (int): Feature channels. Defaults to 48.
        num_heads (Sequence[int]): Heads per stage. Defaults to (6, 6, 6).
        mlp_ratio (float): MLP ratio of the Swin blocks. Defaults to 2.
        drop_path_rate (float): Largest stochastic depth rate, linearly
            spread over the Swin blocks. Defaults to 0.1.
        rec_head (dict, optional): ``rec_embed_dim``, ``rec_depth``,
            ``rec_num_heads`` of the stages' ViT recognition heads over the
            official (192, 6, 3); smaller ones only for quick demos.
        decoder (dict, optional): Arguments of :class:`T5EncoderDecoder`
            over its defaults (vocab 38, d_model 96, 3 + 6 layers, ...).
        init_cfg (dict, optional): Initialisation config, e.g. weights in
            the official layout.
    """

    def __init__(self,
                 in_chans: int = 4,
                 img_size: Tuple[int, int] = (16, 64),
                 upscale: int = 2,
                 window_size: Tuple[int, int] = (16, 2),
                 depths: Sequence[int] = (4, 5, 6),
                 embed_dim: int = 48,
                 num_heads: Sequence[int] = (6, 6, 6),
                 mlp_ratio: float = 2.,
                 drop_path_rate: float = 0.1,
                 rec_head: Optional[dict] = None,
                 decoder: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if len(depths) != len(num_heads):
            raise ValueError(f'depths {depths} and num_heads {num_heads} '
                             'must have one entry per stage')
        self.img_size = tuple(img_size)
        num_classes = len(CHARSET) + 1
        rates = torch.linspace(0, drop_path_rate, sum(depths)).tolist()

        self.conv_first = nn.Conv2d(in_chans, embed_dim, 3, 1, 1)
        self.patch_embed = PatchEmbed(embed_dim)
        self.layers = nn.ModuleList([
            RSTB(embed_dim,
                 self.img_size,
                 depth,
                 heads,
                 window_size,
                 mlp_ratio=mlp_ratio,
                 drop_path=rates[sum(depths[:i]):sum(depths[:i + 1])],
                 num_classes=num_classes,
                 out_channels=in_chans,
                 upscale=upscale,
                 **(rec_head or {}))
            for i, (depth, heads) in enumerate(zip(depths, num_heads))
        ])
        self.norm = nn.LayerNorm(embed_dim)
        self.last_sr = RecurrentResidualBlock(embed_dim + in_chans,
                                              gru_bn=True)
        self.down_conv = nn.Conv2d(embed_dim + in_chans, embed_dim, 3, 1, 1)
        self.conv_after_body = conv3_residual(embed_dim)
        self.upsample = upsample_one_step(upscale, embed_dim, in_chans)
        self.vit = ViTEncoder(img_size=self.img_size,
                              patch_size=(16, 2),
                              in_chans=embed_dim + in_chans,
                              embed_dim=96,
                              depth=3,
                              num_heads=3)
        self.decoder = T5EncoderDecoder(**(decoder or {}))
        self.apply(self._init_module)

    @staticmethod
    def _init_module(m: nn.Module) -> None:
        """The official initialisation: truncated normal (std 0.02) for
        every Linear (T5's and the tied embedding included), unit
        LayerNorms."""
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    @property
    def num_steps(self) -> int:
        """SR / recognition steps: one per stage plus the final one."""
        return len(self.layers) + 1

    @property
    def eos_token_id(self) -> int:
        """The T5 end-of-sequence token."""
        return self.decoder.eos_token_id

    def forward_features(
        self, inputs: torch.Tensor
    ) -> Tuple[torch.Tensor, torch.Tensor, List[torch.Tensor],
               List[torch.Tensor]]:
        """The progressive stages.

        Args:
            inputs (torch.Tensor): (N, C, h, w) LR images in [0, 1].

        Returns:
            tuple: ``head`` (N, D, h, w) shallow features, ``feat``
            (N, D, h, w) deep features, the stages' SR images
            [(N, C, H, W)] and CTC logits [(N, w / 2, 37)].
        """
        if tuple(inputs.shape[-2:]) != self.img_size:
            raise ValueError(f'STIRER expects {self.img_size} LR inputs, got '
                             f'{tuple(inputs.shape[-2:])}')
        head = self.conv_first(inputs)
        x = self.patch_embed(head)
        step_sr, step_logits = [], []
        for layer in self.layers:
            out = layer(x)
            x = out['feat']
            step_sr.append(out['sr'])
            step_logits.append(out['rec'])
        n, _, h, w = head.shape
        feat = self.norm(x).transpose(1, 2).reshape(n, -1, h, w)
        return head, feat, step_sr, step_logits

    def reconstruct(self, inputs: torch.Tensor, head: torch.Tensor,
                    feat: torch.Tensor) -> torch.Tensor:
        """Final SR image: BiGRU block over (input, features), 3conv, the
        (detached) shallow features as residual, pixel shuffle.

        Returns:
            torch.Tensor: (N, C, H, W).
        """
        x = self.down_conv(self.last_sr(torch.cat((inputs, feat), 1)))
        return self.upsample(self.conv_after_body(x) + head.detach())

    def encode_text(self, inputs: torch.Tensor,
                    feat: torch.Tensor) -> torch.Tensor:
        """ViT tokens of (features, input) for the T5: (N, w / 2, 96)."""
        return self.vit(torch.cat((feat, inputs), 1))

    def text_loss(self, tokens: torch.Tensor,
                  targets: torch.Tensor) -> torch.Tensor:
        """Teacher-forced T5 cross-entropy.

        Args:
            tokens (torch.Tensor): (N, L, 96) output of :meth:`encode_text`.
            targets (torch.Tensor): (N, T) target ids (-100 ignored).

        Returns:
            torch.Tensor: The mean cross-entropy.
        """
        return self.decoder(tokens, targets)[1]

    def forward(self, inputs: torch.Tensor) -> Dict[str, object]:
        """Every step's outputs, greedy decoding for the final text.

        Args:
            inputs (torch.Tensor): (N, 4, 16, 64) LR images (RGB + mask).

        Returns:
            dict: ``sr`` (N, 4, 32, 128) final SR; ``step_sr`` list of the
            stages' (N, 4, 32, 128) SR images; ``step_logits`` list of
            (N, 32, 37) CTC logits; ``text_ids`` (N, T) greedy T5 ids
            (start token excluded, T <= 20) and ``text_scores`` (N, T)
            their log-probabilities.
        """
        head, feat, step_sr, step_logits = self.forward_features(inputs)
        text_ids, text_scores = self.decoder.generate(
            self.encode_text(inputs, feat))
        return dict(sr=self.reconstruct(inputs, head, feat),
                    step_sr=step_sr,
                    step_logits=step_logits,
                    text_ids=text_ids,
                    text_scores=text_scores)
