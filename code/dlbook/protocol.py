"""What chapters 2D, 2E and 2F share: data, seeds, the validation gate and the test report against a target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from sphinx_claims import claim
from dlbook.experiments import Run
from dlbook.plots import use_book_style
from dlbook.preprocess import MnistSplits, load_splits
from dlbook.stats import SeedsAndImages, accuracy_over_seeds, mean_std, wilson_interval
from dlbook.tables import markdown_table
from dlbook.train import predict

#: The training seeds of each chapter's chosen recipe.
SEEDS = (0, 1, 2)
#: The gate: the mean validation accuracy over SEEDS is at least the target minus this many pp.
GATE_TOLERANCE_PP = 0.2


def load_chapter_data() -> MnistSplits:
    """Set the figure style; return the chapters' splits: flat images, 10,000 for validation."""
    use_book_style()
    return load_splits(flatten=True, n_val=10000, seed=0)


def validation_gate(runs: Sequence[Run], target: float,
                    tolerance_pp: float = GATE_TOLERANCE_PP) -> tuple[float, float]:
    """Print and check the gate on the validation accuracies of ``runs``; return their mean and std.

    The gate is a claim: a recipe that misses it stops the build before the test set is read.
    """
    if len(runs) < 2:
        raise ValueError(f"need the runs of at least two seeds, got {len(runs)}")
    val_mean, val_std = mean_std([run.final_val_acc for run in runs])
    gate = target - tolerance_pp / 100
    print(f"validation accuracy over {len(runs)} seeds: "
          f"{val_mean:.2%} ± {val_std:.2%}; the gate asks for {gate:.2%}")
    claim("Validation gate: the mean validation accuracy over the book's seeds is "
          f"at least the target minus {tolerance_pp:g} percentage points.",
          "val_acc_mean >= target - tolerance_pp / 100", label="validation-gate", val_acc_mean=val_mean,
          target=target, tolerance_pp=tolerance_pp)
    return val_mean, val_std


@dataclass(frozen=True)
class TargetReport:
    """The test set read once per seed's network, beside the target and the original's run."""

    #: Per seed, which test images its network gets right.
    correct: tuple[torch.Tensor, ...]
    #: Per seed, its test accuracy.
    accs: tuple[float, ...]
    #: The mean test accuracy with its interval over seeds and test images.
    interval: SeedsAndImages
    #: The standard deviation of the seeds' test accuracies.
    std: float
    #: Wilson's 95% interval of the original's one test accuracy.
    original_interval: tuple[float, float]
    #: A Markdown table: target, original, and this book's validation and test accuracies.
    table: str


def report_against_target(runs: Sequence[Run], data: MnistSplits, target: float,
                          original: tuple[str, float], book: str,
                          validation: tuple[float, float]) -> TargetReport:
    """Read the test set once per network of ``runs``; return accuracies, interval, table.

    ``original`` is the original answer's row label and its one test accuracy, ``book``
    the label of this book's row, ``validation`` the mean and std of the validation
    accuracies over the seeds (from :func:`validation_gate`).
    """
    if len(runs) < 2:
        raise ValueError(f"need the runs of at least two seeds, got {len(runs)}")
    original_label, original_acc = original
    correct = tuple(predict(run.model, data.x_test) == data.y_test for run in runs)
    accs = tuple(float(c.double().mean()) for c in correct)
    interval = accuracy_over_seeds(correct)
    std = mean_std(accs)[1]
    low, high = wilson_interval(original_acc, len(data.x_test))
    table = markdown_table(
        ["model", "validation accuracy", "test accuracy", "95% interval"],
        [["target", "", f"{target:.2%}", ""],
         [original_label, "none held out", f"{original_acc:.2%}",
          f"{low:.2%} to {high:.2%}"],
         [f"{book}, mean ± std over {len(runs)} seeds",
          f"{validation[0]:.2%} ± {validation[1]:.2%}",
          f"{interval.mean:.2%} ± {std:.2%}",
          f"{interval.low:.2%} to {interval.high:.2%}"]])
    return TargetReport(correct, accs, interval, std, (low, high), table)
