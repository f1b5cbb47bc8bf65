"""The book's shared figure style and the training-curve plot used by several chapters."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

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
    ax_loss.legend()
    if title:
        fig.suptitle(title)
    return fig
