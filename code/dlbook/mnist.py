"""Read MNIST from the vendored IDX files, checking every file's SHA-256 on every load."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import torch

#: The folder that holds the four vendored files (``data/mnist`` at the repository root).
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "mnist"

#: Expected SHA-256 of each file. These constants, not ``SHA256SUMS``, are the reference:
#: a test checks that the two agree, so an edited sums file cannot hide an edited data file.
EXPECTED_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

#: (images file, labels file, number of examples) for each split.
SPLITS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", 60000),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", 10000),
}

_IDX_UBYTE = 0x08


class MnistFileError(OSError):
    """A vendored MNIST file is missing, altered, truncated or malformed."""


def read_verified(path: Path, expected_sha256: str) -> bytes:
    """Return the bytes of ``path`` after checking their SHA-256 against ``expected_sha256``."""
    if not path.is_file():
        raise MnistFileError(
            f"MNIST file {path} is missing; expected a file with SHA-256 {expected_sha256}. "
            "Restore it from the repository (git checkout -- data/mnist)."
        )
    raw = path.read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected_sha256:
        raise MnistFileError(
            f"MNIST file {path} is corrupt or truncated ({len(raw)} bytes): "
            f"expected SHA-256 {expected_sha256}, got {actual}. "
            "Restore it from the repository (git checkout -- data/mnist)."
        )
    return raw


def parse_idx(raw: bytes, name: str = "<bytes>") -> torch.Tensor:
    """Decode uncompressed IDX bytes of unsigned bytes into a uint8 tensor of the stored shape."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise MnistFileError(f"{name} is not an IDX file: bad magic number")
    if raw[2] != _IDX_UBYTE:
        raise MnistFileError(f"{name}: IDX type code {raw[2]:#x} is not unsigned byte (0x08)")
    n_dims = raw[3]
    header = 4 + 4 * n_dims
    if len(raw) < header:
        raise MnistFileError(f"{name}: IDX header is truncated")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    n_values = int(np.prod(shape))
    if len(raw) - header != n_values:
        raise MnistFileError(
            f"{name}: IDX header promises {n_values} values of shape {shape}, "
            f"file holds {len(raw) - header}"
        )
    values = np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)
    return torch.from_numpy(values.copy())


def load_mnist(split: str = "train", data_dir: Path | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Return ``(images, labels)`` of a split: uint8 tensors of shapes ``(N, 28, 28)`` and ``(N,)``.

    ``split`` is ``"train"`` (N = 60000) or ``"test"`` (N = 10000). Every file's SHA-256
    is checked before it is decoded; a missing or altered file raises :class:`MnistFileError`
    naming the file and the checksum it should have.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
    folder = Path(data_dir) if data_dir is not None else DEFAULT_DATA_DIR
    images_name, labels_name, n = SPLITS[split]
    tensors = []
    for name in (images_name, labels_name):
        compressed = read_verified(folder / name, EXPECTED_SHA256[name])
        tensors.append(parse_idx(gzip.decompress(compressed), name))
    images, labels = tensors
    if images.shape != (n, 28, 28) or labels.shape != (n,):
        raise MnistFileError(
            f"{split} split has shapes {tuple(images.shape)} and {tuple(labels.shape)}, "
            f"expected ({n}, 28, 28) and ({n},)"
        )
    return images, labels
