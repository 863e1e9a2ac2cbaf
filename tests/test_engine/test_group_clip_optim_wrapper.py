"""GroupClipOptimWrapper: unclipped groups, one joint norm, and per-network
norms (``clip_group``) as the official loops clip each SR network."""
import torch
import torch.nn as nn
from mmengine.optim import build_optim_wrapper

import stisr_mmocr  # noqa: F401


class Guided(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.generator = nn.ModuleList([nn.Linear(3, 3), nn.Linear(3, 3)])
        self.student = nn.Linear(3, 3)


def grads_after_clip(custom_keys: dict, grads: dict) -> dict:
    model = Guided()
    wrapper = build_optim_wrapper(
        model,
        dict(type='GroupClipOptimWrapper',
             clip_grad=dict(max_norm=0.25),
             optimizer=dict(type='SGD', lr=0.),
             paramwise_cfg=dict(custom_keys=custom_keys)))
    for name, p in model.named_parameters():
        p.grad = grads[name].clone()
    wrapper._clip_grad()
    return {n: p.grad for n, p in model.named_parameters()}, wrapper


def norm(grads: dict, prefix: str) -> float:
    return torch.cat([g.flatten() for n, g in grads.items()
                      if n.startswith(prefix)]).norm().item()


def test_per_network_and_joint_clipping():
    gen = torch.Generator().manual_seed(0)
    grads = {n: torch.randn(p.shape, generator=gen)
             for n, p in Guided().named_parameters()}
    # per network: every SR network's norm is 0.25, the student untouched
    clipped, wrapper = grads_after_clip(
        {'student': dict(clip_grad=False),
         'generator.0.': dict(clip_group='g0'),
         'generator.1.': dict(clip_group='g1')}, grads)
    for i in range(2):
        before = norm(grads, f'generator.{i}.')
        assert before > 1
        assert abs(norm(clipped, f'generator.{i}.') - 0.25) < 1e-6
        scalar = wrapper.message_hub.get_scalar(f'train/grad_norm_g{i}')
        assert abs(scalar.current() - before) < 1e-5
    assert torch.equal(clipped['student.weight'], grads['student.weight'])
    # jointly: one norm over both networks, so each keeps its share
    clipped, _ = grads_after_clip({'student': dict(clip_grad=False)}, grads)
    joint = norm(grads, 'generator.')
    assert abs(norm(clipped, 'generator.') - 0.25) < 1e-6
    for i in range(2):
        share = norm(grads, f'generator.{i}.') / joint * 0.25
        assert abs(norm(clipped, f'generator.{i}.') - share) < 1e-6
