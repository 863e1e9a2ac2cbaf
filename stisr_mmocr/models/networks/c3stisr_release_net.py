import torch
import torch.nn.functional as F
from mmocr.registry import MODELS

from ..layers.c3stisr_release import InfoGen
from .tsrn_net import TSRNNet


@MODELS.register_module()
class C3STISRReleaseNet(TSRNNet):
    """The SR network of the C3-STISR release (the authors' ``TSRN_TL`` in
    ``model/tsrn.py``, built with ``triple_clues=True``), without losses.

    :class:`TSRNNet` (TPS rectification while training, sequential residual
    blocks, pixel-shuffle up-sampling) whose residual blocks all receive the
    recognition clue only: the recognizer's distribution projected by
    :class:`InfoGen` (the release's paddings) and resized bilinearly
    (``align_corners=True``) to the LR size (``TSRN_TL.forward``, L420-422
    and L450).

    Not built, because nothing they compute reaches the output: the fused
    clue ``hint`` (``dsta_rec``, ``dsta_ling``, ``infoGen_ling``,
    ``down_conv``, ``gated``; L424-441) is computed and never used, and
    ``dsta_vis``, ``infoGen_visual``, ``vis_rec_fuser`` and
    ``correction_model`` are never called. The release's language model
    (``lm``) is trained by its own CTC loss only and lives in the model
    (:class:`C3STISRRelease`), not here.

    Official name -> name here: ``block1`` -> ``block1``, ``block{i+2}`` ->
    ``srb.{i}``, ``infoGen`` -> ``info_gen``, ``block{n+2}`` ->
    ``block_tail``, ``block{n+3}`` -> ``upsample``, ``stn_head`` ->
    ``stn_head`` (``tps`` keeps no weights).

    Args:
        clue_channels (int): C' of the clue. Defaults to 32.
        num_classes (int): K, classes of the recognizer. Defaults to 37.
        info_gen (dict): Extra :class:`InfoGen` arguments. Defaults to
            ``dict()``.
        **kwargs: Other :class:`TSRNNet` arguments (``in_channels`` 4 with
            ``--mask``, ``num_blocks`` = ``--srb``, ``hidden_channels`` =
            2 x ``--hd_u``, ``use_stn`` = ``--STN``, ...).
    """

    def __init__(self,
                 clue_channels: int = 32,
                 num_classes: int = 37,
                 info_gen: dict = dict(),
                 **kwargs) -> None:
        super().__init__(clue_channels=clue_channels, **kwargs)
        self.info_gen = InfoGen(num_classes, clue_channels, **info_gen)

    def forward(self, x: torch.Tensor,
                clue_probs: torch.Tensor) -> torch.Tensor:
        """Super-resolve LR images guided by the recognition clue.

        Args:
            x (torch.Tensor): (N, C, h, w) LR images in [0, 1].
            clue_probs (torch.Tensor): (N, T, K) character distributions of
                the recognizer reading ``x`` (zeroed rows for dropped clues).

        Returns:
            torch.Tensor: (N, C, H, W) SR images in (-1, 1) (tanh).
        """
        clue = F.interpolate(self.info_gen(clue_probs),
                             size=x.shape[-2:],
                             mode='bilinear',
                             align_corners=True)
        return super().forward(x, clue)
