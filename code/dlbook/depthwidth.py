"""The depth-versus-width study: parameter-matched MLP recipes and their accuracies over seeds."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from dlbook.experiments import Recipe, score_on_test, train_seeds
from dlbook.preprocess import MnistSplits
from dlbook.stats import AccuracySummary, PairedComparison, paired_comparison, summarize_accuracies
from dlbook.train import predict



def n_params(depth: int, width: int, n_in: int = 784, n_out: int = 10) -> int:
    """Return the parameter count of an MLP with ``depth`` hidden layers of ``width`` units each."""
    if depth < 1 or width < 1:
        raise ValueError(f"depth and width must be positive, got {depth} and {width}")
    return (n_in + 1) * width + (depth - 1) * (width + 1) * width + (width + 1) * n_out


def matched_width(depth: int, budget: int, n_in: int = 784, n_out: int = 10) -> int:
    """Return the width whose ``depth``-layer MLP has the parameter count closest to ``budget``."""
    if depth < 1 or budget < n_params(depth, 1, n_in, n_out):
        raise ValueError(f"expected depth >= 1 and a budget of at least one unit per layer, got {depth}, {budget}")
    width = 1
    while n_params(depth, width + 1, n_in, n_out) <= budget:
        width += 1
    below, above = n_params(depth, width, n_in, n_out), n_params(depth, width + 1, n_in, n_out)
    return width if budget - below <= above - budget else width + 1


def matched_recipes(depths: Sequence[int], budgets: Sequence[int], base: Recipe) -> list[Recipe]:
    """Return ``base`` with ``depth`` equal hidden layers sized to each parameter budget, budget-major."""
    if not depths or not budgets or min(depths) < 1:
        raise ValueError(f"depths and budgets must be non-empty, depths positive, got {depths} and {budgets}")
    return [dataclasses.replace(base, hidden_sizes=(matched_width(d, b),) * d) for b in budgets for d in depths]


@dataclass(frozen=True)
class StudyPoint:
    """One architecture of the study: ``depth`` hidden layers of ``width`` units, scored per seed.

    ``val_correct[i]`` says, for every validation image, whether seed ``seeds[i]``'s model is right.
    """

    depth: int
    width: int
    n_params: int
    seeds: tuple[int, ...]
    val_accs: tuple[float, ...]
    test_accs: tuple[float, ...]
    val_correct: tuple[torch.Tensor, ...]

    def val(self) -> AccuracySummary:
        """Validation accuracy: mean and spread over seeds, and the interval over the validation images."""
        return summarize_accuracies(self.val_accs, len(self.val_correct[0]))

    def test(self, n_test: int) -> AccuracySummary:
        """Test accuracy: mean and spread over seeds, and the interval over the ``n_test`` test images."""
        return summarize_accuracies(self.test_accs, n_test)


def run_study(recipes: Sequence[Recipe], data: MnistSplits, seeds: Sequence[int]) -> list[StudyPoint]:
    """Train every recipe with every seed; score each model once on validation and once on test."""
    if len(seeds) < 2:
        raise ValueError(f"need at least two seeds for error bars, got {list(seeds)}")
    points = []
    for recipe in recipes:
        if len(set(recipe.hidden_sizes)) != 1:
            raise ValueError(f"study recipes must have equal widths, got hidden_sizes={recipe.hidden_sizes}")
        runs = train_seeds(recipe, data, seeds)
        correct = tuple(predict(run.model, data.x_val) == data.y_val for run in runs)
        points.append(StudyPoint(depth=len(recipe.hidden_sizes), width=recipe.hidden_sizes[0],
                                 n_params=runs[0].n_params, seeds=tuple(seeds),
                                 val_accs=tuple(float(c.double().mean()) for c in correct),
                                 test_accs=tuple(score_on_test(runs, data)), val_correct=correct))
    return points


def paired_by_seed(a: StudyPoint, b: StudyPoint) -> list[PairedComparison]:
    """Compare ``a`` with ``b`` on the validation images, seed by seed (accuracy of a minus b)."""
    if a.seeds != b.seeds:
        raise ValueError(f"points must share their seeds, got {a.seeds} and {b.seeds}")
    return [paired_comparison(ca, cb) for ca, cb in zip(a.val_correct, b.val_correct)]
