"""The depth-versus-width study: parameter-matched MLP recipes and their accuracies over seeds."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from dlbook.experiments import Recipe
from dlbook.models import MLP
from dlbook.preprocess import MnistSplits
from dlbook.stackedseeds import predict_stacked, stacked_seeds
from dlbook.stats import SeedsAndImages, accuracy_over_seeds, difference_over_seeds, mean_std


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
    if not isinstance(base.network, MLP):
        raise ValueError(f"base must be an MLP recipe, got {base.network!r}")
    return [dataclasses.replace(base, network=dataclasses.replace(base.network, hidden_sizes=(matched_width(d, b),) * d))
            for b in budgets for d in depths]


@dataclass(frozen=True)
class StudyPoint:
    """One architecture of the study: ``depth`` hidden layers of ``width`` units, scored per seed.

    ``val_correct[i]`` and ``test_correct[i]`` say, for every validation and test image, whether
    seed ``seeds[i]``'s model is right; ``train_loss[i]`` is its training loss after each epoch.
    """

    depth: int
    width: int
    n_params: int
    seeds: tuple[int, ...]
    val_correct: tuple[torch.Tensor, ...]
    test_correct: tuple[torch.Tensor, ...]
    train_loss: tuple[tuple[float, ...], ...] = ()

    @property
    def val_accs(self) -> tuple[float, ...]:
        """Each seed's validation accuracy."""
        return tuple(float(c.double().mean()) for c in self.val_correct)

    @property
    def val_std(self) -> float:
        """The standard deviation of the validation accuracy over the seeds."""
        return mean_std(self.val_accs)[1]

    def val(self) -> SeedsAndImages:
        """Mean validation accuracy over the seeds, with its interval over seeds and validation images."""
        return accuracy_over_seeds(self.val_correct)

    def test(self) -> SeedsAndImages:
        """Mean test accuracy over the seeds, with its interval over seeds and test images."""
        return accuracy_over_seeds(self.test_correct)


def run_study(recipes: Sequence[Recipe], data: MnistSplits, seeds: Sequence[int]) -> list[StudyPoint]:
    """Train every recipe with every seed; score each model once on validation and once on test.

    The seeds of one recipe are trained together (:func:`dlbook.stackedseeds.stacked_seeds`), each
    as :func:`dlbook.experiments.train_model` would train it alone, and kept in the store.
    """
    if len(seeds) < 2:
        raise ValueError(f"need at least two seeds for error bars, got {list(seeds)}")
    points = []
    for recipe in recipes:
        sizes = getattr(recipe.network, "hidden_sizes", ())
        if len(set(sizes)) != 1:
            raise ValueError(f"study recipes must be MLPs with equal widths, got {recipe.network!r}")
        net, losses = stacked_seeds(recipe, data, seeds)
        val = predict_stacked(net, data.x_val) == data.y_val
        test = predict_stacked(net, data.x_test) == data.y_test
        points.append(StudyPoint(depth=len(sizes), width=sizes[0],
                                 n_params=sum(p.numel() for p in net.parameters()) // len(seeds),
                                 seeds=tuple(seeds), val_correct=tuple(val), test_correct=tuple(test),
                                 train_loss=tuple(tuple(x) for x in losses)))
    return points


def difference(a: StudyPoint, b: StudyPoint) -> SeedsAndImages:
    """Mean validation accuracy of ``a`` minus ``b``, paired seed by seed and image by image, over both."""
    if a.seeds != b.seeds:
        raise ValueError(f"points must share their seeds, got {a.seeds} and {b.seeds}")
    return difference_over_seeds(a.val_correct, b.val_correct)
