"""The book's shared figure style and the MNIST plots: training curves, digits, class counts, accuracy against size."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import matplotlib as mpl
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

if TYPE_CHECKING:  # annotations only: plotting does not depend on the training code
    from dlbook.depthwidth import StudyPoint
    from dlbook.train import History

#: Colours used consistently across the book (colour-blind safe, from the Okabe-Ito palette).
COLORS = {
    "train": "#0072B2",
    "val": "#D55E00",
    "test": "#009E73",
    "accent": "#CC79A7",
    "neutral": "#555555",
}


def use_book_style() -> None:
    """Set matplotlib defaults for the book: opaque white figures (legible in dark mode), PNG output that records its smallest text, no clutter."""
    mpl.rcParams.update({
        "figure.facecolor": "white",
        "axes.facecolor": "white",
        "savefig.facecolor": "white",
        "savefig.transparent": False,
        "figure.dpi": 100,
        "savefig.dpi": 100,
        "figure.figsize": (6.4, 3.6),
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "legend.frameon": False,
        "image.cmap": "viridis",
        "animation.embed_limit": 4.0,
    })
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # outside IPython nothing needs configuring
        return
    set_matplotlib_formats("png")
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(Figure, png_with_text_size)


#: Key of the PNG text chunk that records a figure's smallest drawn text, in pixels (checked by the site tests).
TEXT_SIZE_KEY = "dlbook-smallest-text-px"


@contextmanager
def _recorded_font_sizes() -> Iterator[list[float]]:
    """Collect the font size (points) of every text matplotlib draws inside the block."""
    sizes: list[float] = []
    draw = Text.draw

    def recording_draw(text: Text, renderer) -> None:
        if text.get_visible() and text.get_text().strip():
            sizes.append(text.get_fontsize())
        draw(text, renderer)

    Text.draw = recording_draw
    try:
        yield sizes
    finally:
        Text.draw = draw


def smallest_text_px(fig: Figure) -> float:
    """Return the height in pixels, at the figure's dpi, of the smallest text drawn in ``fig`` (inf if none)."""
    with _recorded_font_sizes() as sizes:
        fig.canvas.draw()
    return min(sizes, default=math.inf) * fig.dpi / 72


def png_with_text_size(fig: Figure) -> str | None:
    """Return ``fig`` as base64 PNG (as the inline backend does), recording :func:`smallest_text_px` in a text chunk."""
    from IPython.core.pylabtools import print_figure

    return print_figure(fig, "png", bbox_inches="tight", base64=True,
                        metadata={TEXT_SIZE_KEY: f"{smallest_text_px(fig):.2f}"})


def plot_history(history: History, title: str = "", acc_range: tuple[float, float] | None = None,
                 loss_floor: float | None = None) -> Figure:
    """Return a figure with loss (left) and accuracy (right) per epoch, train and validation.

    ``acc_range = (low, high)`` in percent zooms the accuracy axis onto that band (e.g. ``(97, 100)``);
    epochs whose accuracy lies below ``low`` are drawn as open triangles on the bottom edge.
    ``loss_floor`` draws the smallest loss the criterion allows (e.g. with label smoothing) as a dashed line.
    """
    if acc_range is not None and not 0 <= acc_range[0] < acc_range[1] <= 100:
        raise ValueError(f"acc_range must be (low, high) with 0 <= low < high <= 100, got {acc_range}")
    epochs = list(range(1, len(history.train_loss) + 1))
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(7, 3.0), layout="constrained")
    ax_loss.plot(epochs, history.train_loss, "o-", color=COLORS["train"], label="train")
    if history.val_loss:
        ax_loss.plot(epochs, history.val_loss, "s-", color=COLORS["val"], label="validation")
    if loss_floor is not None:
        ax_loss.axhline(loss_floor, color=COLORS["neutral"], linestyle="--", linewidth=1, label="lowest possible")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss (nats)", title="loss")
    for values, marker, key, size in ((history.train_acc, "o", "train", 10), (history.val_acc, "s", "val", 6)):
        if not values:
            continue
        percent = [100 * a for a in values]
        ax_acc.plot(epochs, percent, f"{marker}-", color=COLORS[key])
        if acc_range is not None:
            below = [e for e, a in zip(epochs, percent) if a < acc_range[0]]
            ax_acc.plot(below, [acc_range[0]] * len(below), "v", color=COLORS[key], markerfacecolor="none",
                        markersize=size, clip_on=False)
    if acc_range is not None:
        ax_acc.set_ylim(*acc_range)
    ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # no ticks between epochs
    ax_loss.legend()
    if title:
        fig.suptitle(title)
    return fig


