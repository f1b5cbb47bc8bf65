"""Smoke tests for dlbook.toyplots: every plot returns a figure with labelled axes; the player is HTML."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from dlbook.initialization import initialize_
from dlbook.logic_nets import build_or_net, build_xor_net
from dlbook.models import build_mlp, linear_layers
from dlbook.playground import train_toy
from dlbook.toydata import make_toy_data, truth_table
from dlbook.toyplots import (
    UNIT_LINE_STYLES,
    animate_training,
    draw_decision_regions,
    draw_network,
    plot_curves,
    plot_output_map,
    region_legend_handles,
    unit_kinds,
)


@pytest.fixture
def trained():
    x, y = make_toy_data("circle", n=30, seed=0)
    net = initialize_(build_mlp(2, (3,), 1).double(), "default", seed=0)
    run = train_toy(net, x, y, lr=0.5, n_iters=4, snapshot_every=2)
    return net, run, x, y


def test_decision_regions(trained):
    net, _, x, y = trained
    fig = draw_decision_regions(net, x, y, title="t", grid_n=20)
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title() == "t"
    assert len(ax.collections) >= 3  # shading, boundary, two classes of points
    assert len(ax.lines) == 3  # the dashed zero line of each of the 3 first-layer units
    assert len(fig.axes) == 2 and "P(class 1)" in fig.axes[1].get_ylabel()  # the colorbar
    plt.close("all")
    with pytest.raises(ValueError, match="expected x"):
        draw_decision_regions(net, x[:, :1], y)


def test_curves_and_animation(trained):
    net, run, x, y = trained
    fig = plot_curves({"loss": run.loss}, "iteration", "loss (nats)", logy=True)
    assert fig.axes[0].get_xlabel() == "iteration" and fig.axes[0].get_ylabel() == "loss (nats)"
    html = animate_training(net, run, x, y, grid_n=10, dpi=30)
    assert html.lstrip().startswith("<") and "animation" in html.lower()
    assert '<img id="_anim_img' in html  # no alt text asked for: the site's extension adds a generic one
    described = animate_training(net, run, x, y, grid_n=10, dpi=30, alt='A "ring" & a disc')
    assert '<img alt="A &quot;ring&quot; &amp; a disc" id="_anim_img' in described
    plt.close("all")
    run.snapshots.clear()
    with pytest.raises(ValueError, match="snapshots"):
        animate_training(net, run, x, y)


def test_unit_lines_coincide_for_identical_units():
    x, y = make_toy_data("circle", n=30, seed=0)
    net = initialize_(build_mlp(2, (4,), 1).double(), "default", seed=0)
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, -1.0]]).expand(4, 2))
        net[0].bias.zero_()
    ax = draw_decision_regions(net, x, y, grid_n=10).axes[0]
    assert len(ax.lines) == 4 and all((line.get_xydata() == ax.lines[0].get_xydata()).all() for line in ax.lines)
    zero = initialize_(build_mlp(2, (4,), 1).double(), "zero")  # w = 0: no line to draw
    assert len(draw_decision_regions(zero, x, y, grid_n=10).axes[0].lines) == 0
    plt.close("all")


def test_network_diagram_and_output_map():
    fig = draw_network(linear_layers(build_xor_net()))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "-2" in texts and "b=-1" in texts and texts.count("ReLU") == 2 and "f" in texts
    fig = draw_network(linear_layers(build_or_net()), output_name="ReLU")
    assert [t.get_text() for t in fig.axes[0].texts].count("ReLU") == 1
    x, _ = truth_table("or")
    fig = plot_output_map(build_or_net(), x)
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel() and "output" in fig.axes[1].get_ylabel()
    assert sorted(t.get_text() for t in ax.texts) == ["f = 0", "f = 1", "f = 1", "f = 2"]
    with pytest.raises(ValueError, match="shape"):
        plot_output_map(build_or_net(), x[:, :1])
    plt.close("all")


def test_output_map_labels_the_requested_levels():
    x, _ = truth_table("or")
    ax = plot_output_map(build_or_net(), x, levels=(0, 1)).axes[0]
    contour_labels = {t.get_text() for t in ax.texts if t.get_bbox_patch() is None}  # points' labels have a box
    assert contour_labels == {"f = 0", "f = 1"}
    plt.close("all")


def test_unit_lines_outside_the_plot_are_noted():
    x, y = truth_table("xor")
    net = initialize_(build_mlp(2, (2,), 1).double(), "default", seed=0)
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 1.0], [1.0, 1.0]]))
        net[0].bias.copy_(torch.tensor([-1.0, -10.0]))  # unit 2's line x1 + x2 = 10 lies far outside
    ax = draw_decision_regions(net, x, y, grid_n=10).axes[0]
    assert len(ax.lines) == 1 and [t.get_text() for t in ax.texts] == ["zero lines outside:\n1 dead"]
    plt.close("all")


def test_unit_lines_are_styled_by_what_the_unit_does_on_the_data():
    x, y = truth_table("xor")  # the corners of the unit square
    net = initialize_(build_mlp(2, (3,), 1).double(), "default", seed=0)
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]))
        net[0].bias.copy_(torch.tensor([-1.0, -2.1, 0.2]))  # splits, dead, on for every point; all in view
    assert unit_kinds(net, x) == ["splits", "dead", "always_on"]
    ax = draw_decision_regions(net, x, y, grid_n=10).axes[0]
    styles = [(line.get_color(), line.get_linestyle()) for line in ax.lines]
    expected = [UNIT_LINE_STYLES[k] for k in ("splits", "dead", "always_on")]
    assert styles == [(s["color"], {"--": "--", ":": ":", "-.": "-."}[s["ls"]]) for s in expected]
    labels = [h.get_label() for h in region_legend_handles(kinds=("dead",))]
    assert labels[-1] == UNIT_LINE_STYLES["dead"]["label"] and len(labels) == 4
    sigmoid = initialize_(build_mlp(2, (3,), 1, activation="sigmoid").double(), "default", seed=0)
    assert unit_kinds(sigmoid, x) == ["line"] * 3  # "dead" is a ReLU's state only
    plt.close("all")


def test_nearly_constant_output_is_one_colour():
    x, y = truth_table("xor")
    net = torch.nn.Sequential(torch.nn.Linear(2, 1)).double()
    with torch.no_grad():  # probabilities within 1e-5 of one half, crossing it on a diagonal
        net[0].weight.copy_(torch.tensor([[1e-5, 1e-5]]))
        net[0].bias.fill_(-1e-5)
    ax = draw_decision_regions(net, x, y, grid_n=10).axes[0]
    filled = [c for c in ax.collections if hasattr(c, "levels")][0]
    painted = [i for i, path in enumerate(filled.get_paths()) if len(path.vertices)]
    assert len(painted) == 1 and not ax.lines
    plt.close("all")


def test_no_boundary_is_drawn_through_a_region_at_one_half():
    x, y = truth_table("xor")
    net = initialize_(build_mlp(2, (4,), 1).double(), "default", seed=0)
    with torch.no_grad():  # logit ~0 for 0.2 < x1 < 0.5 (a rounding-sized tilt along x2), -/+ left/right of it
        net[0].weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]))
        net[0].bias.copy_(torch.tensor([-0.5, 0.2, -0.5, 0.5]))
        net[2].weight.copy_(torch.tensor([[4.0, -4.0, 1e-9, -1e-9]]))
        net[2].bias.zero_()
    ax = draw_decision_regions(net, x, y, grid_n=41, unit_lines=False).axes[0]
    contours = [c for c in ax.collections if getattr(c, "levels", None) is not None and list(c.levels) == [0.5]]
    vertices = np.concatenate([p.vertices for c in contours for p in c.get_paths()] or [np.zeros((0, 2))])
    assert not ((vertices[:, 0] > 0.25) & (vertices[:, 0] < 0.45)).any()
    plt.close("all")


def test_a_steep_boundary_is_drawn_whole():
    x, y = truth_table("xor")
    net = torch.nn.Sequential(torch.nn.Linear(2, 1)).double()
    with torch.no_grad():  # logit 10 (x1 - 0.5): crosses one half steeply at x1 = 0.5
        net[0].weight.copy_(torch.tensor([[10.0, 0.0]]))
        net[0].bias.fill_(-5.0)
    ax = draw_decision_regions(net, x, y, grid_n=41).axes[0]
    contours = [c for c in ax.collections if getattr(c, "levels", None) is not None and list(c.levels) == [0.5]]
    vertices = np.concatenate([p.vertices for c in contours for p in c.get_paths()])
    assert vertices[:, 1].min() < -0.1 and vertices[:, 1].max() > 1.1  # from bottom to top of the plot
    plt.close("all")
