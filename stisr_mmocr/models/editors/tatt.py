import math
from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F
from mmocr.registry import MODELS

from .base_text_sr import SampleList
from .recognizer_guided_sr import RecognizerGuidedSR


def rotate_images(images: torch.Tensor,
                  arcs: torch.Tensor,
                  offsets: torch.Tensor,
                  offset_range: float = 0.2) -> torch.Tensor:
    """Rotate text images about their centres (TATT's ``torch_rotate_img``).

    The affine map works in normalised coordinates, so the rotation is
    corrected by the aspect ratio ``H / W`` of the image, jittered per
    sample by ``(2 * offset - 1) * offset_range``; bilinear sampling, zeros
    outside (``align_corners=False``).

    Args:
        images (torch.Tensor): (N, C, H, W) images.
        arcs (torch.Tensor): (N,) angles in radians.
        offsets (torch.Tensor): (N,) aspect jitter draws in [0, 1].
        offset_range (float): Largest aspect jitter. Defaults to 0.2.

    Returns:
        torch.Tensor: (N, C, H, W) rotated images.
    """
    n, _, h, w = images.shape
    arcs = arcs.to(images)
    ratio = h / w + offsets.to(images) * offset_range * 2 - offset_range
    cos, sin, zero = arcs.cos(), arcs.sin(), torch.zeros_like(arcs)
    theta = torch.stack([cos, sin * ratio, zero, -sin / ratio, cos, zero],
                        dim=1).view(n, 2, 3)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, align_corners=False)


@MODELS.register_module()
class TATT(RecognizerGuidedSR):
    """TATT (CVPR'22, ``mjq11302010044/TATT``): the text prior guided SR
    model trained with rotated pairs and the text structure consistency
    loss (``interfaces/super_resolution.py``, flags of ``train_TATT.sh``:
    ``--arch tatt --STN --mask --use_distill --gradient --sr_share
    --stu_iter=1 --rotate_train=5 --tssim_loss``).

    :class:`RecognizerGuidedSR` with the TATT loop's choices: no prior
    dropout, the prior detached from the SR losses (the student learns from
    the distillation only) and stage inputs detached. One training step:

    - every LR / HR pair is rotated by the same random angle in
      ``[-rotate_range, rotate_range]`` degrees (aspect jitter
      ``offset_range``); the rotated LR, rotated back, is the "restored" LR;
    - the teacher reads the rotated HR, the student the rotated LR; the SR
      network (``generator``, :class:`TATTNet`) super-resolves the rotated
      LR guided by the student's prior: ``loss_pixel``, ``loss_distill``;
    - the SR network super-resolves the restored LR with the same prior;
      that output, rotated, the first output and the rotated HR give
      ``loss_tssim`` (:class:`TripleSSIMLoss`, x10).

    The angles are drawn with torch (float64, on the CPU; the official code
    draws the same distribution with NumPy), so ``torch.manual_seed`` fixes
    them. Evaluation is :class:`RecognizerGuidedSR`'s (no rotation,
    ``--rotate_test=0``).

    Args:
        rotate_range (float): Largest rotation in degrees
            (``--rotate_train``); 0 trains without rotation and without the
            TSSIM term. Defaults to 5.
        offset_range (float): Largest aspect jitter of the rotation.
            Defaults to 0.2.
        tssim_loss (dict, optional): The TSSIM term (``--tssim_loss``);
            None drops it. Defaults to ``TripleSSIMLoss(loss_weight=10)``.
        clue_drop_ratio (float): Defaults to 0 (TATT drops no prior).
        prior_grad (bool): Defaults to False.
        stage_input_grad (bool): Defaults to False.
        stage_weight_step (float): Defaults to 0.5 (the official
            ``1 + 0.5 i`` stage weights; one stage by default).
        **kwargs: Other :class:`RecognizerGuidedSR` arguments.
    """

    def __init__(self,
                 rotate_range: float = 5.,
                 offset_range: float = 0.2,
                 tssim_loss: Optional[dict] = dict(type='TripleSSIMLoss',
                                                   loss_weight=10.),
                 clue_drop_ratio: float = 0.,
                 prior_grad: bool = False,
                 stage_input_grad: bool = False,
                 stage_weight_step: float = 0.5,
                 **kwargs) -> None:
        super().__init__(clue_drop_ratio=clue_drop_ratio,
                         prior_grad=prior_grad,
                         stage_input_grad=stage_input_grad,
                         stage_weight_step=stage_weight_step,
                         **kwargs)
        if rotate_range < 0:
            raise ValueError(
                f'rotate_range must be >= 0 degrees, got {rotate_range}')
        if tssim_loss is not None and not rotate_range:
            raise ValueError('tssim_loss compares SR outputs of rotated and '
                             'restored inputs: it needs rotate_range > 0')
        self.rotate_range = rotate_range
        self.offset_range = offset_range
        self.tssim_loss = MODELS.build(tssim_loss) if tssim_loss else None

    def draw_rotation(self,
                      batch_size: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Random (N,) angles in radians and (N,) aspect jitter draws,
        float64 on the CPU: ``u = torch.rand(2, N)``, angle
        ``(2 u0 - 1) x rotate_range`` degrees, jitter ``u1``."""
        u = torch.rand(2, batch_size, dtype=torch.float64)
        degrees = u[0] * self.rotate_range * 2 - self.rotate_range
        return degrees / 180. * math.pi, u[1]

    def loss(self, inputs: torch.Tensor,
             data_samples: SampleList) -> Dict[str, torch.Tensor]:
        """TATT's training losses of a batch.

        Args:
            inputs (torch.Tensor): (N, C, h, w) LR images in [0, 1].
            data_samples (list[TextSRDataSample]): With ``gt_img``.

        Returns:
            dict: ``loss_pixel``, ``loss_distill`` and ``loss_tssim`` (with
            ``_s{i}`` suffixes for several stages).
        """
        hr = self.stack_gt_img(data_samples)
        if not self.rotate_range:
            return self.guided_losses(inputs, hr)[0]
        arcs, offsets = self.draw_rotation(inputs.shape[0])
        lr = rotate_images(inputs, arcs, offsets, self.offset_range)
        hr = rotate_images(hr, arcs, offsets, self.offset_range)
        losses, outputs = self.guided_losses(lr, hr)
        if self.tssim_loss is None:
            return losses
        restored = rotate_images(lr, -arcs, offsets, self.offset_range)
        for stage, out in enumerate(outputs):
            generator = self.stage_modules(stage)[1]
            sr_restored = rotate_images(generator(restored, out['probs']),
                                        arcs, offsets, self.offset_range)
            losses['loss_tssim' + self.stage_suffix(stage)] = (
                self.tssim_loss(sr_restored, out['sr'], hr))
        return losses
