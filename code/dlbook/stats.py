"""Uncertainty of accuracies: intervals over test images and seeds, and paired comparisons of two models.

A mean accuracy over several training seeds, all scored on the same test images, has two sources of
noise: the seeds (another seed trains another network) and the images (another test set of the same
size holds other images). :func:`accuracy_over_seeds` and :func:`difference_over_seeds` give an
interval that counts both, from a two-way variance decomposition of the per-image correctness (seeds
that err on different images make the image part smaller than one model's binomial error). One model
on one test set has the binomial intervals (:func:`wilson_interval`); two models scored on the same
images are compared image by image (:func:`paired_comparison`: the difference with its interval and
McNemar's exact test); the spread of one number per seed gives a Student-t interval (:func:`t_interval`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import torch


def _z(level: float) -> float:
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    return NormalDist().inv_cdf(0.5 + level / 2)


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Return the mean and the sample standard deviation (n - 1 in the denominator) of ``values``."""
    if len(values) < 2:
        raise ValueError(f"need at least two values for a sample standard deviation, got {len(values)}")
    t = torch.tensor([float(v) for v in values], dtype=torch.float64)
    return float(t.mean()), float(t.std(correction=1))


def standard_error(accuracy: float, n: int) -> float:
    """Return the binomial standard error sqrt(p (1 - p) / n) of an accuracy measured on ``n`` images."""
    if not 0.0 <= accuracy <= 1.0 or n < 1:
        raise ValueError(f"expected 0 <= accuracy <= 1 and n >= 1, got {accuracy}, {n}")
    return math.sqrt(accuracy * (1.0 - accuracy) / n)


def wilson_interval(accuracy: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Return the Wilson score interval of an accuracy measured on ``n`` independent test images."""
    if not 0.0 <= accuracy <= 1.0 or n < 1:
        raise ValueError(f"expected 0 <= accuracy <= 1 and n >= 1, got {accuracy}, {n}")
    z = _z(level)
    denominator = 1.0 + z * z / n
    centre = (accuracy + z * z / (2 * n)) / denominator
    half = z * math.sqrt(accuracy * (1.0 - accuracy) / n + z * z / (4 * n * n)) / denominator
    return centre - half, centre + half


@dataclass(frozen=True)
class PairedComparison:
    """Models A and B scored on the same images: who is right where, and how sure the difference is."""

    n: int
    only_a_right: int
    only_b_right: int
    difference: float
    low: float
    high: float
    p_value: float


def _as_bool(correct: torch.Tensor | Sequence[bool], name: str) -> torch.Tensor:
    t = torch.as_tensor(correct)
    if t.ndim != 1 or t.numel() == 0:
        raise ValueError(f"{name} must be a non-empty 1-D sequence of per-image correctness, got shape {tuple(t.shape)}")
    return t.bool()


def mcnemar_p_value(only_a_right: int, only_b_right: int) -> float:
    """Return McNemar's exact two-sided p-value for the discordant counts (a binomial test at 1/2)."""
    if only_a_right < 0 or only_b_right < 0:
        raise ValueError(f"counts must be non-negative, got {only_a_right}, {only_b_right}")
    n = only_a_right + only_b_right
    if n == 0:
        return 1.0
    k = min(only_a_right, only_b_right)
    log_terms = [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) - n * math.log(2)
                 for i in range(k + 1)]
    peak = max(log_terms)
    tail = math.exp(peak) * sum(math.exp(t - peak) for t in log_terms)
    return min(1.0, 2.0 * tail)


def paired_comparison(correct_a: torch.Tensor | Sequence[bool], correct_b: torch.Tensor | Sequence[bool],
                      level: float = 0.95) -> PairedComparison:
    """Compare two models on the same images: accuracy(A) - accuracy(B), its interval and McNemar's p.

    The interval is the normal approximation for a paired difference of proportions; it uses only
    the images on which the two models disagree, which is why a paired comparison is much more
    precise than two separate intervals.
    """
    a, b = _as_bool(correct_a, "correct_a"), _as_bool(correct_b, "correct_b")
    if a.shape != b.shape:
        raise ValueError(f"correct_a and correct_b must score the same images, got {tuple(a.shape)} and {tuple(b.shape)}")
    n = a.numel()
    only_a = int((a & ~b).sum())
    only_b = int((~a & b).sum())
    difference = (only_a - only_b) / n
    variance = max((only_a + only_b) / n - difference * difference, 0.0) / n
    half = _z(level) * math.sqrt(variance)
    return PairedComparison(n, only_a, only_b, difference, difference - half, difference + half,
                            mcnemar_p_value(only_a, only_b))


