import torch
import torch.nn as nn
import torch.nn.functional as F
from mmocr.registry import MODELS


@MODELS.register_module()
class DistillationLoss(nn.Module):
    """Distillation between two character distribution sequences:
    ``loss_weight * (l1_weight * L1 + kl_weight * KL)`` (C3-STISR Eq. 3 and
    5, TPGSR's ``SemanticLoss``).

    Both terms are averaged over all elements (N x T x K), as in TPGSR;
    the KL term is ``KL(teacher || student)`` (PyTorch's ``kl_div`` with the
    teacher as target).

    Args:
        l1_weight (float): k1. Defaults to 1.
        kl_weight (float): k2. Defaults to 1.
        loss_weight (float): Weight of the loss (alpha3 or alpha4). Defaults
            to 1.
    """

    def __init__(self,
                 l1_weight: float = 1.,
                 kl_weight: float = 1.,
                 loss_weight: float = 1.) -> None:
        super().__init__()
        self.l1_weight = l1_weight
        self.kl_weight = kl_weight
        self.loss_weight = loss_weight

    def forward(self, student_logits: torch.Tensor,
                teacher_logits: torch.Tensor) -> torch.Tensor:
        """Loss of (N, T, K) student logits against teacher logits (the
        teacher gets no gradient)."""
        teacher = teacher_logits.detach().softmax(-1)
        log_student = student_logits.log_softmax(-1)
        l1 = (log_student.exp() - teacher).abs().mean()
        kl = F.kl_div(log_student, teacher, reduction='none').mean()
        return self.loss_weight * (self.l1_weight * l1 + self.kl_weight * kl)
