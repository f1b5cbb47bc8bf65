"""Figures for the 2-D toy chapters: decision regions, training curves, a training animation, network diagrams, output maps."""

from __future__ import annotations

import copy
import html
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.animation import FuncAnimation
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.lines import Line2D
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from torch import nn

from dlbook.models import linear_layers
from dlbook.playground import ToyRun
from dlbook.probes import hidden_preactivations
from dlbook.plots import COLORS

#: Colours of class 0 and class 1 points (Okabe-Ito orange and blue, as in the Playground).
CLASS_COLORS = ("#E69F00", "#0072B2")
#: Marker of each class, so that the classes differ in shape as well as colour.
CLASS_MARKERS = ("o", "s")
#: Shading of P(class 1): light orange (0) through white (0.5) to light blue (1), paler than the points.
PROBABILITY_CMAP = LinearSegmentedColormap.from_list("p_class_1", ["#F5D9A3", "#FFFFFF", "#A9CBE6"])
#: A probability map spanning at most this range is drawn without a 0.5 boundary (see ``_paint_probability``).
FLAT_RANGE = 0.02
#: Edges of the probability shading's bands: eleven bands, the middle one centred on one half.
PROBABILITY_LEVELS = np.linspace(0, 1, 12)
#: Probabilities this close to one half count as one half when the 0.5 boundary is drawn (a tenth of a
#: percentage point: the leftovers of runs that creep towards one half, invisible in the shading).
HALF_TOLERANCE = 1e-3
#: How a first-layer unit's zero line is drawn. For (Leaky) ReLU units, by what the unit does on the
#: data: it splits the points (positive on some, not on others), is dead (pre-activation <= 0 on every
#: point) or is on for every point (a purely linear unit there); other units' lines are all "line".
#: Colour and dash differ, for colour-blind readers.
UNIT_LINE_STYLES = {
    "line": {"color": "#444444", "ls": "--", "lw": 1.0, "label": "first-layer unit's zero line"},
    "splits": {"color": "#444444", "ls": "--", "lw": 1.0, "label": "zero line: unit splits points"},
    "dead": {"color": "#B2182B", "ls": ":", "lw": 1.8, "label": "zero line: dead unit"},
    "always_on": {"color": "#7B3294", "ls": "-.", "lw": 1.2, "label": "zero line: unit on at all points"},
}


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


def _plateau_at_half(prob: np.ndarray) -> np.ndarray:
    """Mark the grid points of ``prob`` that belong to a plateau at one half, and its rim.

    A plateau point is within :data:`HALF_TOLERANCE` of one half together with its eight
    neighbours; its rim is every point within the tolerance next to a plateau point. A boundary
    that crosses one half steeply has no such points, so it is drawn whole.
    """
    near = np.abs(prob - 0.5) <= HALF_TOLERANCE
    padded = np.pad(near, 1, constant_values=True)
    rows, cols = near.shape
    shifts = [(i, j) for i in range(3) for j in range(3)]
    plateau = np.logical_and.reduce([padded[i:i + rows, j:j + cols] for i, j in shifts])
    padded = np.pad(plateau, 1, constant_values=False)
    next_to_plateau = np.logical_or.reduce([padded[i:i + rows, j:j + cols] for i, j in shifts])
    return near & next_to_plateau


