"""Tests for dlbook.toydata: seeded 2-D toy sets, the split, and the truth tables."""

import pytest
import torch

from dlbook.toydata import DATASETS, make_toy_data, train_test_split, truth_table


@pytest.mark.parametrize("name", DATASETS)
def test_shapes_labels_and_seed(name):
    x, y = make_toy_data(name, n=51, seed=3)
    assert x.shape == (51, 2) and y.shape == (51,) and x.dtype == torch.float64
    assert int(y.sum()) == 25 and set(y.tolist()) == {0, 1}
    x2, y2 = make_toy_data(name, n=51, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    assert not torch.equal(x, make_toy_data(name, n=51, seed=4)[0])


def test_circle_and_xor_geometry_without_noise():
    x, y = make_toy_data("circle", n=200, seed=0)
    r = x.norm(dim=1)
    assert (r[y == 1] <= 0.5).all() and (r[y == 0] >= 0.7).all()
    x, y = make_toy_data("xor", n=200, seed=0)
    assert torch.equal((x[:, 0] * x[:, 1] > 0).long(), y)


@pytest.mark.parametrize("kwargs", [{"name": "moons"}, {"name": "circle", "n": 1}, {"name": "xor", "noise": -1.0}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        make_toy_data(**kwargs)


def test_split_partitions_the_data():
    x, y = make_toy_data("gaussians", n=10, seed=0)
    xtr, ytr, xte, yte = train_test_split(x, y, 0.7, seed=1)
    assert len(xtr) == 7 and len(xte) == 3
    assert sorted(torch.cat([xtr, xte])[:, 0].tolist()) == sorted(x[:, 0].tolist())
    with pytest.raises(ValueError, match="train_fraction"):
        train_test_split(x, y, 1.0)


def test_truth_tables():
    x, y = truth_table("xor")
    assert x.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]
    assert truth_table("or")[1].tolist() == [0, 1, 1, 1]
    with pytest.raises(ValueError, match="one of"):
        truth_table("nand")
