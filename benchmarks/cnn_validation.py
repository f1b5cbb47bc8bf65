"""Check the settings of chapter 3G's CNN on the validation split: the book's choice against three alternatives.

Usage (from the repository root, in the project's venv)::

    python benchmarks/cnn_validation.py [--seeds 0 1]

The book's CNN and recipe (``dlbook.experiments.BOOK_RECIPE``) were fixed in earlier
versions of chapter 3G partly by reading test accuracies. This script looks at the choice again
on the validation split only: it trains (or loads from the store, see ``dlbook.store``) each
variant for every seed and prints the number of validation errors per seed and their mean.
The variants change one setting each: no label smoothing, a lower peak learning rate, and the
wider (16, 32, 64) channels that the book used before. No test image is used.
"""

from __future__ import annotations

import argparse
import dataclasses

from dlbook.experiments import BOOK_RECIPE, train_seeds
from dlbook.preprocess import load_splits

VARIANTS = {
    "book: channels 8-16-64 + 64, max_lr 0.02, label smoothing 0.1": BOOK_RECIPE,
    "no label smoothing": dataclasses.replace(BOOK_RECIPE, label_smoothing=0.0),
    "max_lr 0.01": dataclasses.replace(BOOK_RECIPE, lr=0.01),
    "channels 16-32-64 + 64": dataclasses.replace(BOOK_RECIPE, channels=(16, 32, 64)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = parser.parse_args()
    data = load_splits(flatten=False)
    n_val = len(data.y_val)
    print(f"validation errors out of {n_val} images, {BOOK_RECIPE.n_epochs} epochs, seeds {args.seeds}")
    print(f"{'variant':<64} " + " ".join(f"seed {s:>2}" for s in args.seeds) + "    mean")
    for name, recipe in VARIANTS.items():
        errors = [round((1 - run.history.val_acc[-1]) * n_val) for run in train_seeds(recipe, data, args.seeds)]
        print(f"{name:<64} " + " ".join(f"{e:>7}" for e in errors) + f" {sum(errors) / len(errors):>7.1f}")


if __name__ == "__main__":
    main()
