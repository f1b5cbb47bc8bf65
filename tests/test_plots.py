"""Tests for dlbook.plots: the shared style and the figures several chapters use."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from dlbook import plots  # noqa: E402
from dlbook.train import History  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_book_style_makes_figures_opaque_white():
    plots.use_book_style()
    assert matplotlib.rcParams["figure.facecolor"] == "white"
    assert matplotlib.rcParams["savefig.transparent"] is False


def test_plot_history_draws_both_panels_with_units():
    history = History(train_loss=[1.0, 0.5], train_acc=[0.6, 0.8], val_loss=[1.1, 0.7], val_acc=[0.55, 0.75])
    fig = plots.plot_history(history)
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_xlabel() == "epoch" and "loss" in loss_ax.get_ylabel()
    assert acc_ax.get_ylabel() == "accuracy (%)"
    assert len(loss_ax.lines) == 2 and len(acc_ax.lines) == 2
    assert list(acc_ax.lines[1].get_ydata()) == pytest.approx([55.0, 75.0])


def test_plot_history_zooms_onto_an_accuracy_band_and_marks_epochs_below_it():
    history = History(train_loss=[1.0, 0.5], train_acc=[0.9, 0.985], val_loss=[1.1, 0.7], val_acc=[0.95, 0.98])
    acc_ax = plots.plot_history(history, acc_range=(97, 100)).axes[1]
    assert acc_ax.get_ylim() == (97, 100)
    off_axis = [line for line in acc_ax.lines if line.get_linestyle() == "None"]
    assert [list(line.get_xdata()) for line in off_axis] == [[1], [1]]  # epoch 1 of train and validation
    floor_ax = plots.plot_history(history, loss_floor=0.5).axes[0]
    assert [line.get_label() for line in floor_ax.lines][-1] == "lowest possible"
    with pytest.raises(ValueError, match="acc_range"):
        plots.plot_history(history, acc_range=(100, 97))


def test_plot_history_ticks_whole_epochs_only():
    history = History(train_loss=[1.0, 0.5, 0.3], train_acc=[0.6, 0.8, 0.9])
    for ax in plots.plot_history(history).axes:
        ticks = [t for t in ax.get_xticks() if 1 <= t <= 3]
        assert ticks and all(float(t).is_integer() for t in ticks)


def test_digit_grid_titles_labels_and_predictions():
    images = torch.zeros(3, 28, 28, dtype=torch.uint8)
    fig = plots.plot_digit_grid(images, torch.tensor([1, 2, 3]), n_cols=2, predictions=torch.tensor([1, 7, 3]))
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["1→1", "2→7", "3→3"]
    assert len(fig.axes) == 4  # a 2 x 2 grid, the last cell empty


def test_digit_grid_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match="expected images"):
        plots.plot_digit_grid(torch.zeros(3, 28, 28), torch.tensor([1, 2]))
    with pytest.raises(ValueError, match="predictions"):
        plots.plot_digit_grid(torch.zeros(2, 28, 28), torch.tensor([1, 2]), predictions=torch.tensor([1]))


def test_class_counts_bars_match_bincount():
    labels = torch.tensor([0, 0, 3, 9, 9, 9])
    fig = plots.plot_class_counts(labels)
    heights = [patch.get_height() for patch in fig.axes[0].patches]
    assert heights == [2, 0, 0, 1, 0, 0, 0, 0, 0, 3]
    assert fig.axes[0].get_ylabel() == "number of images"


def test_smallest_text_px_sees_only_drawn_text():
    plots.use_book_style()
    fig, (ax, hidden) = plt.subplots(1, 2)
    ax.set_title("title", fontsize=12)
    ax.text(0.5, 0.5, "small", fontsize=7.2)
    hidden.text(0.5, 0.5, "not drawn", fontsize=3)
    hidden.set_visible(False)
    ax.text(0.2, 0.2, "   ", fontsize=2)  # blank: nothing to read
    # 7.2 pt at 100 dpi is 10 px; the tick labels (10 pt) are larger
    assert plots.smallest_text_px(fig) == pytest.approx(10.0)
    plt.close(fig)


def test_png_records_the_smallest_text_size():
    import base64
    import io

    from PIL import Image

    plots.use_book_style()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_xlabel("x", fontsize=9)
    png = Image.open(io.BytesIO(base64.b64decode(plots.png_with_text_size(fig))))
    assert float(png.text[plots.TEXT_SIZE_KEY]) == pytest.approx(9 * 100 / 72, abs=0.01)
    plt.close(fig)


def test_plot_depth_study_shows_accuracy_and_gaps_with_intervals():
    from dlbook.depthwidth import StudyPoint

    g = torch.Generator().manual_seed(0)

    def point(depth, budget, accuracy):
        correct = tuple(torch.rand(400, generator=g) < accuracy for _ in range(3))
        test = tuple(torch.rand(400, generator=g) < accuracy for _ in range(3))
        return StudyPoint(depth=depth, width=10, n_params=budget, seeds=(0, 1, 2),
                          val_correct=correct, test_correct=test)

    budgets = [10_000, 10_000, 10_000, 40_000, 40_000, 40_000]
    points = [point(d, b, 0.8 + 0.02 * d + b / 1e6) for b in (10_000, 40_000) for d in (1, 2, 3)]
    fig = plots.plot_depth_study(points, budgets)
    top, bottom = fig.axes
    assert bottom.get_xscale() == "log" and list(bottom.get_xticks()) == [10_000, 40_000]
    assert [t.get_text() for t in top.get_legend().get_texts()] == [
        "1 hidden layer", "2 hidden layers", "3 hidden layers"]
    assert [t.get_text() for t in bottom.get_legend().get_texts()] == ["2 minus 1 layer", "3 minus 2 layers"]
    assert "%" in top.get_ylabel() and "percentage points" in bottom.get_ylabel()
    assert "parameters" in bottom.get_xlabel()
    # the top panel's first line: depth 1's mean test accuracy, in percent
    assert list(top.lines[0].get_ydata()) == pytest.approx(
        [100 * float(torch.stack(p.test_correct).double().mean()) for p in points if p.depth == 1])
    # the bottom panel's first line: two layers minus one on validation, not on test
    two, one = [p for p in points if p.depth == 2], [p for p in points if p.depth == 1]
    assert list(bottom.lines[0].get_ydata()) == pytest.approx(
        [100 * float((torch.stack(a.val_correct).double() - torch.stack(b.val_correct).double()).mean())
         for a, b in zip(two, one)])
    with pytest.raises(ValueError):
        plots.plot_depth_study(points, budgets[:-1])
