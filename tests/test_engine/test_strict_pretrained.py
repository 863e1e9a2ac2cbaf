"""StrictPretrained: prefixes, sub-modules that initialise themselves, and
:func:`load_pretrained` (what StrictRunner applies before testing)."""
import pytest
import torch
import torch.nn as nn
from mmengine.model import BaseModule

import stisr_mmocr  # noqa: F401
from stisr_mmocr.engine import load_pretrained


class Block(BaseModule):
    """A conv that fills itself with a constant when initialised."""

    def __init__(self, value: float, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg or dict(
            type='Constant', layer='Conv2d', val=value, bias=value))
        self.conv = nn.Conv2d(1, 2, 1)


class Net(BaseModule):

    def __init__(self, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.block = Block(3.)


def saved(tmp_path, name, state):
    path = str(tmp_path / name)
    torch.save(dict(state_dict=state), path)
    return path


def weights(value):
    return {
        'block.conv.weight': torch.full((2, 1, 1, 1), value),
        'block.conv.bias': torch.full((2, ), value)
    }


def test_loaded_weights_survive_the_sub_modules_init(tmp_path):
    path = saved(tmp_path, 'net.pth', weights(7.))
    net = Net(init_cfg=dict(type='StrictPretrained', checkpoint=path))
    net.init_weights()
    # Block's own Constant(3) init comes after its parent's init_cfg
    assert torch.equal(net.block.conv.weight, torch.full((2, 1, 1, 1), 7.))
    assert torch.equal(net.block.conv.bias, torch.full((2, ), 7.))
    plain = Net()
    plain.init_weights()
    assert torch.equal(plain.block.conv.bias, torch.full((2, ), 3.))


def test_optional_prefix(tmp_path):
    whole = saved(tmp_path, 'whole.pth',
                  {f'net.{k}': v
                   for k, v in weights(5.).items()})
    own = saved(tmp_path, 'own.pth', weights(6.))
    for path, value in ((whole, 5.), (own, 6.)):
        net = Net(init_cfg=dict(type='StrictPretrained', checkpoint=path,
                                prefix='net.', optional_prefix=True))
        net.init_weights()
        assert torch.equal(net.block.conv.bias, torch.full((2, ), value))
    net = Net(init_cfg=dict(type='StrictPretrained', checkpoint=own,
                            prefix='net.'))
    with pytest.raises(KeyError, match=f"no key of {own} starts with 'net.'"):
        net.init_weights()


def test_load_pretrained_outer_weights_win(tmp_path):
    outer = saved(tmp_path, 'outer.pth', weights(1.))
    inner = saved(tmp_path, 'inner.pth',
                  {k[len('block.'):]: v
                   for k, v in weights(2.).items()})
    for with_outer, value in ((True, 1.), (False, 2.)):
        net = Net(init_cfg=dict(type='StrictPretrained', checkpoint=outer)
                  if with_outer else None)
        net.block.init_cfg = dict(type='StrictPretrained', checkpoint=inner)
        load_pretrained(net)
        assert torch.equal(net.block.conv.bias, torch.full((2, ), value))
        # init_weights gives the same
        net = Net(init_cfg=dict(type='StrictPretrained', checkpoint=outer)
                  if with_outer else None)
        net.block.init_cfg = dict(type='StrictPretrained', checkpoint=inner)
        net.init_weights()
        assert torch.equal(net.block.conv.bias, torch.full((2, ), value))