def _paint_probability(ax: Axes, model: nn.Module, a: np.ndarray, b: np.ndarray, pts: torch.Tensor) -> list:
    """Shade sigmoid(logit) of ``model`` on the grid ``(a, b)`` and draw its 0.5 contour; return the new artists.

    The shading has an odd number of bands (:data:`PROBABILITY_LEVELS`), so one band is centred on
    one half and a probability of one half up to rounding is shaded white, whichever side of one
    half the rounding falls. A nearly constant output (probabilities spanning at most
    :data:`FLAT_RANGE` over the grid) is shaded in one colour, that of its mean (white only at
    one half), and gets no contour. A region that sits at one half (a constant logit near 0, say: see
    :func:`_plateau_at_half`) gets no 0.5 contour along its rim, where a grid would draw a
    staircase.
    """
    with torch.inference_mode():
        prob = torch.sigmoid(model(pts.to(next(model.parameters()).dtype))).reshape(a.shape).numpy()
    levels = PROBABILITY_LEVELS
    flat = prob.max() - prob.min() <= FLAT_RANGE
    if flat:  # one colour, that of the mean itself: not two half-planes, and not a band's colour
        mean = float(prob.mean())
        prob = np.full_like(prob, mean)
        levels = [mean - 1e-9, mean + 1e-9]
    artists = [ax.contourf(a, b, prob, levels=levels, cmap=PROBABILITY_CMAP, vmin=0, vmax=1, zorder=0)]
    away = np.ma.masked_where(_plateau_at_half(prob), prob)
    if not flat and away.min() < 0.5 < away.max():
        artists.append(ax.contour(a, b, away, levels=[0.5], colors="k", linewidths=1.4, zorder=1))
    return artists


def unit_kinds(model: nn.Module, x: torch.Tensor) -> list[str]:
    """Return, for each first-layer unit of ``model``, a key of :data:`UNIT_LINE_STYLES`.

    For a (Leaky) ReLU first layer, what the unit does on the points ``x``: ``"splits"``,
    ``"dead"`` or ``"always_on"``; for any other activation, ``"line"`` for every unit.
    """
    layer = linear_layers(model)[0]
    modules = list(model.modules())
    after = modules[modules.index(layer) + 1] if modules.index(layer) + 1 < len(modules) else None
    if not isinstance(after, (nn.ReLU, nn.LeakyReLU)):
        return ["line"] * layer.out_features
    with torch.no_grad():
        pre = hidden_preactivations(model, x.to(layer.weight.dtype))[0]
    return ["dead" if (col <= 0).all() else "always_on" if (col > 0).all() else "splits" for col in pre.T]


def _draw_unit_lines(ax: Axes, model: nn.Module, a: np.ndarray, b: np.ndarray, x: torch.Tensor) -> list:
    """Draw the zero line ``w_i . x + b_i = 0`` of every first-layer unit of ``model`` (if it has a hidden layer).

    Each line is styled by what its unit does on the points ``x`` (:func:`unit_kinds`,
    :data:`UNIT_LINE_STYLES`). Coinciding lines show units that compute the same function; a unit
    with ``w_i = 0`` has no line. Lines that miss the plotted rectangle are counted, by kind, in a
    note at the bottom of the axes. Returns the new artists.
    """
    layers = linear_layers(model)
    if len(layers) < 2:  # no hidden layer: the only line is the decision boundary itself
        return []
    w, bias = layers[0].weight.detach().double(), layers[0].bias.detach().double()
    (x_lo, x_hi), (y_lo, y_hi) = (a.min(), a.max()), (b.min(), b.max())
    corners = np.array([[x_lo, y_lo], [x_lo, y_hi], [x_hi, y_lo], [x_hi, y_hi]])
    artists, outside = [], {kind: 0 for kind in UNIT_LINE_STYLES}
    for (w1, w2), b0, kind in zip(w.tolist(), bias.tolist(), unit_kinds(model, x)):
        if abs(w1) < 1e-300 and abs(w2) < 1e-300:
            continue
        side = corners @ np.array([w1, w2]) + b0
        if (side > 0).all() or (side < 0).all():  # the whole rectangle on one side: the line is not in view
            outside[kind] += 1
            continue
        if abs(w2) >= abs(w1):  # y as a function of x
            xs = np.array([x_lo, x_hi])
            ys = -(w1 * xs + b0) / w2
        else:
            ys = np.array([y_lo, y_hi])
            xs = -(w2 * ys + b0) / w1
        style = {k: v for k, v in UNIT_LINE_STYLES[kind].items() if k != "label"}
        artists += ax.plot(xs, ys, zorder=1.5, **style)
    ax.set(xlim=(x_lo, x_hi), ylim=(y_lo, y_hi))
    words = {"line": "", "splits": " splitting", "dead": " dead", "always_on": " always-on"}
    counts = [f"{n}{words[kind]}" for kind, n in outside.items() if n]
    if counts:
        # two short lines, so that the note fits inside a narrow panel
        note = f"zero lines outside:\n{', '.join(counts)}"
        # under the points (zorder 2), so that it never hides one
        artists.append(ax.text(0.5, 0.02, note, transform=ax.transAxes, ha="center", va="bottom", fontsize=9,
                               color=UNIT_LINE_STYLES["splits"]["color"], zorder=1.8,
                               bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8}))
    return artists


