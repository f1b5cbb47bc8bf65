"""Tests for dlbook.runtime: device choice and seeding."""

import pytest
import torch

from dlbook import runtime
from dlbook.seeds import SEED_OFFSET_VARIABLE


HAS_CUDA = torch.cuda.is_available()


@pytest.mark.skipif(HAS_CUDA, reason="a CUDA device is present")
def test_without_a_gpu_the_default_device_is_the_cpu():
    assert runtime.default_device() == torch.device("cpu")


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device here: runs on a machine that has one")
def test_with_a_gpu_a_model_trains_on_it():
    device = runtime.default_device()
    assert device.type == "cuda"
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                                torch.nn.Linear(4 * 26 * 26, 10)).to(device)
    loss = torch.nn.functional.cross_entropy(model(torch.rand(8, 1, 28, 28, device=device)),
                                             torch.arange(8, device=device))
    loss.backward()
    assert all(p.grad is not None and p.grad.is_cuda for p in model.parameters())


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


def test_the_offset_changes_every_seeded_draw(monkeypatch):
    monkeypatch.delenv(SEED_OFFSET_VARIABLE, raising=False)
    runtime.seed_everything(3)
    plain, plain_gen = torch.rand(5), torch.rand(5, generator=runtime.generator(3))
    monkeypatch.setenv(SEED_OFFSET_VARIABLE, "1")
    runtime.seed_everything(3)
    assert not torch.equal(torch.rand(5), plain)
    assert not torch.equal(torch.rand(5, generator=runtime.generator(3)), plain_gen)
    assert runtime.generator(3).initial_seed() == 1003  # integers: exact
