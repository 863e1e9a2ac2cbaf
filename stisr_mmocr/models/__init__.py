from .data_preprocessors import *  # noqa: F401,F403
from .editors import *  # noqa: F401,F403
from .judges import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .networks import *  # noqa: F401,F403
