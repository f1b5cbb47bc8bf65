"""The book's shared figure style and the MNIST plots: training curves, digits, class counts, accuracy against size."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib as mpl
import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

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
    """Set matplotlib defaults for the book: opaque white figures (legible in dark mode), PNG output, no clutter."""
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
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # outside IPython nothing needs configuring
        return
    set_matplotlib_formats("png")


def plot_history(history: History, title: str = "") -> Figure:
    """Return a figure with loss (left) and accuracy (right) per epoch, train and validation."""
    epochs = range(1, len(history.train_loss) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
    ax_loss.plot(epochs, history.train_loss, "o-", color=COLORS["train"], label="train")
    if history.val_loss:
        ax_loss.plot(epochs, history.val_loss, "s-", color=COLORS["val"], label="validation")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy loss (nats)", title="loss")
    if history.train_acc:
        ax_acc.plot(epochs, [100 * a for a in history.train_acc], "o-", color=COLORS["train"], label="train")
    if history.val_acc:
        ax_acc.plot(epochs, [100 * a for a in history.val_acc], "s-", color=COLORS["val"], label="validation")
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


#: Colour and marker of each network depth in :func:`plot_accuracy_vs_params`.
DEPTH_STYLE = {1: (COLORS["train"], "o"), 2: (COLORS["val"], "s"), 3: (COLORS["test"], "^")}


def plot_accuracy_vs_params(points: Sequence[StudyPoint]) -> Figure:
    """Return test accuracy (%) against parameter count (log scale), one line per depth, std as error bars."""
    if not points:
        raise ValueError("points must not be empty")
    fig, ax = plt.subplots(figsize=(6.4, 3.8), layout="constrained")
    for depth in sorted({p.depth for p in points}):
        row = sorted((p for p in points if p.depth == depth), key=lambda p: p.n_params)
        color, marker = DEPTH_STYLE.get(depth, (COLORS["neutral"], "D"))
        ax.errorbar([p.n_params for p in row], [100 * p.test_acc_mean for p in row],
                    yerr=[100 * p.test_acc_std for p in row], color=color, marker=marker, capsize=3,
                    label=f"{depth} hidden layer{'s' if depth > 1 else ''}")
        for p in row:
            ax.annotate(str(p.width), (p.n_params, 100 * p.test_acc_mean), textcoords="offset points",
                        xytext=(4, -10), fontsize=7, color=color)
    ax.set_xscale("log")
    thousands = FuncFormatter(lambda value, _: f"{value / 1000:g}k")
    ax.xaxis.set_major_formatter(thousands)
    ax.xaxis.set_minor_formatter(thousands)
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set(xlabel="trainable parameters (log scale)", ylabel="test accuracy (%)")
    ax.legend(title="units per layer annotated", loc="lower right")
    return fig
