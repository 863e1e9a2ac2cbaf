from typing import Dict

import torch
import torch.nn as nn

from ..transformer_layers import (PositionalEncoding, TransformerDecoder,
                                  TransformerDecoderLayer, TransformerEncoder,
                                  TransformerEncoderLayer)


class GuidanceGenerator(nn.Module):
    """LEMMA's location enhancement and multi-modal alignment
    (``model/Position_aware_module.py``
    ``Location_enhancement_Multimodal_alignment``): turns the guidance
    reader's attention and language logits into a (N, C, H, W) guidance map
    aligned with the SR features.

    The character attention, masked to the predicted length and maxed over
    the characters, weights the instance-normalised features (through
    ``attn_conv`` and a softmax over positions) and picks the
    ``select_num`` most attended positions; the language logits, placed by
    the attention, are encoded, read those positions (``text_decoder``),
    and every position of the features reads the result
    (``sematic_decoder``, the unselected positions zeroed).

    The official module also builds ``text_pos`` and ``select_pos`` tables
    that its forward never uses; they are kept (saved buffers) so that the
    authors' checkpoints load as they are.

    Args:
        max_length (int): Characters + end token. Defaults to 26.
        num_classes (int): Defaults to 37.
        channels (int): d_model, the SR features' channels. Defaults to 64.
        select_num (int): Selected positions. Defaults to 500.
    """

    def __init__(self,
                 max_length: int = 26,
                 num_classes: int = 37,
                 channels: int = 64,
                 select_num: int = 500) -> None:
        super().__init__()
        self.max_length = max_length
        self.select_num = select_num
        self.text_proj = nn.Linear(num_classes, channels, False)
        self.vision_pos = PositionalEncoding(channels, 0.1, 1024)
        self.text_pos = PositionalEncoding(channels, 0.1, 40)
        self.text_Encoder = TransformerEncoder(
            TransformerEncoderLayer(channels, 4, channels, 0.1), 2)
        decoder_layer = TransformerDecoderLayer(channels, 4, channels, 0.1)
        self.text_decoder = TransformerDecoder(decoder_layer, 3)
        self.sematic_decoder = TransformerDecoder(decoder_layer, 3)
        self.IN = nn.InstanceNorm2d(channels)
        self.select_pos = PositionalEncoding(channels, 0.1, select_num)
        self.attn_conv = nn.Sequential(
            nn.Conv2d(1, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32),
            nn.PReLU(), nn.Conv2d(32, 64, 3, 1, 1, bias=False),
            nn.BatchNorm2d(64), nn.PReLU(),
            nn.Conv2d(64, channels, 3, 1, 1, bias=False))
        self.DWC = nn.Conv2d(channels, channels, 3, 1, 1)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def forward(self, guidance: Dict[str, torch.Tensor],
                features: torch.Tensor) -> torch.Tensor:
        """Guidance map of (N, C, H, W) SR features.

        Args:
            guidance (dict): ``PositionAwareModule`` output.
            features (torch.Tensor): (N, C, H, W) ``block1`` features.

        Returns:
            torch.Tensor: (N, C, H, W) guidance map.
        """
        n, c, h, w = features.shape
        attn_map = guidance['attn_map']
        positions = torch.arange(self.max_length, device=attn_map.device)
        in_text = (positions[None] < guidance['pt_lengths'][:, None]).to(
            attn_map.dtype)[:, :, None, None]
        pos_weight = (attn_map * in_text).max(dim=1, keepdim=True)[0]
        spatial = torch.softmax(self.attn_conv(pos_weight).view(n, c, h * w),
                                dim=-1).view(n, c, h, w)
        seq = self.DWC(self.IN(features) * spatial)
        seq = seq.view(n, c, h * w).permute(2, 0, 1)
        v_pos = self.vision_pos(torch.zeros_like(seq))
        seq = seq + v_pos
        order = pos_weight.view(n, 1, -1).permute(2, 0, 1).argsort(
            dim=0, descending=True).repeat(1, 1, c)
        selected = seq.gather(0, order[:self.select_num])
        t_pos = torch.bmm(attn_map.view(n, self.max_length, -1),
                          v_pos.transpose(0, 1)).permute(1, 0, 2)
        text = self.text_Encoder(
            self.text_proj(guidance['text_logits']).permute(1, 0, 2) + t_pos)
        text_key = self.text_decoder(text, selected, selected)
        seq = seq.scatter(0, order[self.select_num:], 0.)
        out = self.sematic_decoder(seq, text_key, text)
        return out.permute(1, 2, 0).view(n, c, h, w)
