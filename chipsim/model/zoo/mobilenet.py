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

from types import SimpleNamespace

from ..stages import Chain, Stage
from .checks import check_common, check_image, check_positive
from .layers import Work
from .params import BATCH, CLASSES, DTYPE_BYTES, RESOLUTION, SAVES, Param, builder
from .saves import Act, Sizes, convention, feature

#: torchvision's classifier dropout before the last layer.
_HEAD_DROPOUT = 0.2

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


@builder(BATCH, DTYPE_BYTES, Param("width_mult", float, 1.0), RESOLUTION, CLASSES, SAVES)
def mobilenetv2(p: SimpleNamespace) -> Chain:
    """MobileNetV2: stem, 17 inverted-residual blocks, last conv, head (20 stages)."""
    name, width_mult = "mobilenetv2", p.width_mult
    check_common(name, p.batch, p.dtype_bytes)
    check_positive(name, "width_mult", width_mult)
    check_image(name, p.resolution, p.classes, _DOWNSAMPLING)
    sizes = Sizes(p.batch, p.dtype_bytes, convention(name, p.saves))
    x = feature(3, p.resolution, p.resolution)
    stem = Work(x, sizes)
    x = stem.relu6(stem.conv(x, make_divisible(_STEM_CHANNELS * width_mult), 3, 2))
    stages = [stem.stage("stem", x)]
    for row, (expansion, channels, repeats, stride) in enumerate(_BOTTLENECKS, start=1):
        for index in range(repeats):
            work = Work(x, sizes)
            out_channels = make_divisible(channels * width_mult)
            x = _inverted_residual(work, x, out_channels, expansion, stride if index == 0 else 1)
            stages.append(work.stage(f"block{row}_{index + 1}", x))
    last = make_divisible(_LAST_CHANNELS * max(1.0, width_mult))
    stages.extend(_tail(x, last, p.classes, sizes))
    input_shape = (p.batch, 3, p.resolution, p.resolution)
    return Chain(name, input_shape, stages, dtype_bytes=p.dtype_bytes)


def make_divisible(value: float, divisor: int = _DIVISOR) -> int:
    """The multiple of ``divisor`` nearest ``value`` (at least ``divisor``), never
    more than 10% below it: the reference implementation's channel rounding."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def _inverted_residual(work: Work, x: Act, out_channels: int, expansion: int, stride: int) -> Act:
    """[1×1 expand-BN-ReLU6], 3×3 depthwise/stride-BN-ReLU6, 1×1 project-BN, [x + it]."""
    hidden = x.channels * expansion
    inner = work.relu6(work.conv(x, hidden, 1)) if expansion != 1 else x
    inner = work.relu6(work.conv(inner, hidden, 3, stride, groups=hidden))
    out = work.conv(inner, out_channels, 1)
    return work.add(x, out) if stride == 1 and x.channels == out_channels else out


def _tail(x: Act, last_channels: int, classes: int, sizes: Sizes) -> list[Stage]:
    """The final 1×1 conv (+BN, ReLU6) and the head (avg pool, dropout, FC)."""
    conv = Work(x, sizes)
    x = conv.relu6(conv.conv(x, last_channels, 1))
    head = Work(x, sizes)
    pooled = head.dropout(head.flatten(head.avgpool(x, 1)), _HEAD_DROPOUT)
    return [conv.stage("conv_last", x), head.stage("avgpool+fc", head.linear(pooled, classes))]
