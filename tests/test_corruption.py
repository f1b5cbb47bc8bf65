"""Missing-pixel and shift corruptions: exact counts, exact shifts, seeding and bad input."""

import pytest
import torch

from dlbook.corruption import dim_images, shift_images, translate_images, zero_pixels


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


def test_dim_images_is_the_expected_image_of_zero_pixels():
    x = torch.rand(400, 1, 8, 8)
    dimmed = dim_images(x, 0.25, seed=3)
    assert torch.allclose(dimmed, 0.75 * x) and not (dimmed == 0).any()  # no pixel missing
    assert torch.equal(dim_images(x, 0.0), x)
    holed = zero_pixels(x, 0.25, seed=3)
    # the mean over many images matches the dimmed mean (exactly 48 of 64 pixels kept per image)
    assert torch.allclose(holed.mean(0), dimmed.mean(0), atol=0.06)
    with pytest.raises(ValueError, match="fraction"):
        dim_images(x, 1.5)
    with pytest.raises(ValueError, match="shape"):
        dim_images(torch.ones(2, 4, 4), 0.5)


def test_translate_images_moves_every_image_by_every_offset():
    x = torch.zeros(3, 2, 9, 9)
    x[:, :, 4, 4] = 1.0  # one bright pixel in the centre of every image and channel
    shifts = [(dx, dy) for dy in range(-3, 4) for dx in range(-3, 4)]
    out = translate_images(x, shifts)
    assert out.shape == (len(shifts), 3, 2, 9, 9)
    for s, (dx, dy) in enumerate(shifts):
        rows, cols = torch.nonzero(out[s, :, 0] == 1, as_tuple=True)[1:]
        assert torch.all(rows == 4 + dy) and torch.all(cols == 4 + dx)  # dx right, dy down
        assert torch.equal(out[s, :, 0], out[s, :, 1])  # every channel alike
    assert out.sum() == len(shifts) * 3 * 2  # nothing lost: the pixel stays inside


def test_translate_images_agrees_with_shift_images_and_fills_with_zero():
    x = torch.rand(40, 1, 6, 6) + 0.5  # no pixel is 0 before the move
    random = shift_images(x, 2, seed=5)
    grid = translate_images(x, [(dx, dy) for dy in range(-2, 3) for dx in range(-2, 3)])
    for i in range(len(x)):  # each randomly moved image is one of the grid's (exact copies of pixels)
        assert sum(torch.equal(random[i], grid[s, i]) for s in range(25)) == 1
    moved = translate_images(x, [(2, -1)])[0]
    assert torch.all(moved[:, :, :, :2] == 0) and torch.all(moved[:, :, -1:, :] == 0)  # moved in: 0
    assert torch.equal(moved[:, :, :-1, 2:], x[:, :, 1:, :-2])  # the rest: the image, moved
    assert torch.equal(translate_images(x, [(0, 0)])[0], x)


@pytest.mark.parametrize("shifts,match", [([], "non-empty"), ([(1.0, 0)], "int"), ([(True, 0)], "int"),
                                          ([(0, 6)], "smaller")])
def test_translate_images_bad_input_raises(shifts, match):
    with pytest.raises(ValueError, match=match):
        translate_images(torch.ones(2, 1, 6, 6), shifts)
