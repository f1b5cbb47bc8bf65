"""Uncertainty of accuracies: spread over seeds, test-set intervals, and paired comparisons of two models.

Two kinds of noise are kept apart. Training several seeds and scoring each on the same test set
measures how much *training* varies (:func:`mean_std`); the precision of a test accuracy over the
test images is a binomial interval (:func:`wilson_interval`), which is conservative for a mean over
seeds that err on different images. Two models scored on the same images are compared image by image
(:func:`paired_comparison`: the difference with its interval and McNemar's exact test); several
seeds of each are compared pooled over the seeds (:func:`pooled_paired_difference`), and the spread
of a quantity between seeds gives a Student-t interval (:func:`t_interval`).
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
class AccuracySummary:
    """Test accuracy over seeds: mean and spread over seeds, and the test-set interval of the mean."""

    mean: float
    std: float
    n_seeds: int
    n_test: int
    low: float
    high: float

    @property
    def half_width(self) -> float:
        """Half the width of the test-set interval (about 1.96 standard errors at 95%)."""
        return (self.high - self.low) / 2


def summarize_accuracies(accuracies: Sequence[float], n_test: int, level: float = 0.95) -> AccuracySummary:
    """Summarize per-seed test accuracies measured on the same ``n_test`` images.

    The interval is the Wilson interval of the mean accuracy as if one model had scored it on
    ``n_test`` images. It leaves out the noise of the seeds, and it is conservative for the noise
    of the images: seeds that err on different images make the seed mean's image noise smaller.
    """
    mean, std = mean_std(accuracies)
    low, high = wilson_interval(mean, n_test, level)
    return AccuracySummary(mean, std, len(accuracies), n_test, low, high)


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


def t_quantile(probability: float, df: int) -> float:
    """Return the ``probability`` quantile of Student's t distribution with ``df`` degrees of freedom."""
    if not 0.5 <= probability < 1.0 or df < 1:
        raise ValueError(f"expected 0.5 <= probability < 1 and df >= 1, got {probability}, {df}")
    log_scale = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)

    def cdf(t: float) -> float:  # 1/2 + the integral of the density from 0 to t (Simpson's rule)
        x = torch.linspace(0.0, t, 20001, dtype=torch.float64)
        pdf = torch.exp(log_scale - (df + 1) / 2 * torch.log1p(x * x / df))
        weights = torch.ones_like(x)
        weights[1:-1:2], weights[2:-1:2] = 4.0, 2.0
        return 0.5 + float((weights * pdf).sum()) * t / 60000

    low, high = 0.0, 1.0
    while cdf(high) < probability:
        low, high = high, 2 * high
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if cdf(middle) < probability else (low, middle)
    return (low + high) / 2


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


def pooled_paired_difference(correct_a: Sequence[torch.Tensor], correct_b: Sequence[torch.Tensor],
                             level: float = 0.95) -> tuple[float, float, float]:
    """Compare two models trained with the same seeds on the same images, pooled over the seeds.

    ``correct_a[s]`` says for every image whether seed ``s``'s model A is right. Each image's
    correctness is averaged over the seeds, the averages of A and B are subtracted image by
    image, and the mean difference comes back with its normal interval over the images,
    ``(difference, low, high)``. The interval measures the noise of the images only, not how
    much another set of seeds would move the difference (see :func:`t_interval`).
    """
    if len(correct_a) != len(correct_b) or not correct_a:
        raise ValueError(f"need the same non-zero number of seeds, got {len(correct_a)} and {len(correct_b)}")
    a = torch.stack([_as_bool(c, "correct_a").double() for c in correct_a])
    b = torch.stack([_as_bool(c, "correct_b").double() for c in correct_b])
    if a.shape != b.shape or a.shape[1] < 2:
        raise ValueError(f"correct_a and correct_b must score the same images, got {tuple(a.shape)} and {tuple(b.shape)}")
    per_image = a.mean(0) - b.mean(0)
    difference = float(per_image.mean())
    half = _z(level) * float(per_image.std(correction=1)) / math.sqrt(per_image.numel())
    return difference, difference - half, difference + half
