"""Missing-pixel and shift corruptions: exact counts, exact shifts, seeding and bad input."""

import pytest
import torch

from dlbook.corruption import shift_images, zero_pixels


def _images(n=6, c=1, h=7, w=9):
    return torch.arange(1, n * c * h * w + 1, dtype=torch.float32).reshape(n, c, h, w)


@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.5, 1.0])
def test_zero_pixels_drops_exact_fraction_per_image(fraction):
    x = _images(c=2)
    out = zero_pixels(x, fraction, seed=0)
    zeros_per_image = (out[:, 0] == 0).flatten(1).sum(1)
    assert torch.all(zeros_per_image == round(fraction * 7 * 9))
    assert torch.equal(out[:, 0] == 0, out[:, 1] == 0)  # same positions in every channel
    kept = out != 0
    assert torch.equal(out[kept], x[kept])  # the other pixels are untouched


def test_zero_pixels_is_seeded_and_differs_between_images():
    x = torch.ones(4, 1, 8, 8)
    a, b = zero_pixels(x, 0.3, seed=1), zero_pixels(x, 0.3, seed=1)
    assert torch.equal(a, b)
    assert not torch.equal(a, zero_pixels(x, 0.3, seed=2))
    assert not torch.equal(a[0], a[1])


def test_shift_images_moves_each_image_by_its_offset():
    x = torch.zeros(50, 1, 9, 9)
    x[:, 0, 4, 4] = 1.0  # one bright pixel in the centre
    out = shift_images(x, max_shift=2, seed=0)
    positions = out[:, 0].flatten(1).argmax(1)
    dy, dx = positions // 9 - 4, positions % 9 - 4
    assert torch.all(out.flatten(1).sum(1) == 1)  # nothing lost: the pixel stays inside
    assert dy.abs().max() == 2 and dx.abs().max() == 2
    assert len(set(zip(dy.tolist(), dx.tolist()))) > 10  # offsets vary between images


def test_shift_zero_is_identity_and_border_fills_with_zero():
    x = _images()
    assert torch.equal(shift_images(x, 0, seed=3), x)
    out = shift_images(torch.ones(30, 1, 5, 5), 1, seed=0)
    moved = out.flatten(1).sum(1) < 25
    assert moved.any() and set(out.unique().tolist()) <= {0.0, 1.0}


def test_shift_matches_roll_for_a_known_offset():
    x = torch.rand(40, 3, 6, 6)
    out = shift_images(x, 1, seed=5)
    for i in range(40):
        matches = []
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                ref = torch.zeros_like(x[i])
                ys, yd = (slice(0, 6 - dy), slice(dy, 6)) if dy >= 0 else (slice(-dy, 6), slice(0, 6 + dy))
                xs, xd = (slice(0, 6 - dx), slice(dx, 6)) if dx >= 0 else (slice(-dx, 6), slice(0, 6 + dx))
                ref[:, yd, xd] = x[i][:, ys, xs]
                matches.append(torch.equal(out[i], ref))
        assert sum(matches) == 1


@pytest.mark.parametrize("call,match", [
    (lambda: zero_pixels(torch.ones(2, 4, 4), 0.1, 0), "shape"),
    (lambda: zero_pixels(torch.ones(2, 1, 4, 4), 1.5, 0), "fraction"),
    (lambda: shift_images(torch.ones(2, 1, 4, 4), -1, 0), "max_shift"),
    (lambda: shift_images(torch.ones(2, 1, 4, 4), 4, 0), "smaller"),
])
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_correct_under_corruption_shape_and_values():
    from torch import nn

    from dlbook.corruption import correct_under_corruption

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
