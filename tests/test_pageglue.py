"""Tests of dlbook.pageglue: values are glued as plain numbers under prefixed keys; bad input glues nothing."""

import numpy as np
import pytest
import torch

from dlbook.pageglue import glue_values, plain_value, scientific


#: The MIME type under which ``myst_nb.glue(..., display=False)`` publishes a value's text.
GLUE_MIME = "application/papermill.record/text/plain"


@pytest.fixture
def glued():
    """A function returning what ``myst_nb.glue`` has really published so far, as (key, text) pairs."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    try:
        with capture_output() as captured:
            yield lambda: [(out.metadata["scrapbook"]["name"], out.data[GLUE_MIME]) for out in captured.outputs]
    finally:
        InteractiveShell.clear_instance()


def test_values_are_glued_hidden_under_the_prefix(glued):
    assert glue_values("cnn", {"test-acc": np.float32(0.5), "n-seeds": torch.tensor(3), "device": "CPU"}) is None
    assert glued() == [("cnn-test-acc", "0.5"), ("cnn-n-seeds", "3"), ("cnn-device", "'CPU'")]
    assert type(plain_value(np.float32(0.5))) is float and type(plain_value(torch.tensor(3))) is int


@pytest.mark.parametrize("value", [True, [1, 2], torch.zeros(2), None])
def test_a_value_that_is_not_a_scalar_is_refused(value):
    with pytest.raises(ValueError, match="number or a string"):
        plain_value(value)


@pytest.mark.parametrize("prefix, name", [("Cnn", "acc"), ("cnn", "test_acc"), ("", "acc"), ("cnn", "-acc")])
def test_a_bad_key_glues_nothing(glued, prefix, name):
    with pytest.raises(ValueError, match="lower-case words joined by hyphens"):
        glue_values(prefix, {"ok": 1, name: 2})
    assert glued() == []


def test_a_bad_value_glues_nothing(glued):
    with pytest.raises(ValueError):
        glue_values("cnn", {"ok": 1, "bad": [1]})
    assert glued() == []


@pytest.mark.parametrize("value, digits, text", [(1.42e-13, 2, "1.4 \u00d7 10\u207b\u00b9\u00b3"),
                                                  (1e-13, 2, "10\u207b\u00b9\u00b3"),
                                                  (2.5e4, 1, "2 \u00d7 10\u2074"),
                                                  (-3.0e-5, 2, "-3.0 \u00d7 10\u207b\u2075")])
def test_scientific_notation_for_prose(value, digits, text):
    assert scientific(value, digits) == text


def test_scientific_rounds_a_bound_up():
    assert scientific(1.42e-13, 2, up=True) == "1.5 \u00d7 10\u207b\u00b9\u00b3"
    assert scientific(9.96e-5, 2, up=True) == "10\u207b\u2074"
    assert scientific(3.0e-4, 1, up=True) == "3 \u00d7 10\u207b\u2074"


@pytest.mark.parametrize("value, digits", [(0.0, 2), (float("nan"), 2), (1.0, 0)])
def test_scientific_refuses_what_it_cannot_write(value, digits):
    with pytest.raises(ValueError, match="expected"):
        scientific(value, digits)
