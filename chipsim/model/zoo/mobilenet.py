"""MobileNetV2 as a stage table.

Sandler, Howard, Zhu, Zhmoginov, Chen, "MobileNetV2: Inverted Residuals and
Linear Bottlenecks", CVPR 2018, Table 2. Stages: the stem (3×3/2 conv + BN +
ReLU6), one stage per inverted-residual block (1×1 expansion, 3×3 depthwise,
1×1 linear projection, each with BN; the residual add where stride is 1 and
the widths match), the final 1×1 conv to 1280 channels, and the head (global
average pool + dropout + fully connected layer).

Widths follow the reference implementation (torchvision's): every channel
count c × width_mult is rounded by ``make_divisible`` to a multiple of 8, the
last conv keeps 1280 channels for width_mult < 1, and a block's expanded width
is in_channels × t.
"""

from __future__ import annotations

from ..stages import Chain, Stage
from .layers import Feature, Work, check_common, check_image, check_positive

#: Table 2's bottleneck rows: expansion t, output channels c, repeats n, first stride s.
_BOTTLENECKS = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
_STEM_CHANNELS = 32
_LAST_CHANNELS = 1280
_DIVISOR = 8
_DOWNSAMPLING = 32


def mobilenetv2(
    *,
    batch: int = 1,
    dtype_bytes: int = 4,
    width_mult: float = 1.0,
    resolution: int = 224,
    classes: int = 1000,
) -> Chain:
    """MobileNetV2: stem, 17 inverted-residual blocks, last conv, head (20 stages)."""
    name = "mobilenetv2"
    check_common(name, batch, dtype_bytes)
    check_positive(name, "width_mult", width_mult)
    check_image(name, resolution, classes, _DOWNSAMPLING)
    stem = Work()
    x = stem.conv(
        Feature(3, resolution, resolution), make_divisible(_STEM_CHANNELS * width_mult), 3, 2
    )
    stages = [stem.stage("stem", x.shape, batch)]
    for row, (expansion, channels, repeats, stride) in enumerate(_BOTTLENECKS, start=1):
        for index in range(repeats):
            work = Work()
            x = _inverted_residual(
                work,
                x,
                make_divisible(channels * width_mult),
                expansion,
                stride if index == 0 else 1,
            )
            stages.append(work.stage(f"block{row}_{index + 1}", x.shape, batch))
    stages.extend(_tail(x, make_divisible(_LAST_CHANNELS * max(1.0, width_mult)), classes, batch))
    return Chain(name, (batch, 3, resolution, resolution), stages, dtype_bytes=dtype_bytes)


def make_divisible(value: float, divisor: int = _DIVISOR) -> int:
    """The multiple of ``divisor`` nearest ``value`` (at least ``divisor``), never
    more than 10% below it: the reference implementation's channel rounding."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _inverted_residual(
    work: Work, x: Feature, out_channels: int, expansion: int, stride: int
) -> Feature:
    """[1×1 expand-BN-ReLU6], 3×3 depthwise/stride-BN-ReLU6, 1×1 project-BN, [add]."""
    hidden = x.channels * expansion
    inner = work.conv(x, hidden, 1) if expansion != 1 else x
    inner = work.conv(inner, hidden, 3, stride, groups=hidden)
    return work.conv(inner, out_channels, 1)


def _tail(x: Feature, last_channels: int, classes: int, batch: int) -> list[Stage]:
    """The final 1×1 conv (+BN, ReLU6) and the head (avg pool, dropout, FC)."""
    conv = Work()
    x = conv.conv(x, last_channels, 1)
    head = Work()
    head.linear(last_channels, classes)
    return [conv.stage("conv_last", x.shape, batch), head.stage("avgpool+fc", (classes,), batch)]
