"""Tests for dlbook.preprocess: scaling, one-hot targets, the validation split, and cross-entropy."""

import pytest
import torch
import torch.nn.functional as F

from dlbook import preprocess


def test_scale_images_flat_and_image_shapes():
    images = torch.tensor([[[0, 255], [51, 102]]], dtype=torch.uint8)
    flat = preprocess.scale_images(images)
    assert flat.shape == (1, 4) and flat.dtype == torch.float32
    assert torch.allclose(flat, torch.tensor([[0.0, 1.0, 0.2, 0.4]]))
    assert preprocess.scale_images(images, flatten=False).shape == (1, 1, 2, 2)


def test_scale_images_rejects_floats():
    with pytest.raises(ValueError, match="uint8 images"):
        preprocess.scale_images(torch.zeros(2, 28, 28))


def test_one_hot_rows():
    out = preprocess.one_hot(torch.tensor([2, 0, 9]))
    assert out.shape == (3, 10) and out.dtype == torch.float32
    assert out.sum(dim=1).tolist() == [1.0, 1.0, 1.0]  # one 1.0 and zeros: exact
    assert out.argmax(dim=1).tolist() == [2, 0, 9]


@pytest.mark.parametrize("labels", [torch.tensor([10]), torch.tensor([-1]), torch.tensor([[1]]), torch.tensor([0.5])])
def test_one_hot_rejects_bad_labels(labels):
    with pytest.raises(ValueError):
        preprocess.one_hot(labels)


def test_split_indices_are_disjoint_complete_and_seeded():
    train_idx, val_idx = preprocess.split_indices(100, 20, seed=3)
    assert len(train_idx) == 80 and len(val_idx) == 20
    assert sorted(torch.cat([train_idx, val_idx]).tolist()) == list(range(100))
    again = preprocess.split_indices(100, 20, seed=3)
    assert torch.equal(again[1], val_idx)
    assert not torch.equal(preprocess.split_indices(100, 20, seed=4)[1], val_idx)


@pytest.mark.parametrize("n_val", [0, 100, -1])
def test_split_indices_rejects_bad_sizes(n_val):
    with pytest.raises(ValueError, match="n_val"):
        preprocess.split_indices(100, n_val, seed=0)


def test_cross_entropy_on_indices_equals_categorical_cross_entropy_on_one_hot():
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(64, 10, generator=generator, dtype=torch.float64)
    labels = torch.randint(0, 10, (64,), generator=generator)
    by_index = F.cross_entropy(logits, labels)
    by_hand = -(preprocess.one_hot(labels).double() * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
    assert torch.allclose(by_index, by_hand, rtol=0, atol=1e-12)


def test_load_splits_shapes_and_disjointness():
    splits = preprocess.load_splits(flatten=True, n_val=10000, seed=0)
    assert splits.x_train.shape == (50000, 784) and splits.x_val.shape == (10000, 784)
    assert splits.x_test.shape == (10000, 784)
    assert splits.y_train.dtype == torch.int64 and splits.y_test.shape == (10000,)
    assert 0.0 <= float(splits.x_train.min()) and float(splits.x_train.max()) <= 1.0
    images = preprocess.load_splits(flatten=False).x_val
    assert images.shape == (10000, 1, 28, 28)


def test_splits_made_differently_have_different_sources():
    sources = {preprocess.load_splits(flatten=f, n_val=n, seed=s).source
               for f, n, s in [(True, 10000, 0), (False, 10000, 0), (True, 5000, 0), (True, 10000, 1)]}
    assert len(sources) == 4  # the stored networks of one never serve another


@pytest.mark.parametrize("source", ["", "has space", "a/b"])
def test_splits_reject_a_source_that_is_not_a_name(source):
    x, y = torch.zeros(2, 784), torch.zeros(2, dtype=torch.long)
    with pytest.raises(ValueError, match="source"):
        preprocess.MnistSplits(x, y, x, y, x, y, source)
