"""Tests for dlbook.runtime: device choice, seeding and the environment report."""

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


def test_environment_report_names_versions():
    report = runtime.environment_report()
    assert report["PyTorch"] == torch.__version__
    assert set(report) >= {"Python", "NumPy", "matplotlib", "device"}


def test_pinned_versions_reads_exact_pins_only(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("# comment\nTorch==2.13.0\nnumpy>=1\n-e .\nmyst-nb==1.4.0  # note\n")
    assert runtime.pinned_versions(req) == {"torch": "2.13.0", "myst-nb": "1.4.0"}


def test_pin_mismatches_reports_wrong_and_missing(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text(f"torch=={torch.__version__.split('+')[0]}\npytest==0.0.1\nno-such-package-xyz==1.0\n")
    mismatches = runtime.pin_mismatches(req)
    assert "torch" not in mismatches
    assert mismatches["pytest"][0] == "0.0.1"
    assert mismatches["no-such-package-xyz"] == ("1.0", "not installed")
