"""The depth-versus-width study: a grid of MLP recipes, their seed-averaged test accuracy, and its plot."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from dlbook.experiments import MlpRecipe, score_on_test, train_seeds
from dlbook.plots import COLORS
from dlbook.preprocess import MnistSplits
from dlbook.stats import mean_std

_DEPTH_STYLE = {1: (COLORS["train"], "o"), 2: (COLORS["val"], "s"), 3: (COLORS["test"], "^")}


@dataclass(frozen=True)
class StudyPoint:
    """One architecture of the study: ``depth`` hidden layers of ``width`` units each."""

    depth: int
    width: int
    n_params: int
    test_acc_mean: float
    test_acc_std: float
    val_acc_mean: float


def grid_recipes(depths: Sequence[int], widths: Sequence[int], base: MlpRecipe) -> list[MlpRecipe]:
    """Return ``base`` with ``hidden_sizes = (width,) * depth`` for every depth and width, depth-major."""
    if not depths or not widths or min(depths) < 1 or min(widths) < 1:
        raise ValueError(f"depths and widths must be non-empty lists of positive ints, got {depths} and {widths}")
    return [dataclasses.replace(base, hidden_sizes=(int(w),) * int(d)) for d in depths for w in widths]


def run_study(recipes: Sequence[MlpRecipe], data: MnistSplits, seeds: Sequence[int]) -> list[StudyPoint]:
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


def plot_accuracy_vs_params(points: Sequence[StudyPoint]) -> Figure:
    """Return test accuracy (%) against parameter count (log scale), one line per depth, std as error bars."""
    if not points:
        raise ValueError("points must not be empty")
    fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    for depth in sorted({p.depth for p in points}):
        row = sorted((p for p in points if p.depth == depth), key=lambda p: p.n_params)
        color, marker = _DEPTH_STYLE.get(depth, (COLORS["neutral"], "D"))
        ax.errorbar([p.n_params for p in row], [100 * p.test_acc_mean for p in row],
                    yerr=[100 * p.test_acc_std for p in row], color=color, marker=marker, capsize=3,
                    label=f"{depth} hidden layer{'s' if depth > 1 else ''}")
        for p in row:
            ax.annotate(str(p.width), (p.n_params, 100 * p.test_acc_mean), textcoords="offset points",
                        xytext=(4, -10), fontsize=7, color=color)
    ax.set_xscale("log")
    thousands = FuncFormatter(lambda value, _: f"{value / 1000:g}k")
    ax.xaxis.set_major_formatter(thousands)
    ax.xaxis.set_minor_formatter(thousands)
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set(xlabel="trainable parameters (log scale)", ylabel="test accuracy (%)")
    ax.legend(title="units per layer annotated", loc="lower right")
    return fig
