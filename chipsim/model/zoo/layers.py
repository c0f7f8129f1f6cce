"""Layer arithmetic the zoo's builders share: sizes, multiply-adds, parameters.

Counting rules (docs/networks.md): a convolution costs out_elements ×
k×k×in_channels/groups multiply-adds and has k×k×in/groups×out weights (plus
out biases where the layer has them); a linear layer costs in×out per row and
has in×out weights plus out biases; batch norm has 2 parameters per channel
(γ, β; running statistics are buffers, not parameters) and, like ReLU,
pooling, softmax and residual adds, 0 multiply-adds. Work is counted per
sample here and multiplied by the batch when a stage is made.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from ...errors import ConfigError
from ...limits import MAX_DIMENSION, shown
from ..stages import BACKWARD_MACS_PER_FORWARD, Stage


class Feature(NamedTuple):
    """A feature map of one sample: channels × height × width."""

    channels: int
    height: int
    width: int

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.height, self.width)


def strided(size: int, stride: int) -> int:
    """Output size of an odd k×k window with padding k//2 (every conv here, and
    ResNet's 3×3 max pool): ⌊(size - 1) / stride⌋ + 1."""
    return (size - 1) // stride + 1


class Work:
    """Multiply-adds and parameters of one stage, per sample, as layers are added."""

    def __init__(self) -> None:
        self.macs = 0
        self.params = 0

    def conv(
        self,
        x: Feature,
        out_channels: int,
        kernel: int,
        stride: int = 1,
        *,
        groups: int = 1,
        bias: bool = False,
        bn: bool = True,
    ) -> Feature:
        """A k×k convolution (padding k//2), optionally followed by batch norm."""
        out = Feature(out_channels, strided(x.height, stride), strided(x.width, stride))
        weights_per_output = kernel * kernel * x.channels // groups
        self.macs += math.prod(out.shape) * weights_per_output
        self.params += weights_per_output * out_channels + (out_channels if bias else 0)
        if bn:
            self.params += 2 * out_channels
        return out

    def linear(
        self, in_features: int, out_features: int, *, rows: int = 1, bias: bool = True
    ) -> int:
        """A dense layer applied to ``rows`` vectors (tokens); returns out_features."""
        self.macs += rows * in_features * out_features
        self.params += in_features * out_features + (out_features if bias else 0)
        return out_features

    def norm(self, features: int) -> None:
        """Batch norm or layer norm over ``features``: γ and β, no multiply-adds."""
        self.params += 2 * features

    def stage(self, name: str, output_shape: tuple[int, ...], batch: int) -> Stage:
        """The stage doing this work on ``batch`` samples (output_shape per sample)."""
        macs_fwd = self.macs * batch
        return Stage(
            name=name,
            output_shape=(batch, *output_shape),
            macs_fwd=macs_fwd,
            macs_bwd=BACKWARD_MACS_PER_FORWARD * macs_fwd,
            params=self.params,
        )


def check_whole(
    network: str, field: str, value: Any, low: int, why: str = "", high: int = MAX_DIMENSION
) -> None:
    """Raise ConfigError unless ``value`` is a whole number from ``low`` to ``high``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        reason = f" ({why})" if why else ""
        raise ConfigError(
            f"network {network}: {field} must be a whole number >= {low}{reason}, got {value!r}"
        )
    if value > high:
        raise ConfigError(
            f"network {network}: {field} must be at most {high} (chipsim.limits), "
            f"got {shown(value)}"
        )


def check_positive(network: str, field: str, value: Any) -> None:
    """Raise ConfigError unless ``value`` is a finite number > 0."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"network {network}: {field} must be a number > 0, got {value!r}")
    if value > MAX_DIMENSION:
        raise ConfigError(
            f"network {network}: {field} must be at most {MAX_DIMENSION} (chipsim.limits), "
            f"got {value!r}"
        )


def check_common(network: str, batch: Any, dtype_bytes: Any) -> None:
    """Every builder's batch and dtype_bytes."""
    check_whole(network, "batch", batch, 1)
    check_whole(network, "dtype_bytes", dtype_bytes, 1)


def check_image(network: str, resolution: Any, classes: Any, downsampling: int) -> None:
    """An image network's input side and class count."""
    why = f"the network downsamples {downsampling}×"
    check_whole(network, "resolution", resolution, downsampling, why)
    check_whole(network, "classes", classes, 1)