def plot_digit_grid(
    images: torch.Tensor,
    labels: torch.Tensor,
    n_cols: int = 10,
    predictions: torch.Tensor | None = None,
) -> Figure:
    """Return a grid of digits ``(N, 28, 28)`` titled by label (and prediction, when given)."""
    if images.dim() != 3 or len(images) != len(labels) or len(images) == 0:
        raise ValueError(f"expected images (N, H, W) and labels (N,), got {tuple(images.shape)} and {tuple(labels.shape)}")
    if predictions is not None and len(predictions) != len(labels):
        raise ValueError(f"predictions must have one entry per image, got {len(predictions)} for {len(labels)}")
    n_rows = -(-len(images) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(0.8 * n_cols, 0.95 * n_rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(images):
            continue
        ax.imshow(images[i].cpu().numpy(), cmap="gray_r", vmin=0, vmax=255 if images.dtype == torch.uint8 else 1)
        title = f"{int(labels[i])}" if predictions is None else f"{int(labels[i])}→{int(predictions[i])}"
        ax.set_title(title, fontsize=9, pad=2)
    return fig


def plot_class_counts(labels: torch.Tensor, title: str = "") -> Figure:
    """Return a bar chart of how many examples each class 0-9 has."""
    counts = torch.bincount(labels.long(), minlength=10)
    fig, ax = plt.subplots(figsize=(5, 2.8), layout="constrained")
    ax.bar(range(len(counts)), counts.tolist(), color=COLORS["train"])
    ax.set(xlabel="digit (class label)", ylabel="number of images", xticks=range(len(counts)), title=title)
    ax.grid(axis="x", visible=False)
    return fig


#: Colour and marker of each network depth in :func:`plot_depth_study`.
DEPTH_STYLE = {1: (COLORS["train"], "o"), 2: (COLORS["val"], "s"), 3: (COLORS["test"], "^")}


def plot_depth_study(points: Sequence[StudyPoint], budgets: Sequence[int]) -> Figure:
    """Return test accuracy (%) against parameters, one line per depth, above the validation gaps between depths.

    ``budgets[i]`` is the parameter budget of ``points[i]``; the points of one budget are compared.
    Top: each depth's mean test accuracy over its seeds with the 95% interval over seeds and test
    images. Bottom: deeper minus shallower (each depth minus the next shallower one) on validation,
    where depths are compared, in percentage points, with the interval of the paired difference.
    Both axes log-scaled in parameters; the points of one budget are spread a little sideways so
    that their bars do not hide each other.
    """
    from dlbook.stats import difference_over_seeds  # plotting reads stored scores, it trains nothing

    if not points or len(points) != len(budgets):
        raise ValueError(f"expected one budget per point, got {len(points)} points and {len(budgets)} budgets")
    depths = sorted({p.depth for p in points})
    by_shape = {(p.depth, b): p for p, b in zip(points, budgets)}
    grid = sorted(set(budgets))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6.0, 6.2), sharex=True, layout="constrained",
                                      height_ratios=(1.1, 1))

    def shifted(i: int, n: int) -> float:
        return math.exp(0.05 * (i - (n - 1) / 2))  # a small sideways offset on the log axis

    for i, depth in enumerate(depths):
        color, marker = DEPTH_STYLE.get(depth, (COLORS["neutral"], "D"))
        row = [(b, by_shape[depth, b]) for b in grid if (depth, b) in by_shape]
        summaries = [p.test() for _, p in row]
        top.errorbar([b * shifted(i, len(depths)) for b, _ in row], [100 * s.mean for s in summaries],
                     yerr=[[100 * (s.mean - s.low) for s in summaries], [100 * (s.high - s.mean) for s in summaries]],
                     color=color, marker=marker, capsize=4, elinewidth=1.6,
                     label=f"{depth} hidden layer{'s' if depth > 1 else ''}")
    pairs = list(zip(depths[1:], depths[:-1]))
    for i, (deeper, shallower) in enumerate(pairs):
        color, marker = DEPTH_STYLE.get(deeper, (COLORS["neutral"], "D"))
        row = [b for b in grid if (deeper, b) in by_shape and (shallower, b) in by_shape]
        gaps = [difference_over_seeds(by_shape[deeper, b].val_correct, by_shape[shallower, b].val_correct)
                for b in row]  # depthwidth.difference, without keying plotting pages on training code
        bottom.errorbar([b * shifted(i, len(pairs)) for b in row], [100 * g.mean for g in gaps],
                        yerr=[[100 * (g.mean - g.low) for g in gaps], [100 * (g.high - g.mean) for g in gaps]],
                        color=color, marker=marker, capsize=4, elinewidth=1.6, linestyle="--",
                        label=f"{deeper} minus {shallower} layer{'s' if shallower > 1 else ''}")
    bottom.axhline(0, color=COLORS["neutral"], linewidth=1)
    bottom.set_xscale("log")
    bottom.set_xticks(grid)
    bottom.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value / 1000:.0f}k"))
    bottom.xaxis.set_minor_formatter(NullFormatter())
    bottom.set_xlim(grid[0] / 1.3, grid[-1] * 1.3)
    top.set(ylabel="test accuracy (%)")
    top.legend(loc="lower right")
    bottom.set(xlabel="trainable parameters (log scale; budget)", ylabel="deeper minus shallower,\nvalidation (percentage points)")
    bottom.legend(loc="best")
    top.tick_params(labelbottom=True)
    return fig
