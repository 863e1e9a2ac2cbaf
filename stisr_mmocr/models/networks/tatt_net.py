from typing import Sequence

import torch
from mmocr.registry import MODELS

from ..layers.tatt import TPInterpreter
from .tsrn_net import TSRNNet


@MODELS.register_module()
class TATTNet(TSRNNet):
    """TATT's SR network (CVPR'22, ``mjq11302010044/TATT`` ``model/tsrn.py``
    ``TSRN_TL_TRANS``, built by ``--arch tatt``), without losses.

    :class:`TSRNNet` (TPS rectification while training, sequential residual
    blocks, pixel-shuffle up-sampling) whose residual blocks all receive
    the prior map of :class:`TPInterpreter`, which reads the text prior
    (the recognizer's character distributions) and the ``block1`` features
    of the (rectified) LR image.

    Official name -> name here: ``block1`` -> ``block1``, ``block{i+2}`` ->
    ``srb.{i}``, ``infoGen`` -> ``tp_interpreter``, ``block{n+2}`` ->
    ``block_tail``, ``block{n+3}`` -> ``upsample``, ``stn_head`` ->
    ``stn_head`` (see :class:`TPInterpreter` and ``InfoTransformer`` for the
    names inside ``infoGen``).

    Args:
        clue_channels (int): C of the prior map (``out_text_channels``).
            Defaults to 64.
        num_classes (int): K, classes of the recognizer. Defaults to 37.
        lr_hw (Sequence[int]): (H, W) of the LR input, also the prior map's
            size. Defaults to (16, 64).
        tp_interpreter (dict): Extra :class:`TPInterpreter` arguments
            (``nhead``, ``dropout``, ...). Defaults to ``dict()``.
        **kwargs: Other :class:`TSRNNet` arguments (``in_channels`` 4 with
            ``--mask``, ``num_blocks`` = ``--srb``, ``hidden_channels`` =
            2 x ``--hd_u``, ``use_stn`` = ``--STN``, ...).
    """

    def __init__(self,
                 clue_channels: int = 64,
                 num_classes: int = 37,
                 lr_hw: Sequence[int] = (16, 64),
                 tp_interpreter: dict = dict(),
                 **kwargs) -> None:
        super().__init__(clue_channels=clue_channels, lr_hw=lr_hw, **kwargs)
        hidden = self.block1[0].out_channels
        if hidden != clue_channels:
            raise ValueError(
                'TATTNet: the interpreter attends from block1 features to '
                f'the prior, so hidden_channels ({hidden}) must equal '
                f'clue_channels ({clue_channels})')
        self.tp_interpreter = TPInterpreter(num_classes,
                                            clue_channels,
                                            feat_hw=lr_hw,
                                            **tp_interpreter)

    def forward(self, x: torch.Tensor,
                clue_probs: torch.Tensor) -> torch.Tensor:
        """Super-resolve LR images guided by the text prior.

        Args:
            x (torch.Tensor): (N, C, h, w) LR images in [0, 1].
            clue_probs (torch.Tensor): (N, T, K) character distributions of
                the recognizer reading ``x``.

        Returns:
            torch.Tensor: (N, C, H, W) SR images in (-1, 1) (tanh).
        """
        head = self.block1(self.rectify(x))
        return self.reconstruct(head, self.tp_interpreter(head, clue_probs))
