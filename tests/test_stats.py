"""Tests for dlbook.stats: seed spread, binomial intervals, McNemar's test, paired differences, seeds and images."""

import math

import pytest
import torch

from dlbook.stats import (accuracy_over_seeds, difference_over_seeds, mcnemar_p_value, mean_std, paired_comparison,
                          seeds_and_images, standard_error, t_interval, t_quantile, wilson_interval)


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


def test_identical_seeds_give_the_binomial_interval_of_one_model():
    row = torch.tensor([1] * 980 + [0] * 20)
    one = accuracy_over_seeds([row, row, row])
    assert one.seed_variance == 0.0 and one.seed_share == 0.0 and one.df == 999
    # the sample variance of the 0/1 values over the images, divided by their number
    assert one.standard_error == pytest.approx(math.sqrt(0.98 * 0.02 / 999))
    assert one.half_width == pytest.approx(t_quantile(0.975, 999) * one.standard_error)
    assert one.mean == pytest.approx(0.98) and one.n_seeds == 3 and one.n_images == 1000


def test_seeds_that_err_on_different_images_narrow_the_image_noise():
    # three seeds, each wrong on its own 20 of 1000 images: every seed scores 98%
    rows = [torch.ones(1000) for _ in range(3)]
    for s, row in enumerate(rows):
        row[20 * s:20 * (s + 1)] = 0
    spread = accuracy_over_seeds(rows)
    assert spread.mean == pytest.approx(0.98) and spread.seed_variance == 0.0
    assert spread.standard_error < standard_error(0.98, 1000) / 1.5
    # the seeds differ less than chance: the unclipped seed term is negative, the interval images-only
    assert spread.seed_term < 0 and spread.images_only
    varied = accuracy_over_seeds([torch.ones(1000), torch.ones(1000), torch.cat([torch.zeros(100), torch.ones(900)])])
    assert varied.seed_term == pytest.approx(varied.seed_variance) and not varied.images_only


def test_seed_noise_widens_the_interval_and_takes_few_degrees_of_freedom():
    # seeds 90%, 95% and 99% right on the same 2,000 images: the seeds dominate
    rows = [torch.arange(2000) >= k for k in (200, 100, 20)]
    spread = accuracy_over_seeds(rows)
    assert spread.seed_share > 0.9 and 2.0 <= spread.df < 3.0
    mean, low, high = t_interval([0.90, 0.95, 0.99])
    assert spread.mean == pytest.approx(mean)
    assert spread.high - spread.low == pytest.approx(high - low, rel=0.1)


@pytest.mark.parametrize("seed_sd", [0.0, 0.4])
def test_interval_matches_brute_force_resampling_of_seeds_and_images(seed_sd):
    """New seeds and new images drawn from a known population, 200 times: the spread of the means
    is the truth the estimated standard error must match, and the 95% intervals must cover."""
    generator = torch.Generator().manual_seed(0)
    n_seeds, n_images, repeats = 4, 800, 200
    means, errors, covered = [], [], 0
    # the population accuracy: image difficulty and seed skill integrated out by a large draw
    difficulty = torch.randn(20_000, generator=generator) * 1.5 + 3.0
    skill = torch.randn(1_000, generator=generator) * seed_sd
    truth = float(torch.sigmoid(difficulty[:, None] + skill[None, :]).mean())
    for _ in range(repeats):
        difficulty = torch.randn(n_images, generator=generator) * 1.5 + 3.0
        skill = torch.randn(n_seeds, generator=generator) * seed_sd
        p_right = torch.sigmoid(difficulty[None, :] + skill[:, None])
        correct = torch.rand(n_seeds, n_images, generator=generator) < p_right
        result = accuracy_over_seeds(list(correct))
        means.append(result.mean)
        errors.append(result.standard_error)
        covered += result.low <= truth <= result.high
    true_sd = float(torch.tensor(means).std())
    assert float(torch.tensor(errors).pow(2).mean().sqrt()) == pytest.approx(true_sd, rel=0.15)
    assert 0.91 <= covered / repeats <= 0.99


def test_difference_over_seeds_pairs_seeds_image_by_image():
    a = [torch.tensor([1, 1, 0, 1]), torch.tensor([1, 0, 0, 1])]
    b = [torch.tensor([1, 0, 0, 1]), torch.tensor([1, 0, 0, 0])]
    result = difference_over_seeds(a, b)
    assert result.mean == pytest.approx(0.25)
    assert result.low < 0.25 < result.high
    same = difference_over_seeds(a, a)
    assert (same.mean, same.low, same.high) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="same number of seeds"):
        difference_over_seeds(a, b[:1])
    with pytest.raises(ValueError, match="same images"):
        difference_over_seeds(a, [torch.tensor([1, 0]), torch.tensor([1, 0])])


def test_seeds_and_images_rejects_bad_tables():
    with pytest.raises(ValueError, match="at least two seeds"):
        seeds_and_images([torch.ones(5)])
    with pytest.raises(ValueError, match="same length"):
        seeds_and_images([torch.ones(5), torch.ones(4)])
    with pytest.raises(ValueError, match="level"):
        seeds_and_images([torch.ones(5), torch.ones(5)], level=0.0)


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
