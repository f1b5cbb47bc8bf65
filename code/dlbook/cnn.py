"""Small MNIST CNNs that downsample by max pooling, by average pooling or by strided convolutions."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

DOWNSAMPLING = ("maxpool", "avgpool", "stride")


def _check_arguments(channels: tuple[int, ...], downsample: str, dropout: float, final_conv_channels: int) -> None:
    """Raise ValueError unless the arguments describe a CNN :func:`build_cnn` can build."""
    if downsample not in DOWNSAMPLING:
        raise ValueError(f"downsample must be one of {DOWNSAMPLING}, got {downsample!r}")
    if not channels or any(isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in channels):
        raise ValueError(f"channels must be a non-empty sequence of positive ints, got {channels!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
    if isinstance(final_conv_channels, bool) or not isinstance(final_conv_channels, int) or final_conv_channels < 0:
        raise ValueError(f"final_conv_channels must be a non-negative int, got {final_conv_channels!r}")


def build_cnn(
    channels: tuple[int, ...] = (16, 32, 64),
    downsample: str = "maxpool",
    dropout: float = 0.0,
    final_conv_channels: int = 0,
    n_classes: int = 10,
    image_size: int = 28,
) -> nn.Sequential:
    """Return a CNN for ``(B, 1, image_size, image_size)`` inputs with ``(B, n_classes)`` logits.

    Each block halves the spatial size (rounding up) and is either
    ``Conv3x3 -> MaxPool2x2 -> BatchNorm -> ReLU`` (``downsample="maxpool"``),
    ``Conv3x3 -> AvgPool2x2 -> BatchNorm -> ReLU`` (``downsample="avgpool"``) or
    ``Conv3x3 stride 2 -> BatchNorm -> ReLU`` (``downsample="stride"``). All three variants have
    the same layers, the same parameter count and the same feature-map sizes, so they differ only
    in how they downsample; not in compute, though: a pooling block runs its convolution at every
    position before pooling, a strided one only at the positions it keeps. Pooling straight after
    the convolution lets batch normalization and the ReLU run on a quarter of the values; it is a
    design choice, not the usual ``Conv -> BatchNorm -> ReLU -> Pool`` rearranged. The ReLU
    commutes with max pooling but not with average pooling (the mean of rectified values is not
    the rectified mean); batch normalization takes its training statistics on the pooled values,
    and for max pooling a negative scale would turn a max into a min. With
    ``final_conv_channels > 0`` one more ``Conv3x3 -> BatchNorm -> ReLU`` follows at the smallest
    resolution, without downsampling.
    The head is ``Flatten -> Dropout -> Linear``.
    """
    _check_arguments(channels, downsample, dropout, final_conv_channels)
    layers: list[nn.Module] = []
    c_in, size = 1, image_size
    for c_out in channels:
        if downsample in ("maxpool", "avgpool"):
            # ceil_mode only where the side is odd: same output, and the even case runs faster;
            # a window cut off by the edge averages only the values it covers (no padding)
            pool = nn.MaxPool2d if downsample == "maxpool" else nn.AvgPool2d
            layers += [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), pool(2, ceil_mode=size % 2 == 1)]
        else:
            layers.append(nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False))
        layers += [nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]
        c_in, size = c_out, (size + 1) // 2
    if final_conv_channels:
        layers += [nn.Conv2d(c_in, final_conv_channels, 3, padding=1, bias=False),
                   nn.BatchNorm2d(final_conv_channels), nn.ReLU(inplace=True)]
        c_in = final_conv_channels
    layers += [nn.Flatten(), nn.Dropout(dropout), nn.Linear(c_in * size * size, n_classes)]
    return nn.Sequential(*layers)


@dataclass(frozen=True, kw_only=True)
class CNN:
    """The architecture of a CNN of :func:`build_cnn`: channels per block, downsampling, final convolution, dropout.

    A :class:`dlbook.experiments.Recipe` holds one (its ``network``); training a recipe builds it
    with :meth:`build`.
    """

    channels: tuple[int, ...]
    downsample: str = "maxpool"
    final_conv_channels: int = 0
    dropout: float = 0.0

    def __post_init__(self) -> None:
        _check_arguments(self.channels, self.downsample, self.dropout, self.final_conv_channels)

    def build(self, input_shape: tuple[int, ...] = (1, 28, 28), n_out: int = 10) -> nn.Sequential:
        """Return the untrained network for square one-channel images ``(B, 1, H, H)``, ``n_out`` logits."""
        if len(input_shape) != 3 or input_shape[0] != 1 or input_shape[1] != input_shape[2]:
            raise ValueError(f"a CNN takes square one-channel images (1, H, H), got input_shape={input_shape}")
        return build_cnn(self.channels, self.downsample, self.dropout, self.final_conv_channels,
                         n_classes=n_out, image_size=input_shape[-1])

    def key(self) -> str:
        """Return a file-name-safe name of the architecture, e.g. ``cnn-maxpool-c8-16-64-f64-d0``."""
        return (f"cnn-{self.downsample}-c{'-'.join(map(str, self.channels))}-f{self.final_conv_channels}"
                f"-d{self.dropout:g}")

    def label(self) -> str:
        """Return a short description, e.g. ``CNN maxpool 8-16-64 + 64, dropout 0``."""
        extra = f" + {self.final_conv_channels}" if self.final_conv_channels else ""
        return f"CNN {self.downsample} {'-'.join(map(str, self.channels))}{extra}, dropout {self.dropout:g}"