def _draw_points(ax: Axes, x: torch.Tensor, y: torch.Tensor, title: str) -> None:
    """Scatter the points ``(x, y)`` coloured by class and label the axes."""
    for label in (0, 1):
        pick = (y == label).numpy()
        ax.scatter(x[pick, 0], x[pick, 1], s=14 if len(x) > 20 else 60, c=CLASS_COLORS[label],
                   marker=CLASS_MARKERS[label], edgecolors="black", linewidths=0.4, label=f"class {label}",
                   zorder=2)
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title, aspect="equal")
    ax.grid(False)


def add_probability_colorbar(fig: Figure, axes: Axes | Sequence[Axes], label: str = "predicted P(class 1)") -> None:
    """Add one colorbar, labelled ``label``, for the probability shading of ``axes``."""
    mappable = ScalarMappable(norm=Normalize(0, 1), cmap=PROBABILITY_CMAP)
    bar = fig.colorbar(mappable, ax=axes, shrink=0.85, pad=0.02)
    bar.set_label(label)
    bar.set_ticks([0, 0.25, 0.5, 0.75, 1])


def region_legend_handles(kinds: Sequence[str] = ("line",)) -> list:
    """Return legend handles in words for a decision-region plot: the classes, the boundary, the unit lines.

    ``kinds`` picks the kinds of unit line (keys of :data:`UNIT_LINE_STYLES`) to list.
    """
    return [
        Line2D([], [], ls="", marker=CLASS_MARKERS[0], mfc=CLASS_COLORS[0], mec="black", label="class 0"),
        Line2D([], [], ls="", marker=CLASS_MARKERS[1], mfc=CLASS_COLORS[1], mec="black", label="class 1"),
        Line2D([], [], color="k", lw=1.4, label="boundary P = 0.5"),
        *(Line2D([], [], **UNIT_LINE_STYLES[kind]) for kind in kinds),
    ]


def draw_decision_regions(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, ax: Axes | None = None, title: str = "", grid_n: int = 100,
    unit_lines: bool = True,
) -> Figure:
    """Shade P(class 1) = sigmoid(logit) of ``model`` over the plane, draw the 0.5 boundary and the points ``(x, y)``.

    ``model`` maps ``(N, 2)`` to one logit ``(N, 1)``; ``y`` ``(N,)`` holds labels in {0, 1}. With
    ``unit_lines`` the zero line of each first-layer unit is drawn dashed. Draws on ``ax`` when
    given, else on a new figure (with a colorbar); returns the figure.
    """
    if x.dim() != 2 or x.shape[1] != 2 or len(x) != len(y):
        raise ValueError(f"expected x (N, 2) and y (N,), got {tuple(x.shape)} and {tuple(y.shape)}")
    new = ax is None
    fig, ax = _new_axes(ax, (4.2, 3.2))
    grid = _grid(x, grid_n)
    _paint_probability(ax, model, *grid)
    if unit_lines:
        _draw_unit_lines(ax, model, *grid[:2], x)
    _draw_points(ax, x, y, title)
    if new:
        add_probability_colorbar(fig, ax)
    return fig


