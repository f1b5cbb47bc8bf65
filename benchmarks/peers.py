"""Train the book's MNIST CNN recipe and two public recipes side by side on this machine, and compare.

Usage (from the repository root, in the project's venv)::

    python benchmarks/peers.py [--seeds 0 1] [--epochs 3] [--example-epochs 3] [--json PATH]

The three recipes, written from their published descriptions and run on the book's in-memory
data (50,000 training images, 10,000 validation images held out, the 10,000 test images) and
the book's training loop (:func:`dlbook.train.train`), one epoch per call, all three with the
images and weights in channels-last memory as the book trains its CNNs (on a CPU it makes a
training step of any of these networks markedly faster, so giving it to one recipe only would
handicap the others):

- **book**: chapter 3G's network and recipe (:data:`BOOK_RECIPE` below): AdamW,
  one-cycle learning rate, label smoothing, batch 256.
- **train_mnist_fast** (tuomaso/train_mnist_fast on GitHub, its final notebook): conv 5x5 with 24
  channels, max-pool, ReLU, conv 3x3 with 32 channels, max-pool, ReLU, dense 256, dense 10;
  Adam (lr 0.01, betas 0.7 and 0.9) with a one-cycle learning rate that leaves the momentum
  alone (``cycle_momentum=False``, as in its ``8_Final_00s76.ipynb``, so beta1 stays 0.7),
  batch 256, normalized inputs.
- **pytorch example** (pytorch/examples, ``mnist/main.py``): conv 3x3 32, conv 3x3 64, max-pool,
  dropout 0.25, dense 128, dropout 0.5, dense 10; Adadelta (lr 1.0) with the learning rate
  times 0.7 after each epoch, batch 64, normalized inputs. It is published with 14 epochs; here
  it gets ``--example-epochs`` (each epoch is about ten times the others' work).

Seeds alternate between the recipes, so a change in the machine's load hits all of them. For
each recipe the script prints its parameters and multiply-adds per image, the seconds per
epoch, validation and test accuracy after each epoch (mean over seeds; the JSON record also keeps
each seed's), the training seconds
until the mean validation accuracy first reaches 99.0% and 99.3% (at epoch ends; "-" if never),
and the ratio of those seconds to the book's. Only training is timed, not the evaluation. With
``--json PATH`` it also writes these numbers and the run's provenance (:func:`provenance`: the
date, the commit with "+ uncommitted changes" if the work tree differs from it, the processor,
the thread count and the device) to PATH; chapter 3G reads the recorded run,
``benchmarks/peers-record.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from dlbook.cnn import CNN
from dlbook.convarith import layer_costs
from dlbook.environment import processor_name
from dlbook.experiments import Recipe
from dlbook.models import count_parameters
from dlbook.preprocess import load_splits
from dlbook.runtime import default_device, seed_everything
from dlbook.train import evaluate, train

#: Mean and standard deviation of the MNIST training pixels in [0, 1], as both public recipes normalize.
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
THRESHOLDS = (0.990, 0.993)
#: Chapter 3G's recipe, as its first cells define it (3F trains it too). Records keep its key, and
#: the page compares a record with its own networks only when the keys match.
BOOK_RECIPE = Recipe(network=CNN(channels=(8, 16, 64), final_conv_channels=64),
                     n_epochs=3, batch_size=256, lr=0.02, label_smoothing=0.1)


@dataclass(frozen=True)
class Peer:
    """A recipe: how to build the network, its optimizer and schedule, its batch size and input scaling."""

    name: str
    build: Callable[[], nn.Module]
    optimizer: Callable[[nn.Module], torch.optim.Optimizer]
    per_batch_schedule: Callable[[torch.optim.Optimizer, int], object] | None
    per_epoch_schedule: Callable[[torch.optim.Optimizer], object] | None
    batch_size: int
    normalize: bool
    label_smoothing: float = 0.0
    key: str | None = None  # the book's recipe key (dlbook.experiments.Recipe.key), None for the others


def fast_net() -> nn.Module:
    """train_mnist_fast's final network (max-pool before ReLU, as published)."""
    return nn.Sequential(
        nn.Conv2d(1, 24, 5), nn.MaxPool2d(2), nn.ReLU(),
        nn.Conv2d(24, 32, 3), nn.MaxPool2d(2), nn.ReLU(),
        nn.Flatten(), nn.Linear(800, 256), nn.ReLU(), nn.Linear(256, 10))


