"""Tests for dlbook.metrics: confusion matrices and per-image correctness under corruption."""

import pytest
import torch
from torch import nn

from dlbook.corruption import zero_pixels
from dlbook.metrics import confusion_matrix, correct_under_corruption, reestimate_batchnorm


def test_confusion_matrix_counts_pairs_row_true_column_predicted():
    y_true = torch.tensor([0, 0, 1, 2, 2, 2])
    y_pred = torch.tensor([0, 1, 1, 2, 0, 2])
    matrix = confusion_matrix(y_true, y_pred, n_classes=3)
    assert matrix.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert int(matrix.sum()) == len(y_true) and int(matrix.trace()) == int((y_true == y_pred).sum())


@pytest.mark.parametrize("y_true,y_pred,match", [
    (torch.tensor([0, 1]), torch.tensor([0]), "equal shape"),
    (torch.tensor([0, 3]), torch.tensor([0, 1]), r"\[0, 2\]"),
    (torch.tensor([0, -1]), torch.tensor([0, 1]), r"\[0, 2\]"),
])
def test_confusion_matrix_rejects_bad_labels(y_true, y_pred, match):
    with pytest.raises(ValueError, match=match):
        confusion_matrix(y_true, y_pred, n_classes=3)


def test_correct_under_corruption_shape_and_values():
    class Brightness(nn.Module):
        """Predicts class 1 when the image is bright on average, else 0."""

        def __init__(self):
            super().__init__()
            self.dummy = nn.Parameter(torch.zeros(1))

        def forward(self, x):
            mean = x.flatten(1).mean(1, keepdim=True)
            return torch.cat([0.5 - mean, mean - 0.5], dim=1)

    x = torch.ones(20, 1, 4, 4)
    y = torch.ones(20, dtype=torch.long)
    calls = []

    def counted_zero_pixels(images, fraction, seed):
        calls.append(fraction)
        return zero_pixels(images, fraction, seed)

    correct = correct_under_corruption({"a": [Brightness(), Brightness()], "b": [Brightness()]}, x, y,
                                       counted_zero_pixels, [0.0, 0.25, 0.75])
    assert set(correct) == {"a", "b"} and correct["a"].shape == (2, 3, 20) and correct["b"].shape == (1, 3, 20)
    assert correct["a"].dtype == bool
    acc = {name: c.mean(axis=-1) for name, c in correct.items()}
    assert acc["a"][:, 0].tolist() == [1.0, 1.0] and acc["a"][:, 2].tolist() == [0.0, 0.0]
    assert acc["b"].tolist() == acc["a"][:1].tolist()
    assert calls == [0.0, 0.25, 0.75]  # each level corrupted once, shared by every model
    with pytest.raises(ValueError, match="at least one"):
        correct_under_corruption({}, x, y, zero_pixels, [0.0])
    with pytest.raises(ValueError, match="at least one"):
        correct_under_corruption({"a": []}, x, y, zero_pixels, [0.0])
    with pytest.raises(ValueError, match="at least one"):
        correct_under_corruption({"a": [Brightness()]}, x, y, zero_pixels, [])


def test_reestimate_batchnorm_takes_the_statistics_of_the_new_inputs():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 3, 3, bias=False), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(),
                          nn.Dropout(0.5), nn.Linear(3 * 4 * 4, 2)).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = 3.0 * torch.randn(70, 1, 6, 6) + 1.0
    adapted = reestimate_batchnorm(model, x, batch_size=32)  # batches of 32, 32 and 6
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())  # original untouched
    assert not adapted.training and adapted[1].momentum == model[1].momentum
    features = torch.nn.functional.conv2d(x, model[0].weight)
    assert torch.allclose(adapted[1].running_mean, features.mean(dim=(0, 2, 3)), atol=1e-5)
    # the variance averages the batches' unbiased variances, weighted by size: close to the whole set's
    assert torch.allclose(adapted[1].running_var, features.var(dim=(0, 2, 3)), rtol=0.05)
    assert torch.equal(adapted[0].weight, model[0].weight)
    # a positive scale of the input is undone: the convolution has no bias
    rescaled = reestimate_batchnorm(model, 0.5 * x, batch_size=32)
    assert torch.allclose(rescaled(0.5 * x), adapted(x), atol=1e-4)
    with pytest.raises(ValueError, match="batch-norm"):
        reestimate_batchnorm(nn.Linear(2, 2), torch.ones(3, 2))


def test_correct_under_corruption_adapts_each_model_to_each_level():
    seen = []

    def adapt(model, images):
        seen.append(float(images.mean()))
        return model

    model = nn.Sequential(nn.Flatten(), nn.Linear(16, 2))
    x, y = torch.ones(10, 1, 4, 4), torch.zeros(10, dtype=torch.long)
    correct_under_corruption({"a": [model, model]}, x, y, zero_pixels, [0.0, 0.5], adapt=adapt)
    assert seen == [1.0, 1.0, 0.5, 0.5]  # once per model and level, on the corrupted images
