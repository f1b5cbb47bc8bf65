"""Figures for the convolution chapters: heatmap grids, size traces, robustness curves, sweeps, confusion matrices, error galleries."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.figure import Figure

from dlbook.plots import COLORS


def plot_heatmaps(
    maps: Sequence[torch.Tensor],
    titles: Sequence[str],
    n_rows: int = 1,
    annotate: bool | Sequence[bool] = False,
    colorbar_label: str = "",
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "viridis",
) -> Figure:
    """Return a grid of 2-D heatmaps (``n_rows`` rows), one per map, sharing one colour scale.

    With ``annotate`` every cell shows its value (for small matrices such as pooled outputs); a
    sequence of flags, one per map, annotates only the maps whose flag is true.
    """
    if len(maps) != len(titles) or not maps:
        raise ValueError(f"need as many titles as maps (at least one), got {len(maps)} maps and {len(titles)} titles")
    flags = [annotate] * len(maps) if isinstance(annotate, bool) else [bool(a) for a in annotate]
    if len(flags) != len(maps):
        raise ValueError(f"need one annotate flag per map, got {len(flags)} flags for {len(maps)} maps")
    n_cols = -(-len(maps) // n_rows)
    arrays = [np.asarray(m, dtype=float) for m in maps]
    lo = min(a.min() for a in arrays) if vmin is None else vmin
    hi = max(a.max() for a in arrays) if vmax is None else vmax
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(2.2 * n_cols + 1, 2.3 * n_rows), layout="constrained",
                             squeeze=False)
    for ax in axes.flat[len(arrays):]:
        ax.axis("off")
    for ax, arr, title, annotated in zip(axes.flat, arrays, titles, flags):
        image = ax.imshow(arr, vmin=lo, vmax=hi, cmap=cmap)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        if annotated:
            for (r, c), value in np.ndenumerate(arr):
                ax.text(c, r, f"{value:g}", ha="center", va="center",
                        color="white" if value < lo + 0.5 * (hi - lo) else "black", fontsize=9)
    fig.colorbar(image, ax=axes, shrink=0.8, label=colorbar_label)
    return fig


def plot_pooling(images: torch.Tensor, pooled: torch.Tensor, names: Sequence[str], pooled_label: str,
                 window: int = 2) -> Figure:
    """Return one row per image: the input ``(N, 1, H, W)`` with its pooling windows outlined, and its output.

    Rows are labelled with ``names``, the two columns "input" and ``pooled_label``. ``pooled`` has shape ``(N, 1, H / window, W / window)``. Every cell shows its value, the
    output cells are drawn as large as the input cells, and all panels share the scale [0, 1].
    """
    if images.dim() != 4 or pooled.dim() != 4 or not len(images) == len(pooled) == len(names) or not len(images):
        raise ValueError(f"expected N >= 1 images (N, 1, H, W), N pooled maps and N names, got shapes "
                         f"{tuple(images.shape)}, {tuple(pooled.shape)} and {len(names)} names")
    h, w = images.shape[-2:]
    if window < 1 or tuple(pooled.shape[-2:]) != (h // window, w // window):
        raise ValueError(f"pooled maps must be {h // window}x{w // window} for window {window}, "
                         f"got {tuple(pooled.shape[-2:])}")
    n = len(images)
    fig, axes = plt.subplots(n, 2, figsize=(3.8, 1.45 * n + 0.4), layout="constrained", squeeze=False,
                             gridspec_kw={"width_ratios": [w, w // window]})
    axes[0, 0].set_title("input", fontsize=10)
    axes[0, 1].set_title(pooled_label, fontsize=10)
    for row, name in enumerate(names):
        axes[row, 0].set_ylabel(name, fontsize=10)
        for ax, arr in ((axes[row, 0], images[row, 0]), (axes[row, 1], pooled[row, 0])):
            image = ax.imshow(np.asarray(arr, dtype=float), vmin=0, vmax=1, cmap="viridis")
            ax.set(xticks=[], yticks=[])
            ax.grid(False)
            for (r, c), value in np.ndenumerate(np.asarray(arr, dtype=float)):
                ax.text(c, r, f"{value:g}", ha="center", va="center", fontsize=8,
                        color="white" if value < 0.5 else "black")
        for edge in range(0, h + 1, window):  # the pooling windows: stride = window
            axes[row, 0].axhline(edge - 0.5, color=COLORS["val"], linewidth=2)
        for edge in range(0, w + 1, window):
            axes[row, 0].axvline(edge - 0.5, color=COLORS["val"], linewidth=2)
    fig.colorbar(image, ax=axes, shrink=0.5, label="pixel value")
    return fig


def plot_size_traces(traces: dict[str, Sequence[int]], ylabel: str = "feature-map side (pixels)",
                     xlabel: str = "number of convolutions applied") -> Figure:
    """Return a line plot of spatial size against layer index, one line per named trace, in the book's colours."""
    fig, ax = plt.subplots(figsize=(5.5, 3.2), layout="constrained")
    markers = "osd^v"
    colors = [COLORS["train"], COLORS["val"], COLORS["test"], COLORS["accent"], COLORS["neutral"]]
    for i, (name, sizes) in enumerate(traces.items()):
        ax.plot(range(len(sizes)), sizes, marker=markers[i % len(markers)], color=colors[i],
                label=name)
    ax.set(xlabel=xlabel, ylabel=ylabel, ylim=(0, None))
    ax.legend()
    return fig