def example_net() -> nn.Module:
    """The network of pytorch/examples' mnist/main.py."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.25),
        nn.Flatten(), nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))


def peers(epochs: int, example_epochs: int) -> list[tuple[Peer, int]]:
    """The three recipes with the number of epochs each trains."""
    book_epochs = BOOK_RECIPE.n_epochs if epochs is None else epochs
    book = Peer(
        "book (3G)", BOOK_RECIPE.network.build,
        lambda m: torch.optim.AdamW(m.parameters(), lr=BOOK_RECIPE.lr, weight_decay=BOOK_RECIPE.weight_decay),
        lambda opt, steps: torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=BOOK_RECIPE.lr, total_steps=steps),
        None, BOOK_RECIPE.batch_size, normalize=False, label_smoothing=BOOK_RECIPE.label_smoothing,
        key=dataclasses.replace(BOOK_RECIPE, n_epochs=book_epochs).key())
    fast = Peer(
        "train_mnist_fast", fast_net, lambda m: torch.optim.Adam(m.parameters(), lr=0.01, betas=(0.7, 0.9)),
        lambda opt, steps: torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.01, total_steps=steps,
                                                               cycle_momentum=False),
        None, 256, normalize=True)
    example = Peer(
        "pytorch example", example_net, lambda m: torch.optim.Adadelta(m.parameters(), lr=1.0),
        None, lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7), 64, normalize=True)
    return [(book, book_epochs), (fast, epochs or 3), (example, example_epochs)]


def run(peer: Peer, n_epochs: int, seed: int, data) -> dict:
    """Train ``peer`` from ``seed``; return seconds, validation and test accuracy after every epoch."""
    device = default_device()
    scale = (lambda x: (x - MNIST_MEAN) / MNIST_STD) if peer.normalize else (lambda x: x)
    memory_format = torch.channels_last  # the book's loop and layout for every recipe (faster on CPU for all three)
    x_train, x_val, x_test = (scale(x).to(device).contiguous(memory_format=memory_format)
                              for x in (data.x_train, data.x_val, data.x_test))
    seed_everything(seed)
    model = peer.build().to(device=device, memory_format=memory_format)
    optimizer = peer.optimizer(model)
    steps = n_epochs * -(-len(x_train) // peer.batch_size)
    batch_schedule = peer.per_batch_schedule(optimizer, steps) if peer.per_batch_schedule else None
    epoch_schedule = peer.per_epoch_schedule(optimizer) if peer.per_epoch_schedule else None
    loss_fn = functools.partial(F.cross_entropy, label_smoothing=peer.label_smoothing)
    seconds, val, test = [], [], []
    for epoch in range(n_epochs):
        start = time.perf_counter()
        train(model, x_train, data.y_train, optimizer, 1, peer.batch_size, loss_fn=loss_fn,
              seed=1000 * seed + epoch, scheduler=batch_schedule)
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - start)
        if epoch_schedule is not None:
            epoch_schedule.step()
        val.append(evaluate(model, x_val, data.y_val)[1])
        test.append(evaluate(model, x_test, data.y_test)[1])
        model.train()
    return {"seconds": seconds, "val": val, "test": test}


def seconds_to_reach(mean_val: list[float], cumulative: list[float], threshold: float) -> float | None:
    """Training seconds at the end of the first epoch whose mean validation accuracy reaches ``threshold``."""
    return next((s for acc, s in zip(mean_val, cumulative) if acc >= threshold), None)


def summarize(recipes: list[tuple[Peer, int]], results: dict[str, list[dict]]) -> list[dict]:
    """One record per recipe, means over the seeds: size, seconds and accuracies after each epoch, seconds to each threshold.

    Seconds are rounded to 0.1 s, accuracies to 4 digits and multiply-adds to 0.01 million, as printed.
    """
    records = []
    for peer, n_epochs in recipes:
        runs = results[peer.name]
        model = peer.build()
        mean = lambda key: [sum(r[key][e] for r in runs) / len(runs) for e in range(n_epochs)]  # noqa: E731
        per_epoch, val, test = mean("seconds"), mean("val"), mean("test")
        cumulative = [sum(per_epoch[: e + 1]) for e in range(n_epochs)]
        reach = {f"{100 * t:.1f}": seconds_to_reach(val, cumulative, t) for t in THRESHOLDS}
        records.append({
            "name": peer.name, "key": peer.key, "parameters": count_parameters(model),
            "multiply_adds_millions": round(sum(c.macs for c in layer_costs(model)) / 1e6, 2),
            "seconds_per_epoch": round(sum(per_epoch) / n_epochs, 1),
            "epochs": [{"epoch": e + 1, "seconds": round(cumulative[e], 1), "val_acc": round(val[e], 4),
                        "test_acc": round(test[e], 4),
                        "val_acc_per_seed": [round(r["val"][e], 4) for r in runs],
                        "test_acc_per_seed": [round(r["test"][e], 4) for r in runs]} for e in range(n_epochs)],
            "seconds_to_reach": {t: None if s is None else round(s, 1) for t, s in reach.items()},
        })
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=None, help="epochs for the book and train_mnist_fast (default: the book's)")
    parser.add_argument("--example-epochs", type=int, default=3, help="epochs for the PyTorch example (published: 14)")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the numbers to PATH as JSON")
    args = parser.parse_args()
    if any(s < 0 for s in args.seeds) or (args.epochs is not None and args.epochs < 1) or args.example_epochs < 1:
        raise ValueError("seeds must be non-negative and epoch counts positive")
    data = load_splits(flatten=False)
    recipes = peers(args.epochs, args.example_epochs)
    results: dict[str, list[dict]] = {peer.name: [] for peer, _ in recipes}
    for seed in args.seeds:  # alternate: every recipe's seed s runs before any recipe's seed s + 1
        for peer, n_epochs in recipes:
            results[peer.name].append(run(peer, n_epochs, seed, data))
            print(f"  trained {peer.name}, seed {seed}", flush=True)
    print(f"\ndevice {default_device()}, {torch.get_num_threads()} threads, seeds {args.seeds}\n")
    records = summarize(recipes, results)
    book_reach = records[0]["seconds_to_reach"]  # the book's recipe comes first
    for r in records:
        print(f"{r['name']}: {r['parameters']:,} parameters, {r['multiply_adds_millions']:.2f} M multiply-adds "
              f"per image, {r['seconds_per_epoch']:.1f} s per epoch")
        for e in r["epochs"]:
            print(f"  epoch {e['epoch']}: {e['seconds']:6.1f} s   validation {e['val_acc']:.2%}   "
                  f"test {e['test_acc']:.2%}")
        for t, reach in r["seconds_to_reach"].items():
            seconds = "-" if reach is None else f"{reach:.1f} s"
            versus = f"{reach / book_reach[t]:.2f} x the book's" if reach is not None and book_reach[t] else ""
            print(f"  {t}% validation: {seconds}  {versus}")
    if args.json is not None:
        record = {**provenance(), "seeds": args.seeds, "recipes": records}
        args.json.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")


def provenance() -> dict:
    """Where and when a benchmark ran: date, commit, processor, logical CPUs, PyTorch threads, device."""
    return {"date": date.today().isoformat(), "commit": _commit(),
            "machine": f"{processor_name()}, {os.cpu_count()} logical CPUs", "device": default_device().type,
            "threads": torch.get_num_threads()}


def _commit() -> str:
    """The short commit of HEAD, plus " + uncommitted changes" if the work tree differs; "unknown" outside git."""
    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=here).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, check=True,
                               cwd=here).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} + uncommitted changes" if dirty else head


if __name__ == "__main__":
    main()
