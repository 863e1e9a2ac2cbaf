"""Distributed start-up that also works on CPU-only machines.

mmengine 0.10.7's ``pytorch`` launcher calls ``torch.cuda.set_device`` and
wraps the model with ``device_ids=[LOCAL_RANK]``, so DDP over gloo on CPU
fails as shipped. Without a GPU, start the gloo process group here (the
Runner then skips its own initialisation) and wrap the model with
``device_ids=None``.
"""
import torch
import torch.distributed as dist
from mmengine.config import Config


def setup_cpu_distributed(cfg: Config) -> None:
    """Prepare ``cfg`` for DDP on CPU when launched by torchrun without a GPU.

    Args:
        cfg (Config): The run config; ``launcher`` must be set.
    """
    if cfg.launcher != 'pytorch' or torch.cuda.is_available():
        return
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper
