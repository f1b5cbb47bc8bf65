"""Tests for dlbook.logic_nets: the hand-built OR and XOR networks on all four inputs."""

import pytest
import torch

from dlbook.logic_nets import build_or_net, build_xor_net, meets_or_spec, meets_xor_spec
from dlbook.toydata import truth_table


def test_or_net_outputs():
    x, _ = truth_table("or")
    with torch.inference_mode():
        f = build_or_net()(x).squeeze(1)
    # integer weights and inputs: sums and products of small integers are exact in floating point
    assert f.tolist() == [0.0, 1.0, 1.0, 2.0] and meets_or_spec(f)


def test_xor_net_outputs():
    x, y = truth_table("xor")
    with torch.inference_mode():
        f = build_xor_net()(x).squeeze(1)
    assert f.tolist() == [0.0, 1.0, 1.0, 0.0] and meets_xor_spec(f)  # exact, as above
    assert torch.equal(f.long(), y)
    assert not meets_or_spec(f)


def test_specs_reject_wrong_outputs():
    assert not meets_xor_spec(torch.tensor([0.0, 1.0, 0.5, 0.0]))
    assert not meets_or_spec(torch.tensor([0.1, 1.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match="shape"):
        meets_or_spec(torch.zeros(3))
