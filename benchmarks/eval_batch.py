"""Time inference of the book's CNNs and an MLP at several evaluation batch sizes.

Usage (from the repository root, in the project's venv)::

    python benchmarks/eval_batch.py [--repeats 3]

Each model (the max-pooling and the strided CNN of chapters 3F/3G, untrained, and an MLP of
chapter 2F's size) predicts the 10,000 MNIST test images in batches of each size; the
batch sizes alternate within every repeat so that a change in machine load hits all of them
alike. The script prints the best images per second of each batch size and its ratio to
``dlbook.train.EVAL_BATCH_SIZE``: a ratio above 1 means that batch size would be faster.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import torch
from torch import nn

from dlbook.models import build_mlp
from dlbook.preprocess import load_splits
from dlbook.runtime import default_device
from dlbook.train import EVAL_BATCH_SIZE, predict
from peers import BOOK_RECIPE  # benchmarks/ is on the path when this script runs

BATCH_SIZES = (128, EVAL_BATCH_SIZE, 2048, 10000)


def images_per_second(model: nn.Module, x: torch.Tensor, batch_size: int) -> float:
    """Return how many images of ``x`` per second :func:`dlbook.train.predict` handles."""
    start = time.perf_counter()
    predict(model, x, batch_size=batch_size)
    return len(x) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    data = load_splits(flatten=False)
    device = default_device()
    x_images = data.x_test.to(device)
    models = {
        "CNN, max pooling": (BOOK_RECIPE.network.build(), x_images),
        "CNN, strided": (dataclasses.replace(BOOK_RECIPE.network, downsample="stride").build(), x_images),
        "MLP 784-500-300-10": (build_mlp(784, [500, 300], 10), x_images.flatten(1)),
    }
    print(f"device {device}, {torch.get_num_threads()} thread(s), reference batch {EVAL_BATCH_SIZE}")
    for name, (model, x) in models.items():
        model = model.to(device=device, memory_format=torch.channels_last if x.dim() == 4 else torch.contiguous_format)
        predict(model, x[:EVAL_BATCH_SIZE])  # warm up
        best = dict.fromkeys(BATCH_SIZES, 0.0)
        for _ in range(args.repeats):
            for size in BATCH_SIZES:
                best[size] = max(best[size], images_per_second(model, x, size))
        print(f"\n{name}")
        for size in BATCH_SIZES:
            print(f"  batch {size:>5}: {best[size]:>9,.0f} images/s   ratio to {EVAL_BATCH_SIZE}: "
                  f"{best[size] / best[EVAL_BATCH_SIZE]:.2f}")


if __name__ == "__main__":
    main()
