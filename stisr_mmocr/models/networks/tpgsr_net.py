from mmocr.registry import MODELS

from ..layers.c3stisr_release import TPGSR_PADDINGS
from .c3stisr_release_net import C3STISRReleaseNet


@MODELS.register_module()
class TPGSRNet(C3STISRReleaseNet):
    """TPGSR's SR network (``mjq11302010044/TPGSR`` ``model/tsrn.py``
    ``TSRN_TL``, built by ``--arch tsrn_tl_cascade``), without losses.

    The C3-STISR release took this network over; both are
    :class:`C3STISRReleaseNet`'s computation (TSRN whose residual blocks
    receive the text prior projected by ``InfoGen`` and resized bilinearly,
    ``align_corners=True``, to the LR size). TPGSR's ``InfoGen`` pads its
    transposed convolutions differently (:data:`TPGSR_PADDINGS`, L89-98), so
    its prior map is (N, C', 1, 203) before the resize, where the release's
    is (N, C', 25, 213). Official names map as for the release
    (``block{i+2}`` -> ``srb.{i}``, ``infoGen`` -> ``info_gen``, ...).

    Args:
        info_gen (dict): Extra ``InfoGen`` arguments; ``paddings`` defaults
            to :data:`TPGSR_PADDINGS`.
        **kwargs: :class:`C3STISRReleaseNet` arguments (``num_blocks`` =
            ``--srb``, ``hidden_channels`` = 2 x ``--hd_u``, ``use_stn`` =
            ``--STN``, ``in_channels`` 4 with ``--mask``, ...).
    """

    def __init__(self, info_gen: dict = dict(), **kwargs) -> None:
        super().__init__(
            info_gen=dict(dict(paddings=TPGSR_PADDINGS), **info_gen),
            **kwargs)