def plot_curves(
    series: dict[str, Sequence[float]],
    xlabel: str,
    ylabel: str,
    ax: Axes | None = None,
    logy: bool = False,
    title: str = "",
    ymin: float | None = None,
) -> Figure:
    """Plot each named series against its index (iteration) on one axes and return the figure.

    ``ymin`` fixes the bottom of the y axis (e.g. 0 for a loss, so small changes are not magnified).
    """
    if not series:
        raise ValueError("series must name at least one curve")
    fig, ax = _new_axes(ax, (4.6, 3.2))
    for name, values in series.items():
        ax.plot(np.arange(len(values)), np.asarray(values, dtype=float), label=name, lw=1.5)
    if logy:
        ax.set_yscale("symlog", linthresh=1e-12)
    if ymin is not None:
        ax.set_ylim(bottom=ymin)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend()
    return fig


def animate_training(
    model: nn.Module, run: ToyRun, x: torch.Tensor, y: torch.Tensor, title: str = "", grid_n: int = 50, dpi: int = 70,
    alt: str = "",
) -> str:
    """Return an HTML player (``FuncAnimation.to_jshtml``) of ``run.snapshots``: decision regions and the loss so far.

    The regions show P(class 1), the 0.5 boundary and each first-layer unit's zero line.
    ``model`` must have the architecture the snapshots came from; it is copied, not modified.
    ``alt`` describes what the player shows, for readers who cannot see it (the frame's alt text).
    """
    if not run.snapshots:
        raise ValueError("run has no snapshots; train with snapshot_every > 0")
    net = copy.deepcopy(model)
    fig, (ax_reg, ax_loss) = plt.subplots(1, 2, figsize=(7.0, 3.1), dpi=dpi, layout="constrained",
                                      gridspec_kw={"wspace": 0.08})
    grid = _grid(x, grid_n)
    net.load_state_dict(run.snapshots[0][1])
    painted = _paint_probability(ax_reg, net, *grid) + _draw_unit_lines(ax_reg, net, *grid[:2], x)
    _draw_points(ax_reg, x, y, title)
    add_probability_colorbar(fig, ax_reg, label="P(class 1)")
    iters = np.arange(len(run.loss))
    ax_loss.plot(iters, run.loss, color=COLORS["neutral"], alpha=0.3, lw=1, label="whole run")
    (done,) = ax_loss.plot([], [], color=COLORS["train"], lw=1.5, label="so far")
    (now,) = ax_loss.plot([], [], "o", color=COLORS["val"], label="this frame")
    ax_loss.set_ylim(bottom=0)
    ax_loss.set(xlabel="iteration", ylabel="training loss (nats)", title="loss")
    ax_loss.legend(loc="lower left")
    fig.canvas.draw()
    fig.set_layout_engine("none")  # freeze the layout: recomputing it for every frame is slow

    def draw(frame: int) -> None:
        iteration, state = run.snapshots[frame]
        net.load_state_dict(state)
        for artist in painted:
            artist.remove()
        painted[:] = _paint_probability(ax_reg, net, *grid) + _draw_unit_lines(ax_reg, net, *grid[:2], x)
        ax_reg.set_title(f"{title} iteration {iteration}".strip())
        done.set_data(iters[: iteration + 1], run.loss[: iteration + 1])
        now.set_data([iteration], [run.loss[iteration]])

    anim = FuncAnimation(fig, draw, frames=len(run.snapshots), interval=300)
    plt.close(fig)
    player = anim.to_jshtml(default_mode="once")
    if alt:
        player = player.replace('<img id="_anim_img', f'<img alt="{html.escape(alt)}" id="_anim_img', 1)
    return player


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
            ax.text(xj, yj - 0.32, f"b={float(b[j]):g}", ha="center", va="top", fontsize=9, color=COLORS["val"])
    for col, column in enumerate(pos):
        for i, (xc, yc) in enumerate(column):
            name = input_names[i] if col == 0 else (output_name if col == len(pos) - 1 else activation)
            ax.add_patch(plt.Circle((xc, yc), 0.2, fc="white", ec=COLORS["train"], lw=1.5, zorder=2))
            ax.text(xc, yc, name, ha="center", va="center", fontsize=9, zorder=4)
    ax.set(xlim=(-0.5, len(layers) + 0.5), ylim=(-max(widths) / 2 - 0.3, max(widths) / 2 + 0.2), aspect="equal")
    ax.set_axis_off()
    return fig