def plot_robustness(
    levels: Sequence[float],
    accuracies: dict[str, np.ndarray],
    xlabel: str,
    ax: plt.Axes | None = None,
    legend: bool = True,
    dodge: float = 0.012,
    colors: Sequence[str] | None = None,
    markers: str = "os^D",
) -> Figure:
    """Plot accuracy (%) against corruption level, mean over seeds with min-max error bars.

    ``accuracies[name]`` has shape ``(n_seeds, len(levels))`` holding fractions in [0, 1]. Each
    curve has its own colour (from ``colors``, by default the book's train, validation, test and
    accent colours) and marker (from ``markers``, matplotlib's one-letter codes); with several curves their points are moved sideways by ``dodge``
    times the span of ``levels`` apart (centred on the level), so that bars at the same level do
    not hide each other. ``legend=False`` leaves the legend to the caller (one legend for a figure
    of several panels).
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(5, 3.4), layout="constrained")
    else:
        fig = ax.figure
    if colors is None:
        colors = [COLORS["train"], COLORS["val"], COLORS["test"], COLORS["accent"]]
    if len(colors) < len(accuracies):
        raise ValueError(f"need a colour for each of the {len(accuracies)} curves, got {len(colors)}")
    if len(markers) < len(accuracies):
        raise ValueError(f"need a marker for each of the {len(accuracies)} curves, got {markers!r}")
    span = (max(levels) - min(levels)) if len(levels) > 1 else 1.0
    for i, (name, acc) in enumerate(accuracies.items()):
        acc = 100 * np.asarray(acc, dtype=float)
        if acc.ndim != 2 or acc.shape[1] != len(levels):
            raise ValueError(f"accuracies[{name!r}] must have shape (n_seeds, {len(levels)}), got {acc.shape}")
        mean = acc.mean(axis=0)
        err = np.stack([mean - acc.min(axis=0), acc.max(axis=0) - mean])
        x = np.asarray(levels, dtype=float) + (i - (len(accuracies) - 1) / 2) * dodge * span
        ax.errorbar(x, mean, yerr=err, marker=markers[i], capsize=3, color=colors[i],
                    label=name)
    ax.set(xlabel=xlabel, ylabel="test accuracy (%)", xticks=list(levels))  # a tick at every measured level
    if legend:
        ax.legend()
    return fig


def plot_sweep_errors(
    values: Sequence[float],
    errors: np.ndarray,
    xlabel: str,
    n_images: int,
    seeds: Sequence[int] | None = None,
    bounds: np.ndarray | None = None,
    ax: plt.Axes | None = None,
) -> Figure:
    """Plot error counts against a setting on an axis from zero: each seed, their mean, and intervals.

    ``errors`` has shape ``(n_seeds, len(values))`` (misclassified images out of ``n_images``);
    ``seeds`` names its rows in the legend (default 0, 1, ...). Each seed's open marker is shifted
    a little sideways so that none hides under another or under the mean, drawn as a line with
    short horizontal bars. A dashed line marks the mean at ``values[0]`` (the reference).
    ``bounds``, of shape ``(2, len(values))``, gives for each value the low and high end of an
    interval drawn as an error bar on its mean (NaN: no bar, as for the reference itself); 3G
    passes the 95% interval of the difference from the reference, so a bar that crosses the
    dashed line is a difference the data cannot resolve. The axis starts at zero, so the heights
    compare error counts in proportion.
    """
    errors = np.asarray(errors, dtype=float)
    if errors.ndim != 2 or errors.shape[1] != len(values):
        raise ValueError(f"errors must have shape (n_seeds, {len(values)}), got {errors.shape}")
    if n_images < 1:
        raise ValueError(f"expected n_images >= 1, got {n_images}")
    seeds = list(range(len(errors))) if seeds is None else list(seeds)
    if len(seeds) != len(errors):
        raise ValueError(f"expected {len(errors)} seeds, one per row of errors, got {len(seeds)}")
    if bounds is not None:
        bounds = np.asarray(bounds, dtype=float)
        if bounds.shape != (2, len(values)):
            raise ValueError(f"bounds must have shape (2, {len(values)}), got {bounds.shape}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
    else:
        fig = ax.figure
    x = np.asarray(values, dtype=float)
    mean = errors.mean(axis=0)
    ax.axhline(mean[0], color=COLORS["neutral"], linestyle="--", linewidth=1,
               label=f"mean at {values[0]:g}")
    gap = float(np.diff(sorted(values)).min()) if len(values) > 1 else 1.0
    for i, (seed, seed_errors) in enumerate(zip(seeds, errors)):
        shift = (i - (len(errors) - 1) / 2) * 0.15 * gap  # side by side, clear of the mean's bar
        ax.plot(x + shift, seed_errors, linestyle="none", marker="os^v"[i % 4],
                color=COLORS["neutral"], markerfacecolor="none", label=f"seed {seed}")
    if bounds is not None:
        shown = np.isfinite(bounds).all(axis=0)
        ax.errorbar(x[shown], mean[shown], yerr=[mean[shown] - bounds[0, shown], bounds[1, shown] - mean[shown]],
                    linestyle="none", color=COLORS["val"], capsize=3,
                    label=f"interval of the change from {values[0]:g}")
    ax.plot(x, mean, marker="_", markersize=16, markeredgewidth=2, color=COLORS["val"],
            label="mean of the seeds")
    top = max(errors.max(), np.nanmax(bounds) if bounds is not None else 0.0)
    ax.set(xlabel=xlabel, ylabel=f"validation errors (of {n_images:,} images)", xticks=list(values),
           ylim=(0, 1.15 * top))
    ax.legend(loc="upper left", fontsize="small")  # errors grow with the setting in 3G: left is free
    return fig


def plot_confusion(matrix: torch.Tensor) -> Figure:
    """Return a heatmap of a confusion matrix with off-diagonal counts written in the cells (log colour scale)."""
    counts = np.asarray(matrix, dtype=float)
    n = counts.shape[0]
    off = counts.copy()
    np.fill_diagonal(off, np.nan)
    fig, ax = plt.subplots(figsize=(6.4, 5.4), layout="constrained")  # about 1:1 in the text column
    shade = np.log10(1 + off)
    image = ax.imshow(shade, cmap="Reds")
    dark = np.nanmax(shade) * 0.6 if np.isfinite(shade).any() else np.inf  # white text from here on
    for (r, c), value in np.ndenumerate(counts):
        if r != c and value > 0:
            ax.text(c, r, f"{int(value)}", ha="center", va="center", fontsize=10,
                    color="white" if shade[r, c] >= dark else "black")
        elif r == c:
            ax.text(c, r, f"{int(value)}", ha="center", va="center", fontsize=9, color="0.3")
    ax.set(xticks=range(n), yticks=range(n), xlabel="predicted digit", ylabel="true digit")
    ax.grid(False)
    fig.colorbar(image, ax=ax, label="log10(1 + errors)")
    return fig


def plot_misclassified(images: torch.Tensor, y_true: torch.Tensor, y_pred: torch.Tensor, n_cols: int = 8) -> Figure:
    """Return a gallery of images ``(N, 1, H, W)``, each titled ``true -> predicted``."""
    if not len(images) == len(y_true) == len(y_pred) or len(images) == 0:
        raise ValueError("images, y_true and y_pred must be non-empty and equally long")
    n_rows = -(-len(images) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(0.85 * n_cols, 1.15 * n_rows), layout="constrained",
                             squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, t, p in zip(axes.flat, images, y_true.tolist(), y_pred.tolist()):
        ax.imshow(image[0].numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"{t} -> {p}", fontsize=9)
    return fig


def plot_image_rows(rows: Sequence[torch.Tensor], labels: Sequence[str], cmap: str = "viridis",
                    symmetric: bool = False) -> Figure:
    """Return a grid with one row of small images per entry of ``rows`` (each ``(K, H, W)``), labelled on the left.

    Every image gets its own colour scale (feature maps and filters differ in range); with
    ``symmetric`` the scale is centred on zero, for filters whose signs matter.
    """
    if len(rows) != len(labels) or not rows or any(r.dim() != 3 or len(r) == 0 for r in rows):
        raise ValueError(f"need one label per row and rows of shape (K, H, W), got {len(rows)} rows, {len(labels)} labels")
    n_cols = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(0.75 * n_cols + 0.9, 0.95 * len(rows) + 0.2),
                             layout="constrained", squeeze=False)
    for ax in axes.flat:
        ax.set(xticks=[], yticks=[])
        ax.grid(False)
        for spine in ax.spines.values():
            spine.set_visible(False)
    for row, (images, label) in enumerate(zip(rows, labels)):
        axes[row, 0].set_ylabel(label, fontsize=10, rotation=0, ha="right", va="center")
        for ax, image in zip(axes[row], images):
            arr = np.asarray(image.detach().cpu(), dtype=float)
            limit = float(np.abs(arr).max()) or 1.0
            ax.imshow(arr, cmap=cmap, vmin=-limit if symmetric else None, vmax=limit if symmetric else None)
    return fig


def plot_shift_maps(
    maps: dict[str, np.ndarray],
    shifts: Sequence[int],
    colorbar_label: str = "test accuracy (%)",
    cmap: str = "viridis",
) -> Figure:
    """Return one heat map per network, side by side, of accuracy for every whole-pixel shift.

    ``maps[name]`` has shape ``(len(shifts), len(shifts))`` holding fractions in [0, 1]: entry
    ``[i, j]`` is the accuracy with every image moved ``shifts[j]`` pixels right (``dx``) and
    ``shifts[i]`` down (``dy``), so each panel reads like the image plane (up is up). All panels
    share one colour scale, in percent, from the lowest to the highest value of any map; a small
    ring marks the unshifted images.
    """
    if not maps:
        raise ValueError("need at least one map")
    arrays = {name: 100 * np.asarray(m, dtype=float) for name, m in maps.items()}
    for name, arr in arrays.items():
        if arr.shape != (len(shifts), len(shifts)):
            raise ValueError(f"maps[{name!r}] must have shape {(len(shifts), len(shifts))}, got {arr.shape}")
    lo = min(a.min() for a in arrays.values())
    hi = max(a.max() for a in arrays.values())
    first, last = min(shifts), max(shifts)
    ticks = [s for s in shifts if s % 2 == 0] if len(shifts) > 5 else list(shifts)
    # narrow panels with few ticks: the labels stay legible when a phone shrinks the figure
    fig, axes = plt.subplots(1, len(arrays), figsize=(1.9 * len(arrays) + 0.8, 2.5), layout="constrained",
                             squeeze=False, sharey=True)
    for ax, (name, arr) in zip(axes.flat, arrays.items()):
        image = ax.imshow(arr, vmin=lo, vmax=hi, cmap=cmap,
                          extent=(first - 0.5, last + 0.5, last + 0.5, first - 0.5))
        ax.plot([0], [0], marker="o", markersize=7, markerfacecolor="none", markeredgecolor="black")
        ax.set(title=name, xlabel="dx, right (pixels)", xticks=ticks, yticks=ticks)
        ax.title.set_fontsize(10)
        ax.grid(False)
    axes.flat[0].set_ylabel("dy, down (pixels)")
    fig.colorbar(image, ax=axes, shrink=0.85, label=colorbar_label)
    return fig


def _describe(layer: torch.nn.Module) -> str:
    """A short name of one layer for the architecture diagram ('' for a layer that does nothing)."""
    from torch import nn

    def side(value: int | tuple[int, ...]) -> int:
        return value if isinstance(value, int) else value[0]

    if isinstance(layer, nn.Conv2d):
        k, s = side(layer.kernel_size), side(layer.stride)
        stride = f" stride {s}" if s > 1 else ""
        return f"conv {k}x{k}{stride} ({layer.in_channels}→{layer.out_channels})"
    if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
        k = side(layer.kernel_size)
        return f"{'max' if isinstance(layer, nn.MaxPool2d) else 'average'} pool {k}x{k}"
    if isinstance(layer, nn.BatchNorm2d):
        return "batch norm"
    if isinstance(layer, nn.Dropout):
        return f"dropout {layer.p:g}" if layer.p > 0 else ""
    if isinstance(layer, nn.Linear):
        return f"linear ({layer.in_features:,}→{layer.out_features})"
    return "ReLU" if isinstance(layer, nn.ReLU) else type(layer).__name__.lower()


def architecture_stages(model: torch.nn.Sequential, input_shape: tuple[int, ...] = (1, 28, 28)
                        ) -> list[tuple[str, str, tuple[int, ...]]]:
    """Split a sequential CNN into stages and measure each one's output shape with a forward pass.

    A stage ends after each ReLU (a block's output) and at the end of the model. Returns
    ``(name, layers, shape)`` per stage, the input first: ``name`` is ``"input"``, ``"block i"`` for a
    stage that downsamples (a pooling layer or a convolution with stride > 1), ``"extra conv"`` for a
    convolution stage that does not, ``"classifier"`` for the rest; ``layers`` names the stage's
    layers in one line of text; ``shape`` is the output shape of one image (without the batch axis).
    """
    from torch import nn

    if not isinstance(model, nn.Sequential) or len(model) == 0:
        raise ValueError("expected a non-empty nn.Sequential")
    groups, current = [], []
    for layer in model:
        current.append(layer)
        if isinstance(layer, nn.ReLU):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    was_training = model.training
    model.eval()
    stages = [("input", "", tuple(input_shape))]
    x = torch.zeros(1, *input_shape, device=next(model.parameters()).device)
    n_blocks = 0
    with torch.no_grad():
        for group in groups:
            for layer in group:
                x = layer(x)
            downsamples = any(isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)) or
                              (isinstance(m, nn.Conv2d) and max(m.stride) > 1) for m in group)
            if downsamples:
                n_blocks += 1
                name = f"block {n_blocks}"
            elif any(isinstance(m, nn.Conv2d) for m in group):
                name = "extra conv"
            else:
                name = "classifier"
            layers = ", ".join(d for d in map(_describe, group) if d)
            stages.append((name, layers, tuple(x.shape[1:])))
    model.train(was_training)
    return stages


def plot_architecture(model: torch.nn.Sequential, input_shape: tuple[int, ...] = (1, 28, 28)) -> Figure:
    """Return a diagram of a sequential CNN, one row per stage, drawn from the model itself.

    Each row shows the stage's layers and the shape of its output, both measured by
    :func:`architecture_stages`; on the left a square whose side is proportional to the feature
    map's side, drawn as a stack of up to four sheets that grows with the number of channels (a
    narrow bar for the logits).
    """
    stages = architecture_stages(model, input_shape)
    n = len(stages)
    width, unit = 8.0, 0.8  # x extent in data units; inches per unit (both axes)
    fig, ax = plt.subplots(figsize=(width * unit, n * unit * 0.9 + 0.35), layout="constrained")
    ax.set_xlim(0, width)
    ax.set_ylim(0.35, n * 0.9 + 0.75)
    ax.text(width - 0.05, n * 0.9 + 0.55, "output: channels × height × width (pixels)", fontsize=9,
            ha="right", va="center", color="0.3")
    ax.set_aspect("equal")
    ax.axis("off")
    full = max(s[-1] for _, _, s in stages if len(s) == 3)
    for i, (name, layers, shape) in enumerate(stages):
        y = (n - i) * 0.9
        if len(shape) == 3:
            c, h, _ = shape
            side = 0.15 + 0.5 * h / full
            sheets = min(4, 1 + int(np.log2(c)) // 2)
            for k in reversed(range(sheets)):
                ax.add_patch(plt.Rectangle((0.55 - side / 2 + 0.06 * k, y - side / 2 + 0.06 * k), side, side,
                                           facecolor=COLORS["train"], alpha=0.35 + 0.15 * (k == 0),
                                           edgecolor="black", linewidth=0.8))
            shape_text = " × ".join(str(v) for v in shape)
        else:
            ax.add_patch(plt.Rectangle((0.5, y - 0.3), 0.1, 0.6, facecolor=COLORS["val"], edgecolor="black",
                                       linewidth=0.8))
            shape_text = f"{shape[0]} logits" if len(shape) == 1 else str(shape)
        if i:
            ax.annotate("", xy=(0.55, y + 0.4), xytext=(0.55, y + 0.55),
                        arrowprops={"arrowstyle": "->", "color": "0.3"})
        ax.text(1.3, y + (0.14 if layers else 0), name, fontsize=10, fontweight="bold", va="center")
        if layers:
            ax.text(1.3, y - 0.17, layers, fontsize=9, va="center")
        ax.text(width - 0.05, y, shape_text, fontsize=10, va="center", ha="right")
    return fig
