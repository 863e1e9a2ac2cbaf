"""SR architectures as plain modules without losses (mmagic's
``generator``), used by the models in ``editors``."""
from .c3stisr_release_net import C3STISRReleaseNet
from .lemma_net import LEMMANet
from .stirer_net import STIRERNet
from .tatt_net import TATTNet
from .tpgsr_net import TPGSRNet
from .tsrn_net import TSRNNet

__all__ = [
    'C3STISRReleaseNet', 'LEMMANet', 'STIRERNet', 'TATTNet', 'TPGSRNet',
    'TSRNNet'
]
