"""Tests for dlbook.runtime: device choice and seeding."""

import pytest
import torch

from dlbook import runtime


@pytest.mark.parametrize(("cuda", "expected"), [(False, "cpu"), (True, "cuda")])
def test_default_device_is_the_gpu_when_one_is_present(monkeypatch, cuda, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert runtime.default_device().type == expected


def test_a_model_runs_on_the_default_device():
    device = runtime.default_device()
    model = torch.nn.Linear(3, 2).to(device)
    assert model(torch.ones(4, 3, device=device)).shape == (4, 2)


def test_seed_everything_repeats_draws():
    runtime.seed_everything(7)
    first = torch.rand(5)
    runtime.seed_everything(7)
    assert torch.equal(torch.rand(5), first)  # the same generator state: the same bits


def test_seed_everything_asks_cudnn_for_deterministic_algorithms(monkeypatch):
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", False)
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", True)
    runtime.seed_everything(0)
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark


@pytest.mark.parametrize("seed", [-1, 1.5, "0"])
def test_seed_everything_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed"):
        runtime.seed_everything(seed)

