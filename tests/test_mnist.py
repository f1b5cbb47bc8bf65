"""Tests for dlbook.mnist: checksums, shapes, dtypes and clear errors on bad files."""

import gzip
import hashlib
import shutil
from pathlib import Path

import pytest
import torch

from dlbook import mnist


def test_sums_file_agrees_with_package_constants():
    lines = (mnist.DEFAULT_DATA_DIR / "SHA256SUMS").read_text().split("\n")
    listed = dict(reversed(line.split()) for line in lines if line.strip())
    assert listed == mnist.EXPECTED_SHA256


@pytest.mark.parametrize("name, expected", sorted(mnist.EXPECTED_SHA256.items()))
def test_vendored_files_have_expected_sha256(name, expected):
    data = (mnist.DEFAULT_DATA_DIR / name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == expected


@pytest.mark.parametrize("split, n", [("train", 60000), ("test", 10000)])
def test_load_mnist_shapes_and_dtypes(split, n):
    images, labels = mnist.load_mnist(split)
    assert images.shape == (n, 28, 28) and images.dtype == torch.uint8
    assert labels.shape == (n,) and labels.dtype == torch.uint8
    assert int(labels.min()) == 0 and int(labels.max()) == 9
    assert int(images.max()) == 255 and int(images.min()) == 0


def test_first_training_labels_are_the_known_ones():
    # The first ten labels of the original training file, a published fact about MNIST.
    _, labels = mnist.load_mnist("train")
    assert labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]


def test_unknown_split_raises_value_error():
    with pytest.raises(ValueError, match="split must be one of"):
        mnist.load_mnist("validation")


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    for name in mnist.EXPECTED_SHA256:
        shutil.copy(mnist.DEFAULT_DATA_DIR / name, tmp_path / name)
    return tmp_path


def test_copy_loads(data_copy):
    images, _ = mnist.load_mnist("test", data_copy)
    assert images.shape == (10000, 28, 28)


def test_missing_file_names_file_and_checksum(data_copy):
    name = "t10k-labels-idx1-ubyte.gz"
    (data_copy / name).unlink()
    with pytest.raises(mnist.MnistFileError) as err:
        mnist.load_mnist("test", data_copy)
    assert name in str(err.value) and mnist.EXPECTED_SHA256[name] in str(err.value)
    assert "missing" in str(err.value)


def test_truncated_file_names_file_and_checksum(data_copy):
    name = "t10k-images-idx3-ubyte.gz"
    path = data_copy / name
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(mnist.MnistFileError) as err:
        mnist.load_mnist("test", data_copy)
    assert name in str(err.value) and mnist.EXPECTED_SHA256[name] in str(err.value)
    assert "1000 bytes" in str(err.value)


def test_altered_file_names_file_and_checksum(data_copy):
    name = "t10k-labels-idx1-ubyte.gz"
    path = data_copy / name
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0xFF  # flip one byte
    path.write_bytes(bytes(raw))
    with pytest.raises(mnist.MnistFileError) as err:
        mnist.load_mnist("test", data_copy)
    assert name in str(err.value) and mnist.EXPECTED_SHA256[name] in str(err.value)


def test_parse_idx_round_trip():
    values = torch.arange(24, dtype=torch.uint8).reshape(2, 3, 4)
    header = bytes([0, 0, 0x08, 3]) + b"".join(d.to_bytes(4, "big") for d in (2, 3, 4))
    assert torch.equal(mnist.parse_idx(header + values.numpy().tobytes()), values)


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"\x01\x00\x08\x01" + (3).to_bytes(4, "big") + b"abc", "magic"),
        (b"\x00\x00\x0d\x01" + (3).to_bytes(4, "big") + b"abc", "type code"),
        (b"\x00\x00\x08\x01" + (4).to_bytes(4, "big") + b"abc", "promises 4 values"),
        (b"\x00\x00\x08\x02" + (4).to_bytes(4, "big"), "truncated"),
    ],
)
def test_parse_idx_rejects_malformed(raw, message):
    with pytest.raises(mnist.MnistFileError, match=message):
        mnist.parse_idx(raw, "x")


def test_loading_reads_gzip_members_not_raw_bytes(data_copy):
    # A valid IDX file stored uncompressed under the .gz name fails on its checksum,
    # before any attempt to decompress it.
    name = "t10k-labels-idx1-ubyte.gz"
    path = data_copy / name
    path.write_bytes(gzip.decompress(path.read_bytes()))
    with pytest.raises(mnist.MnistFileError, match="expected SHA-256"):
        mnist.load_mnist("test", data_copy)
