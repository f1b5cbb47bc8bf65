"""Tests for dlbook.stats: seed spread, binomial intervals, McNemar's test and paired differences."""

import math

import pytest
import torch

from dlbook.stats import (mcnemar_p_value, mean_std, paired_comparison, pooled_paired_difference, standard_error,
                          summarize_accuracies, t_interval, t_quantile, wilson_interval)


def test_mean_std_uses_the_sample_standard_deviation():
    mean, std = mean_std([0.97, 0.98, 0.99])
    assert mean == pytest.approx(0.98) and std == pytest.approx(0.01)
    with pytest.raises(ValueError, match="at least two"):
        mean_std([0.9])


def test_standard_error_of_an_mnist_accuracy():
    # 98% on 10,000 images: sqrt(0.98 * 0.02 / 10000) = 0.0014, i.e. 0.14 percentage points
    assert standard_error(0.98, 10_000) == pytest.approx(0.0014)
    with pytest.raises(ValueError):
        standard_error(1.5, 10)


def test_wilson_interval_matches_a_textbook_value_and_contains_the_estimate():
    # Wilson 95% interval for 81 successes in 263 trials: (0.2553, 0.3662) (Newcombe 1998, example)
    low, high = wilson_interval(81 / 263, 263)
    assert low == pytest.approx(0.2553, abs=5e-4) and high == pytest.approx(0.3662, abs=5e-4)
    low, high = wilson_interval(0.9938, 10_000)
    assert low < 0.9938 < high and high < 1.0
    assert wilson_interval(1.0, 50)[1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="level"):
        wilson_interval(0.5, 10, level=1.0)


def test_wilson_interval_is_close_to_the_normal_interval_for_large_n():
    low, high = wilson_interval(0.98, 10_000)
    se = standard_error(0.98, 10_000)
    assert (high - low) / 2 == pytest.approx(1.959964 * se, rel=0.01)


def test_seeds_do_not_narrow_the_test_interval():
    few = summarize_accuracies([0.980, 0.981], 10_000)
    many = summarize_accuracies([0.980, 0.981] * 5, 10_000)
    assert few.half_width == pytest.approx(many.half_width, rel=1e-3)
    assert few.n_seeds == 2 and many.n_seeds == 10 and few.low < few.mean < few.high


def test_mcnemar_exact_values():
    # 1.0 exactly by construction: no discordant pairs returns 1.0, and larger tails are clipped to 1.0
    assert mcnemar_p_value(0, 0) == 1.0
    assert mcnemar_p_value(5, 5) == 1.0
    # 10 discordant pairs, all one way: 2 * 0.5**10
    assert mcnemar_p_value(10, 0) == pytest.approx(2 * 0.5 ** 10)
    # 8 against 2: 2 * P(X <= 2), X ~ Binomial(10, 1/2) = 2 * 56 / 1024
    assert mcnemar_p_value(2, 8) == pytest.approx(2 * 56 / 1024)
    assert 0.0 < mcnemar_p_value(300, 420) < 1e-4
    with pytest.raises(ValueError):
        mcnemar_p_value(-1, 3)


def test_paired_comparison_counts_disagreements():
    a = torch.tensor([1, 1, 1, 0, 1, 0, 1, 1], dtype=torch.bool)
    b = torch.tensor([1, 0, 0, 0, 1, 1, 1, 1], dtype=torch.bool)
    result = paired_comparison(a, b)
    assert (result.n, result.only_a_right, result.only_b_right) == (8, 2, 1)
    assert result.difference == pytest.approx(1 / 8)
    assert result.low < result.difference < result.high
    assert result.p_value == pytest.approx(1.0)


def test_paired_interval_is_narrower_than_separate_intervals_when_models_agree():
    generator = torch.Generator().manual_seed(0)
    a = torch.rand(10_000, generator=generator) < 0.98
    b = a.clone()
    flip = torch.randperm(10_000, generator=generator)[:60]
    b[flip] = ~b[flip]
    paired = paired_comparison(a, b)
    separate = math.hypot(*(standard_error(float(x.float().mean()), 10_000) for x in (a, b))) * 1.96
    assert (paired.high - paired.low) / 2 < separate


def test_paired_comparison_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match="same images"):
        paired_comparison([True, False], [True])
    with pytest.raises(ValueError, match="1-D"):
        paired_comparison([], [])


@pytest.mark.parametrize("df, expected", [(1, 12.7062), (2, 4.3027), (10, 2.2281), (100, 1.9840)])
def test_t_quantile_matches_table_values(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-3)


def test_t_interval_of_three_seeds_is_mean_plus_minus_t_times_standard_error():
    mean, low, high = t_interval([0.72, 0.18, 0.14])
    assert mean == pytest.approx(0.34667, abs=1e-4)
    assert (low, high) == pytest.approx((-0.458, 1.152), abs=2e-3)
    with pytest.raises(ValueError):
        t_interval([1.0])
    with pytest.raises(ValueError):
        t_interval([1.0, 2.0], level=1.5)


def test_pooled_paired_difference_averages_seeds_image_by_image():
    a = [torch.tensor([1, 1, 0, 1]), torch.tensor([1, 0, 0, 1])]
    b = [torch.tensor([1, 0, 0, 1]), torch.tensor([1, 0, 0, 0])]
    difference, low, high = pooled_paired_difference(a, b)
    per_image = torch.tensor([0.0, 0.5, 0.0, 0.5], dtype=torch.float64)
    half = 1.959964 * float(per_image.std()) / 2
    assert difference == pytest.approx(0.25)
    assert (low, high) == pytest.approx((0.25 - half, 0.25 + half), abs=1e-5)
    # one seed: the mean of the paired per-seed differences
    assert pooled_paired_difference(a[:1], b[:1])[0] == pytest.approx(paired_comparison(a[0], b[0]).difference)
    with pytest.raises(ValueError):
        pooled_paired_difference(a, b[:1])
    with pytest.raises(ValueError):
        pooled_paired_difference(a, [torch.tensor([1, 0]), torch.tensor([1, 0])])
