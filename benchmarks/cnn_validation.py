"""Check the settings of chapter 3G's CNN on the validation split: the book's choice against three alternatives.

Usage (from the repository root, in the project's venv)::

    python benchmarks/cnn_validation.py [--seeds 0 1] [--json PATH]

The book's CNN and recipe (``BOOK_RECIPE`` of ``benchmarks/peers.py``, as chapter 3G defines it) were fixed in earlier
versions of chapter 3G partly by reading test accuracies. This script looks at the choice again
on the validation split only: it trains (or loads from the store, see ``dlbook.store``) each
variant for every seed and prints the number of validation errors per seed and their mean.
The variants change one setting each: no label smoothing, a lower peak learning rate, and the
wider (16, 32, 64) channels that the book used before. No test image is used. With
``--json PATH`` it also writes the errors and the run's provenance (date, commit, machine,
threads, device) to PATH; chapter 3G reads the recorded run, ``benchmarks/cnn-validation-record.json``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from dlbook.experiments import train_seeds
from dlbook.preprocess import load_splits
from peers import BOOK_RECIPE, provenance  # benchmarks/ is on the path when this script runs

VARIANTS = {
    "book: channels 8-16-64 + 64, max_lr 0.02, label smoothing 0.1": BOOK_RECIPE,
    "no label smoothing": dataclasses.replace(BOOK_RECIPE, label_smoothing=0.0),
    "max_lr 0.01": dataclasses.replace(BOOK_RECIPE, lr=0.01),
    "channels 16-32-64 + 64": dataclasses.replace(
        BOOK_RECIPE, network=dataclasses.replace(BOOK_RECIPE.network, channels=(16, 32, 64))),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the errors to PATH as JSON")
    args = parser.parse_args()
    if any(s < 0 for s in args.seeds):
        raise ValueError("seeds must be non-negative")
    data = load_splits(flatten=False)
    n_val = len(data.y_val)
    print(f"validation errors out of {n_val} images, {BOOK_RECIPE.n_epochs} epochs, seeds {args.seeds}")
    print(f"{'variant':<64} " + " ".join(f"seed {s:>2}" for s in args.seeds) + "    mean")
    variants = []
    for name, recipe in VARIANTS.items():
        errors = [round((1 - run.history.val_acc[-1]) * n_val) for run in train_seeds(recipe, data, args.seeds)]
        print(f"{name:<64} " + " ".join(f"{e:>7}" for e in errors) + f" {sum(errors) / len(errors):>7.1f}")
        variants.append({"name": name, "key": recipe.key(), "errors": errors,
                         "mean_errors": sum(errors) / len(errors)})
    if args.json is not None:
        record = {**provenance(), "seeds": args.seeds, "n_val": n_val, "n_epochs": BOOK_RECIPE.n_epochs,
                  "variants": variants}
        args.json.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
