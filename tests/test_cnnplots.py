"""Tests for dlbook.cnnplots: every figure of Part 3 has its panels, labels and scales."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from dlbook import cnnplots  # noqa: E402
from dlbook.plots import COLORS  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_heatmaps_one_panel_per_map_and_a_shared_colour_scale():
    fig = cnnplots.plot_heatmaps([torch.zeros(2, 2), torch.ones(2, 2)], ["a", "b"], annotate=True,
                                 colorbar_label="value")
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["a", "b"]
    assert {ax.images[0].get_clim() for ax in panels} == {(0.0, 1.0)}
    assert len(panels[0].texts) == 4  # annotated cells
    with pytest.raises(ValueError, match="titles"):
        cnnplots.plot_heatmaps([torch.zeros(2, 2)], ["a", "b"])


def test_heatmaps_annotate_only_the_flagged_maps():
    fig = cnnplots.plot_heatmaps([torch.zeros(4, 4), torch.ones(2, 2)], ["whole", "corner"],
                                 annotate=[False, True])
    panels = {ax.get_title(): ax for ax in fig.axes if ax.get_title()}
    assert len(panels["whole"].texts) == 0 and len(panels["corner"].texts) == 4
    with pytest.raises(ValueError, match="flag"):
        cnnplots.plot_heatmaps([torch.zeros(2, 2)], ["a"], annotate=[True, False])


def test_size_traces_labelled():
    fig = cnnplots.plot_size_traces({"no padding": [28, 24, 20], "padding 2": [28, 28, 28]})
    ax = fig.axes[0]
    assert ax.get_ylabel() == "feature-map side (pixels)" and "convolutions" in ax.get_xlabel()
    assert len(ax.lines) == 2


def test_size_traces_use_the_book_palette():
    fig = cnnplots.plot_size_traces({"a": [3, 2], "b": [3, 3]}, xlabel="number of 3x3 convolutions")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "number of 3x3 convolutions"
    assert [line.get_color() for line in ax.lines] == [COLORS["train"], COLORS["val"]]


def test_robustness_plots_percent_with_a_tick_at_every_level():
    acc = np.array([[0.9, 0.8, 0.5], [0.92, 0.82, 0.55]])  # two seeds, three levels
    fig = cnnplots.plot_robustness([0, 1, 2], {"net": acc}, xlabel="largest shift (pixels)")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "largest shift (pixels)" and ax.get_ylabel() == "test accuracy (%)"
    assert list(ax.get_xticks()) == [0, 1, 2]
    assert list(ax.lines[0].get_ydata()) == pytest.approx([91.0, 81.0, 52.5])  # mean over the seeds
    with pytest.raises(ValueError, match="shape"):
        cnnplots.plot_robustness([0, 1], {"net": acc}, xlabel="level")


def test_robustness_gives_three_networks_distinct_colours_and_markers_and_keeps_them_apart():
    acc = np.array([[0.9, 0.8, 0.5], [0.92, 0.82, 0.55]])
    nets = {"max pooling": acc, "average pooling": acc, "strided convolution": acc}
    ax = cnnplots.plot_robustness([0, 1, 2], nets, xlabel="level").axes[0]
    lines = [line for line in ax.lines if line.get_linestyle() != "None"]  # the means, not the bar caps
    assert len(lines) == 3
    assert len({line.get_color() for line in lines}) == 3 and len({line.get_marker() for line in lines}) == 3
    xs = np.array([line.get_xdata() for line in lines])
    assert np.allclose(xs.mean(axis=0), [0, 1, 2]) and (np.diff(xs, axis=0) > 0).all()  # dodged, centred
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(nets)
    ax = cnnplots.plot_robustness([0, 1, 2], nets, xlabel="level", legend=False).axes[0]
    assert ax.get_legend() is None


def test_robustness_takes_other_colours_for_curves_that_are_not_networks():
    acc = np.array([[0.9, 0.8, 0.5], [0.92, 0.82, 0.55]])
    curves = {"missing": acc, "dimmed": acc}
    ax = cnnplots.plot_robustness([0, 1, 2], curves, xlabel="level", colors=["#000000", "#555555"]).axes[0]
    lines = [line for line in ax.lines if line.get_linestyle() != "None"]
    assert [line.get_color() for line in lines] == ["#000000", "#555555"]
    with pytest.raises(ValueError, match="colour for each of the 2 curves"):
        cnnplots.plot_robustness([0, 1, 2], curves, xlabel="level", colors=["#000000"])


def test_confusion_plot_writes_every_nonzero_count():
    matrix = torch.tensor([[5, 0, 1], [0, 7, 0], [30, 0, 9]])
    ax = cnnplots.plot_confusion(matrix).axes[0]
    assert ax.get_xlabel() == "predicted digit" and ax.get_ylabel() == "true digit"
    assert sorted(t.get_text() for t in ax.texts) == sorted(["5", "7", "9", "1", "30"])
    colours = {t.get_text(): t.get_color() for t in ax.texts}
    assert colours["30"] == "white" and colours["1"] == "black"  # the darkest error cell gets white text


def test_misclassified_gallery_titles_true_and_predicted():
    fig = cnnplots.plot_misclassified(torch.zeros(3, 1, 28, 28), torch.tensor([4, 9, 5]), torch.tensor([9, 4, 3]),
                                      n_cols=2)
    assert [ax.get_title() for ax in fig.axes if ax.get_title()] == ["4 -> 9", "9 -> 4", "5 -> 3"]
    with pytest.raises(ValueError, match="equally long"):
        cnnplots.plot_misclassified(torch.zeros(2, 1, 28, 28), torch.tensor([1]), torch.tensor([1]))


def test_pooling_rows_pair_each_input_with_its_output_and_outline_the_windows():
    images = torch.zeros(2, 1, 4, 4)
    pooled = torch.ones(2, 1, 2, 2)
    fig = cnnplots.plot_pooling(images, pooled, ["a", "b"], "max-pooled")
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["input", "max-pooled"]
    inputs = [ax for ax in fig.axes if ax.get_ylabel() in ("a", "b")]
    assert len(inputs) == 2
    assert all(len(ax.lines) == 3 + 3 for ax in inputs)  # window edges at 0, 2, 4 on both axes
    assert all(len(ax.texts) == 16 for ax in inputs)
    with pytest.raises(ValueError, match="2x2"):
        cnnplots.plot_pooling(images, torch.ones(2, 1, 3, 3), ["a", "b"], "max-pooled")
    with pytest.raises(ValueError, match="names"):
        cnnplots.plot_pooling(images, pooled, ["a"], "max-pooled")


def test_image_rows_one_row_per_entry_labelled_and_centred_when_symmetric():
    rows = [torch.randn(8, 3, 3), torch.rand(4, 5, 5)]
    fig = cnnplots.plot_image_rows(rows, ["filters", "maps"], cmap="RdBu_r", symmetric=True)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 12 and len(fig.axes) == 16  # 8 + 4 images in a 2 x 8 grid
    assert fig.axes[0].get_ylabel() == "filters" and fig.axes[8].get_ylabel() == "maps"
    low, high = shown[0].images[0].get_clim()
    assert low == -high
    with pytest.raises(ValueError, match="label"):
        cnnplots.plot_image_rows(rows, ["only one"])


def test_sweep_errors_start_at_zero_with_a_reference_line_and_interval_bars():
    errors = np.array([[70, 72, 80], [66, 70, 84]])  # two seeds, three values
    bounds = np.array([[np.nan, 60.0, 75.0], [np.nan, 82.0, 89.0]])  # no bar at the reference
    fig = cnnplots.plot_sweep_errors([0.0, 0.2, 0.5], errors, xlabel="dropout p", n_images=10000, bounds=bounds)
    ax = fig.axes[0]
    assert ax.get_ylim()[0] == 0 and ax.get_ylim()[1] >= 89.0
    assert ax.get_ylabel() == "validation errors (of 10,000 images)" and list(ax.get_xticks()) == [0.0, 0.2, 0.5]
    assert list(ax.lines[-1].get_ydata()) == pytest.approx([68.0, 71.0, 82.0])  # the mean over the seeds
    assert list(ax.lines[0].get_ydata()) == pytest.approx([68.0, 68.0])  # dashed line at the reference mean
    assert len(ax.containers) == 1 and len(ax.containers[0].lines[0].get_xdata()) == 2  # bars at p = 0.2, 0.5
    with pytest.raises(ValueError, match="shape"):
        cnnplots.plot_sweep_errors([0.0, 0.2], errors, xlabel="p", n_images=10000)
    with pytest.raises(ValueError, match="bounds"):
        cnnplots.plot_sweep_errors([0.0, 0.2, 0.5], errors, xlabel="p", n_images=10000, bounds=bounds[:, :2])
    labels = ax.get_legend_handles_labels()[1]
    assert "seed 0" in labels and "seed 1" in labels  # one legend entry per seed, with its own marker
    seed_x = [list(line.get_xdata()) for line in ax.lines[1:3]]
    assert seed_x[0][2] < 0.5 < seed_x[1][2]  # shifted either side of the mean at p = 0.5
    with pytest.raises(ValueError, match="seeds"):
        cnnplots.plot_sweep_errors([0.0, 0.2, 0.5], errors, xlabel="p", n_images=10000, seeds=[0])
    plain = cnnplots.plot_sweep_errors([0.0, 0.2, 0.5], errors, xlabel="p", n_images=10000)
    assert not plain.axes[0].containers and plain.axes[0].get_ylim()[1] >= errors.max()


def test_shift_maps_one_panel_per_network_on_a_shared_percent_scale_read_like_the_image():
    shifts = list(range(-2, 3))
    maps = {"max": np.full((5, 5), 0.9), "strided": np.full((5, 5), 0.5)}
    maps["max"][0, 4] = 1.0  # dy = -2 (up), dx = +2 (right)
    fig = cnnplots.plot_shift_maps(maps, shifts)
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["max", "strided"]
    assert {ax.images[0].get_clim() for ax in panels} == {(50.0, 100.0)}  # percent, shared
    left, right, bottom, top = panels[0].images[0].get_extent()
    assert (left, right) == (-2.5, 2.5) and (bottom, top) == (2.5, -2.5)  # dy grows downward
    assert panels[0].get_xlabel() == "dx, right (pixels)" and panels[0].get_ylabel() == "dy, down (pixels)"
    assert any(ax.get_ylabel() == "test accuracy (%)" for ax in fig.axes)  # the colour bar
    with pytest.raises(ValueError, match="shape"):
        cnnplots.plot_shift_maps({"a": np.zeros((4, 5))}, shifts)
    with pytest.raises(ValueError, match="at least one"):
        cnnplots.plot_shift_maps({}, shifts)


def test_architecture_stages_follow_the_forward_pass():
    from dlbook.cnn import build_cnn

    net = build_cnn(downsample="maxpool", channels=(4, 8), final_conv_channels=8, dropout=0.0)
    stages = cnnplots.architecture_stages(net)
    names = [name for name, _, _ in stages]
    assert names == ["input", "block 1", "block 2", "extra conv", "classifier"]
    assert [shape for _, _, shape in stages] == [(1, 28, 28), (4, 14, 14), (8, 7, 7), (8, 7, 7), (10,)]
    assert stages[1][1] == "conv 3x3 (1→4), max pool 2x2, batch norm, ReLU"
    assert net.training  # the forward pass leaves the mode as it found it
    strided = cnnplots.architecture_stages(build_cnn(downsample="stride", channels=(4,), dropout=0.0))
    assert "stride 2" in strided[1][1] and strided[1][0] == "block 1"
    with pytest.raises(ValueError, match="Sequential"):
        cnnplots.architecture_stages(torch.nn.Sequential())


def test_architecture_diagram_has_a_row_per_stage():
    from dlbook.cnn import build_cnn

    fig = cnnplots.plot_architecture(build_cnn(downsample="maxpool", channels=(4, 8), dropout=0.0))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "8 × 7 × 7" in texts and "10 logits" in texts and "block 2" in texts
    assert any("channels × height × width" in t for t in texts)


def test_robustness_curves_take_the_markers_given():
    acc = np.array([[0.9, 0.8, 0.7]])
    curves = {"a": acc, "b": acc}
    ax = cnnplots.plot_robustness([0, 1, 2], curves, xlabel="level", markers="Dv").axes[0]
    assert [bars.lines[0].get_marker() for bars in ax.containers] == ["D", "v"]
    with pytest.raises(ValueError, match="marker"):
        cnnplots.plot_robustness([0, 1, 2], curves, xlabel="level", markers="D")
