"""Time one epoch of dlbook.train.train against a plain DataLoader loop on the same model and data.

Usage (from the repository root, in the project's venv)::

    python benchmarks/train_loop.py [--hidden 100] [--batch-size 256] [--repeats 3]

Both loops train a copy of the same freshly initialized MLP on the 50,000 MNIST training
images (the validation split held out), with the same optimizer, loss and batch size, for
one epoch each, alternating so that a change in machine load hits both alike. The script
prints the best (least disturbed) time of each and the ratio DataLoader / dlbook: a ratio
above 1 means the book's loop is faster.
"""

from __future__ import annotations

import argparse
import copy
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dlbook.models import build_mlp
from dlbook.preprocess import load_splits
from dlbook.runtime import default_device, seed_everything
from dlbook.train import train


def dataloader_epoch(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int, seed: int) -> float:
    """Train ``model`` for one epoch with a shuffling DataLoader and return the seconds it took."""
    device = next(model.parameters()).device
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    start = time.perf_counter()
    model.train()
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def dlbook_epoch(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int, seed: int) -> float:
    """Train ``model`` for one epoch with :func:`dlbook.train.train` and return the seconds it took."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    start = time.perf_counter()
    train(model, x, y, optimizer, n_epochs=1, batch_size=batch_size, seed=seed)
    if next(model.parameters()).device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def main() -> None:
    """Parse the options, run both loops ``--repeats`` times each and print the times and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[100], help="hidden layer sizes")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3, help="epochs timed per loop (the best is kept)")
    args = parser.parse_args()
    if args.repeats < 1 or args.batch_size < 1:
        raise ValueError(f"--repeats and --batch-size must be positive, got {args.repeats} and {args.batch_size}")

    data = load_splits()
    device = default_device()
    seed_everything(0)
    template = build_mlp(784, args.hidden, 10).to(device)
    times: dict[str, list[float]] = {"dlbook.train": [], "DataLoader": []}
    for repeat in range(args.repeats):
        times["dlbook.train"].append(
            dlbook_epoch(copy.deepcopy(template), data.x_train, data.y_train, args.batch_size, repeat))
        times["DataLoader"].append(
            dataloader_epoch(copy.deepcopy(template), data.x_train, data.y_train, args.batch_size, repeat))

    sizes = "-".join(str(s) for s in (784, *args.hidden, 10))
    print(f"model {sizes}, batch size {args.batch_size}, {len(data.x_train)} images, device {device}, "
          f"{torch.get_num_threads()} CPU threads, best of {args.repeats} epochs")
    for name, values in times.items():
        print(f"{name:13s} {min(values):7.3f} s/epoch   (all: {', '.join(f'{v:.3f}' for v in values)})")
    ratio = min(times["DataLoader"]) / min(times["dlbook.train"])
    print(f"ratio DataLoader / dlbook.train = {ratio:.2f} ({'dlbook.train is faster' if ratio >= 1 else 'dlbook.train is SLOWER'})")


if __name__ == "__main__":
    main()
