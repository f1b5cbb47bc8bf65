"""The corner images and their pooled outputs equal the matrices derived by hand in the book."""

import pytest
import torch

from dlbook.pooling import corner_images, pool2x2


def test_corner_images_have_a_3x3_block_in_each_corner():
    images = corner_images()
    assert images.shape == (4, 1, 4, 4)
    assert torch.all(images.sum(dim=(1, 2, 3)) == 9)
    assert images[0, 0, 0, 0] == images[1, 0, 0, 3] == images[2, 0, 3, 3] == images[3, 0, 3, 0] == 1
    assert images[0, 0, 3, 3] == images[1, 0, 3, 0] == images[2, 0, 0, 0] == images[3, 0, 0, 3] == 0


def test_average_pooling_gives_the_book_matrices():
    expected = torch.tensor([
        [[1.0, 0.5], [0.5, 0.25]],
        [[0.5, 1.0], [0.25, 0.5]],
        [[0.25, 0.5], [0.5, 1.0]],
        [[0.5, 0.25], [1.0, 0.5]],
    ]).unsqueeze(1)
    assert torch.equal(pool2x2(corner_images(), "avg"), expected)  # means of four 0/1 values: exact quarters


def test_max_pooling_gives_all_ones_for_every_image():
    assert torch.equal(pool2x2(corner_images(), "max"), torch.ones(4, 1, 2, 2))


def test_bad_input_raises():
    with pytest.raises(ValueError, match="mode"):
        pool2x2(corner_images(), "min")
    with pytest.raises(ValueError, match="shape"):
        pool2x2(torch.ones(4, 4), "max")
    with pytest.raises(ValueError, match="block"):
        corner_images(4, 5)
