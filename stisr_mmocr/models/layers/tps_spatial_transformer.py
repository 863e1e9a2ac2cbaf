from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from .stn_head import identity_ctrl_points


def _tps_kernel(points: torch.Tensor, ctrl: torch.Tensor) -> torch.Tensor:
    """U(r) = r^2 log r (as 0.5 * d * log d with d = r^2), (P, K)."""
    dist = (points[:, None, :] - ctrl[None, :, :]).pow(2).sum(-1)
    rep = 0.5 * dist * torch.log(dist)
    return torch.nan_to_num(rep, nan=0.0)


class TPSSpatialTransformer(nn.Module):
    """Thin-plate-spline rectification from predicted control points.

    Args:
        output_hw (tuple[int, int]): (H, W) of the output.
        num_ctrl_points (int): Control points. Defaults to 20.
        margins (tuple[float, float]): (x, y) margins of the target points.
        saved_buffers (bool): Save the constants with the module's state, as
            the official module does (``inverse_kernel``,
            ``padding_matrix``, ``target_coordinate_repr``,
            ``target_control_points``; LEMMA's checkpoints hold them, and
            loading one takes its copies). Defaults to False (recomputed,
            not saved).
    """

    def __init__(self,
                 output_hw: Tuple[int, int] = (16, 64),
                 num_ctrl_points: int = 20,
                 margins: Tuple[float, float] = (0.05, 0.05),
                 saved_buffers: bool = False) -> None:
        super().__init__()
        self.output_hw = tuple(output_hw)
        self.num_ctrl_points = num_ctrl_points
        target = identity_ctrl_points(num_ctrl_points, margins).double()
        k = num_ctrl_points
        forward_kernel = torch.zeros(k + 3, k + 3, dtype=torch.float64)
        forward_kernel[:k, :k] = _tps_kernel(target, target)
        forward_kernel[:k, -3] = 1
        forward_kernel[-3, :k] = 1
        forward_kernel[:k, -2:] = target
        forward_kernel[-2:, :k] = target.t()
        h, w = self.output_hw
        ys, xs = torch.meshgrid(
            torch.arange(h, dtype=torch.float64) / (h - 1),
            torch.arange(w, dtype=torch.float64) / (w - 1),
            indexing='ij')
        coords = torch.stack([xs.flatten(), ys.flatten()], dim=1)
        coord_repr = torch.cat(
            [_tps_kernel(coords, target),
             torch.ones(h * w, 1, dtype=torch.float64), coords],
            dim=1)
        self.register_buffer(
            'inverse_kernel', torch.inverse(forward_kernel).float(),
            persistent=saved_buffers)
        if saved_buffers:
            self.register_buffer('padding_matrix', torch.zeros(3, 2))
        self.register_buffer(
            'target_coordinate_repr', coord_repr.float(),
            persistent=saved_buffers)
        if saved_buffers:
            self.register_buffer('target_control_points', target.float())

    def forward(self, x: torch.Tensor,
                source_ctrl_points: torch.Tensor) -> torch.Tensor:
        """Warp (N, C, H_in, W_in) images with (N, K, 2) source points.

        Returns:
            torch.Tensor: (N, C, H, W) rectified images.
        """
        n = source_ctrl_points.shape[0]
        padded = F.pad(source_ctrl_points, (0, 0, 0, 3))
        mapping = torch.matmul(self.inverse_kernel, padded)
        source = torch.matmul(self.target_coordinate_repr, mapping)
        grid = source.view(n, *self.output_hw, 2).clamp(0, 1) * 2. - 1.
        return F.grid_sample(x, grid, align_corners=False)