def plot_output_map(
    model: nn.Module, x: torch.Tensor, title: str = "", lim: tuple[float, float] = (-0.25, 1.25), grid_n: int = 61,
    ax: Axes | None = None, levels: Sequence[float] | None = None,
) -> Figure:
    """Return a heat map of the scalar output of ``model`` over ``lim``^2 with its value written at each point of ``x``.

    ``x`` is ``(N, 2)`` (e.g. the four binary inputs). A colorbar gives the output scale; white
    contour lines mark ``levels``, each labelled ``f = level``, or by default the half-integer
    output values (..., -0.5, 0.5, 1.5, ...), unlabelled. A level equal to the map's minimum (0 for
    a ReLU output, which is 0 on a whole region) is drawn along the edge of that region.
    """
    if x.dim() != 2 or x.shape[1] != 2:
        raise ValueError(f"x must have shape (N, 2), got {tuple(x.shape)}")
    g = torch.linspace(lim[0], lim[1], grid_n, dtype=torch.float64)
    a, b = torch.meshgrid(g, g, indexing="xy")
    dtype = next(model.parameters()).dtype
    with torch.inference_mode():
        z = model(torch.stack([a.reshape(-1), b.reshape(-1)], dim=1).to(dtype)).reshape(a.shape).double().numpy()
        zx = model(x.to(dtype)).reshape(-1).double().numpy()
    fig, ax = _new_axes(ax, (4.4, 3.4))
    image = ax.imshow(z, origin="lower", extent=(lim[0], lim[1], lim[0], lim[1]), cmap="viridis", aspect="equal")
    if levels is None:
        drawn = np.arange(np.floor(z.min()), np.ceil(z.max())) + 0.5  # halfway between whole numbers
        ax.contour(a.numpy(), b.numpy(), z, levels=drawn, colors="white", linewidths=1.0)
    else:
        nudge = 1e-9 * max(float(z.max() - z.min()), 1.0)  # a flat minimum's edge, not the flat region itself
        shown = {level: level + nudge if level <= z.min() else level for level in sorted(levels)}
        lines = ax.contour(a.numpy(), b.numpy(), z, levels=list(shown.values()), colors="white", linewidths=1.2)
        names = {drawn: f"f = {level:g}" for level, drawn in shown.items()}
        span = lim[1] - lim[0]
        points = x.double().numpy()
        points = np.concatenate([points, points + [0.0, 0.08 * span]])  # the points and their value labels
        spots = []  # each level's label where its line is farthest from them, away from the frame
        for segments in lines.allsegs:
            vertices = np.concatenate([seg for seg in segments if len(seg)] or [np.empty((0, 2))])
            inner = ((vertices > lim[0] + 0.06 * span) & (vertices < lim[1] - 0.06 * span)).all(axis=1)
            vertices = vertices[inner] if inner.any() else vertices
            if len(vertices):
                gaps = np.linalg.norm(vertices[:, None, :] - points[None, :, :], axis=2).min(axis=1)
                spots.append(tuple(vertices[int(np.argmax(gaps))]))
        ax.clabel(lines, fmt=lambda v: names.get(v, f"{v:g}"), fontsize=9, inline_spacing=3, manual=spots)
    for (x1, x2), value in zip(x.tolist(), zx.tolist()):
        ax.plot(x1, x2, "o", ms=6, mfc="white", mec="black")
        ax.annotate(f"f = {value:g}", (x1, x2), xytext=(0, 9), textcoords="offset points", ha="center",
                    fontsize=10, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.9})
    ax.set(xlabel="$x_1$", ylabel="$x_2$", title=title)
    ax.grid(False)
    fig.colorbar(image, ax=ax, label="network output $f(x)$", shrink=0.9)
    return fig
