"""The depth-versus-width study: a grid of MLP recipes and their seed-averaged accuracies."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from dlbook.experiments import Recipe, mean_std, score_on_test, train_seeds
from dlbook.preprocess import MnistSplits


@dataclass(frozen=True)
class StudyPoint:
    """One architecture of the study: ``depth`` hidden layers of ``width`` units each."""

    depth: int
    width: int
    n_params: int
    test_acc_mean: float
    test_acc_std: float
    val_acc_mean: float


def grid_recipes(depths: Sequence[int], widths: Sequence[int], base: Recipe) -> list[Recipe]:
    """Return ``base`` with ``hidden_sizes = (width,) * depth`` for every depth and width, depth-major."""
    if not depths or not widths or min(depths) < 1 or min(widths) < 1:
        raise ValueError(f"depths and widths must be non-empty lists of positive ints, got {depths} and {widths}")
    return [dataclasses.replace(base, hidden_sizes=(int(w),) * int(d)) for d in depths for w in widths]


def run_study(recipes: Sequence[Recipe], data: MnistSplits, seeds: Sequence[int]) -> list[StudyPoint]:
    """Train every recipe with every seed; return one :class:`StudyPoint` per recipe (mean and sample std over seeds)."""
    if len(seeds) < 2:
        raise ValueError(f"need at least two seeds for error bars, got {list(seeds)}")
    points = []
    for recipe in recipes:
        if len(set(recipe.hidden_sizes)) != 1:
            raise ValueError(f"study recipes must have equal widths, got hidden_sizes={recipe.hidden_sizes}")
        runs = train_seeds(recipe, data, seeds)
        test_mean, test_std = mean_std(score_on_test(runs, data))
        val_mean, _ = mean_std([run.final_val_acc for run in runs])
        points.append(StudyPoint(depth=len(recipe.hidden_sizes), width=recipe.hidden_sizes[0],
                                 n_params=runs[0].n_params, test_acc_mean=test_mean,
                                 test_acc_std=test_std, val_acc_mean=val_mean))
    return points