def t_quantile(probability: float, df: float) -> float:
    """Return the ``probability`` quantile of Student's t distribution with ``df`` degrees of freedom.

    With x = sqrt(df) tan(theta), the density of t becomes proportional to cos(theta)^(df - 1) on
    [0, pi/2), a smooth integrand: its cumulative integral, normalized to 1/2, is inverted on a grid.
    """
    if not 0.5 <= probability < 1.0 or df < 1:
        raise ValueError(f"expected 0.5 <= probability < 1 and df >= 1, got {probability}, {df}")
    theta = torch.linspace(0.0, math.pi / 2, 20_001, dtype=torch.float64)
    density = torch.cos(theta).clamp(min=0.0) ** (df - 1)
    steps = (density[1:] + density[:-1]) / 2 * (theta[1] - theta[0])
    mass = torch.cat([torch.zeros(1, dtype=torch.float64), steps.cumsum(0)])
    mass = mass / mass[-1]  # P(0 <= t <= sqrt(df) tan(theta)) / P(t >= 0)
    target = 2 * probability - 1
    i = int(torch.searchsorted(mass, torch.tensor([target], dtype=torch.float64)))
    i = min(max(i, 1), theta.numel() - 1)
    left, right = float(mass[i - 1]), float(mass[i])
    angle = float(theta[i - 1]) + (target - left) / (right - left) * float(theta[i] - theta[i - 1])
    return math.sqrt(df) * math.tan(angle)


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Return the mean of ``values`` (e.g. one number per seed) and its Student-t interval ``(low, high)``.

    The interval measures only the spread between the values: with few of them it is wide,
    because the t quantile (4.30 for three values at 95%) is much larger than 1.96.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    mean, std = mean_std(values)
    half = t_quantile(0.5 + level / 2, len(values) - 1) * std / math.sqrt(len(values))
    return mean, mean - half, mean + half


@dataclass(frozen=True)
class SeedsAndImages:
    """A mean over seeds and test images, with an interval that counts the noise of both.

    ``image_variance`` is the variance of the mean over another draw of the images with these
    seeds' networks (the per-image values averaged over the seeds, then their variance over the
    images, divided by their number); ``seed_variance`` is what other seeds add to it. The interval
    is Student-t with Satterthwaite's degrees of freedom ``df``: close to 1.96 standard errors when
    the images dominate, wide when a few seeds do.
    """

    mean: float
    low: float
    high: float
    image_variance: float
    seed_variance: float
    df: float
    n_seeds: int
    n_images: int
    #: The seed part's estimate before it is clipped at zero (negative: the seeds differ less than chance).
    seed_term: float = 0.0

    @property
    def standard_error(self) -> float:
        """The standard error of the mean, counting seeds and images."""
        return math.sqrt(self.image_variance + self.seed_variance)

    @property
    def half_width(self) -> float:
        """Half the width of the interval."""
        return (self.high - self.low) / 2

    @property
    def seed_share(self) -> float:
        """The fraction of the mean's variance that comes from the seeds (0 to 1)."""
        total = self.image_variance + self.seed_variance
        return self.seed_variance / total if total > 0 else 0.0

    @property
    def images_only(self) -> bool:
        """True when the seed part estimated at or below zero and the interval counts the images alone."""
        return self.seed_variance == 0.0


def _seeds_by_images(values: Sequence[torch.Tensor], name: str) -> torch.Tensor:
    if len(values) < 2:
        raise ValueError(f"{name} needs at least two seeds (one row of per-image values each), got {len(values)}")
    rows = [torch.as_tensor(v) for v in values]
    if any(r.ndim != 1 for r in rows) or len({r.numel() for r in rows}) != 1 or rows[0].numel() < 2:
        raise ValueError(f"{name} must hold 1-D rows of the same length (at least 2 images), "
                         f"got shapes {[tuple(r.shape) for r in rows]}")
    return torch.stack([r.double() for r in rows])


