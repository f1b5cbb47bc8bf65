"""Figures for the 2-D toy chapters: decision regions, training curves, a training animation, network diagrams, surfaces."""

from __future__ import annotations

import copy
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.animation import FuncAnimation
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import nn

from dlbook.playground import ToyRun
from dlbook.plots import COLORS

#: Colours of class 0 and class 1 points (Okabe-Ito orange and blue, as in the Playground).
CLASS_COLORS = ("#E69F00", "#0072B2")


def _grid(x: torch.Tensor, grid_n: int, margin: float = 0.15) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
    lo = x.min(dim=0).values - margin
    hi = x.max(dim=0).values + margin
    g1 = torch.linspace(float(lo[0]), float(hi[0]), grid_n, dtype=x.dtype)
    g2 = torch.linspace(float(lo[1]), float(hi[1]), grid_n, dtype=x.dtype)
    a, b = torch.meshgrid(g1, g2, indexing="xy")
    return a.numpy(), b.numpy(), torch.stack([a.reshape(-1), b.reshape(-1)], dim=1)


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _paint_probability(ax: Axes, model: nn.Module, a: np.ndarray, b: np.ndarray, pts: torch.Tensor) -> list:
    """Shade sigmoid(logit) of ``model`` on the grid ``(a, b)`` and draw its 0.5 contour; return the new artists."""
    with torch.inference_mode():
        prob = torch.sigmoid(model(pts.to(next(model.parameters()).dtype))).reshape(a.shape).numpy()
    artists = [ax.contourf(a, b, prob, levels=np.linspace(0, 1, 11), cmap="PuOr", vmin=0, vmax=1, alpha=0.75,
                           zorder=0)]
    if prob.min() < 0.5 < prob.max():
        artists.append(ax.contour(a, b, prob, levels=[0.5], colors="k", linewidths=1.2, zorder=1))
    return artists


def _draw_points(ax: Axes, x: torch.Tensor, y: torch.Tensor, title: str) -> None:
    """Scatter the points ``(x, y)`` coloured by class and label the axes."""
    for label in (0, 1):
        pick = (y == label).numpy()
        ax.scatter(x[pick, 0], x[pick, 1], s=10 if len(x) > 20 else 40, c=CLASS_COLORS[label], edgecolors="white",
                   linewidths=0.4, label=f"class {label}", zorder=2)
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title, aspect="equal")
    ax.grid(False)


def draw_decision_regions(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, ax: Axes | None = None, title: str = "", grid_n: int = 100
) -> Figure:
    """Shade P(class 1) = sigmoid(logit) of ``model`` over the plane, draw the 0.5 boundary and the points ``(x, y)``.

    ``model`` maps ``(N, 2)`` to one logit ``(N, 1)``; ``y`` ``(N,)`` holds labels in {0, 1}.
    Draws on ``ax`` when given, else on a new figure; returns the figure.
    """
    if x.dim() != 2 or x.shape[1] != 2 or len(x) != len(y):
        raise ValueError(f"expected x (N, 2) and y (N,), got {tuple(x.shape)} and {tuple(y.shape)}")
    fig, ax = _new_axes(ax, (3.4, 3.2))
    _paint_probability(ax, model, *_grid(x, grid_n))
    _draw_points(ax, x, y, title)
    return fig


def plot_curves(
    series: dict[str, Sequence[float]],
    xlabel: str,
    ylabel: str,
    ax: Axes | None = None,
    logy: bool = False,
    title: str = "",
) -> Figure:
    """Plot each named series against its index (iteration) on one axes and return the figure."""
    if not series:
        raise ValueError("series must name at least one curve")
    fig, ax = _new_axes(ax, (4.6, 3.2))
    for name, values in series.items():
        ax.plot(np.arange(len(values)), np.asarray(values, dtype=float), label=name, lw=1.5)
    if logy:
        ax.set_yscale("symlog", linthresh=1e-12)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend()
    return fig


