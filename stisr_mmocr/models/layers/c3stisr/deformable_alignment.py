import torch
import torch.nn as nn
from mmcv.ops import ModulatedDeformConv2d
from mmocr.registry import MODELS


@MODELS.register_module()
class DeformableAlignment(nn.Module):
    """Deformable alignment of C3-STISR's visual clue.

    The drawn skeleton images are embedded by a convolution; offsets and
    modulation masks predicted from the embedding and a guide (the
    recognition clue h_rec) steer a modulated deformable convolution that
    aligns and compensates the skeleton (Eq. 4).

    Args:
        in_channels (int): Channels of the drawn images. Defaults to 2.
        guide_channels (int): Channels of the guide. Defaults to 32.
        out_channels (int): Channels C' of the output. Defaults to 32.
        deform_groups (int): Offset groups. Defaults to 1.
    """

    def __init__(self,
                 in_channels: int = 2,
                 guide_channels: int = 32,
                 out_channels: int = 32,
                 deform_groups: int = 1) -> None:
        super().__init__()
        self.embed = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, padding=1),
            nn.LeakyReLU(0.2, inplace=True))
        self.deform_groups = deform_groups
        self.conv_offset = nn.Sequential(
            nn.Conv2d(
                out_channels + guide_channels, out_channels, 3, padding=1),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(out_channels, 3 * deform_groups * 9, 3, padding=1))
        nn.init.zeros_(self.conv_offset[-1].weight)
        nn.init.zeros_(self.conv_offset[-1].bias)
        self.dcn = ModulatedDeformConv2d(
            out_channels,
            out_channels,
            kernel_size=3,
            padding=1,
            deform_groups=deform_groups)

    def forward(self, images: torch.Tensor,
                guide: torch.Tensor) -> torch.Tensor:
        """Align (N, C_in, H, W) drawn images with a (N, C_g, H, W) guide.

        Returns:
            torch.Tensor: (N, C', H, W) aligned features.
        """
        feat = self.embed(images)
        out = self.conv_offset(torch.cat([feat, guide], dim=1))
        offset_y_x, mask = out.split(
            [2 * self.deform_groups * 9, self.deform_groups * 9], dim=1)
        return self.dcn(feat, offset_y_x.contiguous(), mask.sigmoid())