def seeds_and_images(values: Sequence[torch.Tensor], level: float = 0.95) -> SeedsAndImages:
    """Return the mean of a seeds x images table of per-image values and its interval over both.

    ``values[s][i]`` is seed ``s``'s value on image ``i`` (1.0 right, 0.0 wrong; or a difference of
    two such). The variance of the grand mean under new seeds and new images is estimated from the
    two-way analysis of variance without replication, (MS_seeds + MS_images - MS_residual) / (S N),
    with the seed part clipped at zero.

    Where the seed part estimates at or below zero (MS_seeds <= MS_residual: the seeds differ by
    no more than their disagreement image by image would give by chance), ``seed_variance`` is 0
    and the interval falls back to the images alone, Student's t with ``df = N - 1`` (9,999 for
    10,000 images): as if the seeds added no noise, although so few seeds cannot show that. A page
    that quotes such an interval should say so; ``seed_variance == 0`` (:attr:`SeedsAndImages.images_only`)
    marks it, and ``seed_term`` keeps the estimate before clipping.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    table = _seeds_by_images(values, "values")
    n_seeds, n_images = table.shape
    mean = float(table.mean())
    seed_means, image_means = table.mean(1), table.mean(0)
    residual = table - seed_means[:, None] - image_means[None, :] + mean
    ms_seeds = n_images * float(((seed_means - mean) ** 2).sum()) / (n_seeds - 1)
    ms_images = n_seeds * float(((image_means - mean) ** 2).sum()) / (n_images - 1)
    ms_residual = float((residual ** 2).sum()) / ((n_seeds - 1) * (n_images - 1))
    cells = n_seeds * n_images
    image_variance = ms_images / cells
    seed_variance = max(ms_seeds - ms_residual, 0.0) / cells
    if seed_variance > 0:  # Satterthwaite: the degrees of freedom of a sum of mean squares
        terms = [(ms_seeds, n_seeds - 1), (ms_images, n_images - 1), (-ms_residual, (n_seeds - 1) * (n_images - 1))]
        df = (ms_seeds + ms_images - ms_residual) ** 2 / sum(ms ** 2 / d for ms, d in terms)
    else:
        df = float(n_images - 1)
    half = t_quantile(0.5 + level / 2, max(df, 1.0)) * math.sqrt(image_variance + seed_variance)
    return SeedsAndImages(mean, mean - half, mean + half, image_variance, seed_variance, df, n_seeds, n_images,
                          seed_term=(ms_seeds - ms_residual) / cells)


def accuracy_over_seeds(correct: Sequence[torch.Tensor | Sequence[bool]], level: float = 0.95) -> SeedsAndImages:
    """Mean accuracy of several seeds scored on the same images, with an interval over seeds and images.

    ``correct[s]`` says for every image whether seed ``s``'s model is right.
    """
    return seeds_and_images([_as_bool(c, "correct").double() for c in correct], level)


def difference_over_seeds(correct_a: Sequence[torch.Tensor | Sequence[bool]],
                          correct_b: Sequence[torch.Tensor | Sequence[bool]], level: float = 0.95) -> SeedsAndImages:
    """Mean accuracy of model A minus model B, several seeds of each on the same images, over seeds and images.

    Seed ``s`` of A is paired with seed ``s`` of B image by image, so what the images share (an image
    hard for both) cancels; the interval counts the noise of the images and of the seeds of both.
    """
    if len(correct_a) != len(correct_b):
        raise ValueError(f"need the same number of seeds of A and B, got {len(correct_a)} and {len(correct_b)}")
    a = [_as_bool(c, "correct_a").double() for c in correct_a]
    b = [_as_bool(c, "correct_b").double() for c in correct_b]
    if any(x.shape != y.shape for x, y in zip(a, b)):
        raise ValueError("correct_a and correct_b must score the same images")
    return seeds_and_images([x - y for x, y in zip(a, b)], level)