def animate_training(
    model: nn.Module, run: ToyRun, x: torch.Tensor, y: torch.Tensor, title: str = "", grid_n: int = 50, dpi: int = 70
) -> str:
    """Return an HTML player (``FuncAnimation.to_jshtml``) of ``run.snapshots``: decision regions and the loss so far.

    ``model`` must have the architecture the snapshots came from; it is copied, not modified.
    """
    if not run.snapshots:
        raise ValueError("run has no snapshots; train with snapshot_every > 0")
    net = copy.deepcopy(model)
    fig, (ax_reg, ax_loss) = plt.subplots(1, 2, figsize=(6.4, 2.9), dpi=dpi, layout="constrained")
    grid = _grid(x, grid_n)
    net.load_state_dict(run.snapshots[0][1])
    painted = _paint_probability(ax_reg, net, *grid)
    _draw_points(ax_reg, x, y, title)
    iters = np.arange(len(run.loss))
    ax_loss.plot(iters, run.loss, color=COLORS["neutral"], alpha=0.3, lw=1)
    (done,) = ax_loss.plot([], [], color=COLORS["train"], lw=1.5)
    (now,) = ax_loss.plot([], [], "o", color=COLORS["val"])
    ax_loss.set(xlabel="iteration", ylabel="training loss (nats)", title="loss so far")
    fig.canvas.draw()
    fig.set_layout_engine("none")  # freeze the layout: recomputing it for every frame is slow

    def draw(frame: int) -> None:
        iteration, state = run.snapshots[frame]
        net.load_state_dict(state)
        for artist in painted:
            artist.remove()
        painted[:] = _paint_probability(ax_reg, net, *grid)
        ax_reg.set_title(f"{title} iteration {iteration}".strip())
        done.set_data(iters[: iteration + 1], run.loss[: iteration + 1])
        now.set_data([iteration], [run.loss[iteration]])

    anim = FuncAnimation(fig, draw, frames=len(run.snapshots), interval=200)
    plt.close(fig)
    return anim.to_jshtml(default_mode="once")


def draw_network(
    layers: Sequence[nn.Linear], ax: Axes | None = None, input_names: Sequence[str] = ("$x_1$", "$x_2$"),
    activation: str = "ReLU", output_name: str = "f",
) -> Figure:
    """Draw a fully connected network from its ``nn.Linear`` layers and return the figure.

    One column of nodes per layer; every edge is labelled with its weight and every unit with its
    bias. Hidden units are labelled ``activation``, the output unit ``output_name``.
    """
    if not layers or layers[0].in_features != len(input_names):
        raise ValueError("layers must be non-empty and the first must take len(input_names) inputs")
    fig, ax = _new_axes(ax, (1.8 + 1.9 * len(layers), 2.8))
    widths = [layers[0].in_features] + [layer.out_features for layer in layers]
    pos = [[(col, (w - 1) / 2 - i) for i in range(w)] for col, w in enumerate(widths)]
    for col, layer in enumerate(layers):
        w, b = layer.weight.detach(), layer.bias.detach()
        for j, (xj, yj) in enumerate(pos[col + 1]):
            for i, (xi, yi) in enumerate(pos[col]):
                ax.plot([xi, xj], [yi, yj], color=COLORS["neutral"], lw=1, zorder=1)
                t = 0.3 if len(pos[col]) > 1 and len(pos[col + 1]) > 1 and i != j else 0.5
                ax.text(xi + t * (xj - xi), yi + t * (yj - yi), f"{float(w[j, i]):g}", ha="center", va="center",
                        fontsize=9, bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"}, zorder=3)
            ax.text(xj, yj - 0.32, f"b={float(b[j]):g}", ha="center", va="top", fontsize=8, color=COLORS["val"])
    for col, column in enumerate(pos):
        for i, (xc, yc) in enumerate(column):
            name = input_names[i] if col == 0 else (output_name if col == len(pos) - 1 else activation)
            ax.add_patch(plt.Circle((xc, yc), 0.2, fc="white", ec=COLORS["train"], lw=1.5, zorder=2))
            ax.text(xc, yc, name, ha="center", va="center", fontsize=8, zorder=4)
    ax.set(xlim=(-0.5, len(layers) + 0.5), ylim=(-max(widths) / 2 - 0.3, max(widths) / 2 + 0.2), aspect="equal")
    ax.set_axis_off()
    return fig


def plot_surface(
    model: nn.Module, x: torch.Tensor, title: str = "", lim: tuple[float, float] = (-0.25, 1.25), grid_n: int = 41
) -> Figure:
    """Return a 3-D surface of the scalar output of ``model`` over ``lim``^2, with its values at the points ``x`` ``(N, 2)`` marked."""
    if x.dim() != 2 or x.shape[1] != 2:
        raise ValueError(f"x must have shape (N, 2), got {tuple(x.shape)}")
    g = torch.linspace(lim[0], lim[1], grid_n, dtype=torch.float64)
    a, b = torch.meshgrid(g, g, indexing="xy")
    dtype = next(model.parameters()).dtype
    with torch.inference_mode():
        z = model(torch.stack([a.reshape(-1), b.reshape(-1)], dim=1).to(dtype)).reshape(a.shape).double().numpy()
        zx = model(x.to(dtype)).reshape(-1).double().numpy()
    fig = plt.figure(figsize=(4.6, 3.8), layout="constrained")
    ax = fig.add_subplot(projection="3d")
    ax.plot_surface(a.numpy(), b.numpy(), z, cmap="viridis", alpha=0.8, linewidth=0)
    ax.scatter(x[:, 0].numpy(), x[:, 1].numpy(), zx, color=COLORS["val"], s=40, depthshade=False)
    ax.set(xlabel="$x_1$", ylabel="$x_2$", zlabel="output $f(x)$", title=title)
    return fig
