"""Tests for dlbook.environment: versions, the processor name and the pins of requirements.txt."""

import pytest
import torch

from dlbook import environment


def test_environment_report_names_versions():
    report = environment.environment_report()
    assert report["PyTorch"] == torch.__version__
    assert set(report) >= {"Python", "NumPy", "matplotlib", "device"}


def test_pinned_versions_reads_exact_pins_only(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("# comment\nTorch==2.13.0\nnumpy>=1\n-e .\nmyst-nb==1.4.0  # note\n")
    assert environment.pinned_versions(req) == {"torch": "2.13.0", "myst-nb": "1.4.0"}


def test_pin_mismatches_reports_wrong_and_missing(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text(f"torch=={torch.__version__.split('+')[0]}\npytest==0.0.1\nno-such-package-xyz==1.0\n")
    mismatches = environment.pin_mismatches(req)
    assert "torch" not in mismatches
    assert mismatches["pytest"][0] == "0.0.1"
    assert mismatches["no-such-package-xyz"] == ("1.0", "not installed")


def test_environment_report_names_the_processor_and_threads():
    report = environment.environment_report()
    assert report["processor"] and report["processor"] not in {"cpu", "CPU"}
    assert int(report["CPU threads used by PyTorch"]) == torch.get_num_threads()


@pytest.mark.parametrize(("text", "expected"), [
    ("processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\n", "Intel(R) Xeon(R) Processor"),
    ("processor\t: 0\nBogoMIPS\t: 50.00\nModel\t: Raspberry Pi 4 Model B\n", "Raspberry Pi 4 Model B"),
    ("processor\t: 0\n", ""),
])
def test_cpuinfo_model_reads_x86_and_arm_entries(text, expected):
    assert environment._cpuinfo_model(text) == expected
