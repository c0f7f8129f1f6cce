"""VGG-16 as a stage table.

Simonyan, Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
Recognition", ICLR 2015, Table 1 configuration D. Stages: each 3×3 conv +
ReLU (13), each 2×2/2 max pool (5), and each fully connected layer (3; ReLU
and dropout folded into the first two). VGG is a plain chain, so every layer
with an output of its own is a stage of its own.

As torchvision's VGG does, convolutions have biases and the classifier first
average-pools the features to 7×7 (the identity at resolution 224), so the
parameter count does not depend on the resolution; that pool is folded into
the fc6 stage.
"""

from __future__ import annotations

from types import SimpleNamespace

from ..stages import Chain, Stage
from .checks import check_common, check_image
from .layers import Work
from .params import BATCH, CLASSES, DTYPE_BYTES, RESOLUTION, SAVES, builder
from .saves import Act, Sizes, convention, feature

#: Configuration D: conv widths per block, each block ending in a max pool.
_BLOCKS = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))
_POOLED_SIDE = 7
_HIDDEN = 4096
_DOWNSAMPLING = 32
#: torchvision's classifier dropout after fc6 and fc7.
_DROPOUT = 0.5


@builder(BATCH, DTYPE_BYTES, RESOLUTION, CLASSES, SAVES)
def vgg16(p: SimpleNamespace) -> Chain:
    """VGG-16 (configuration D): 13 conv, 5 pool and 3 FC stages (21)."""
    name = "vgg16"
    check_common(name, p.batch, p.dtype_bytes)
    check_image(name, p.resolution, p.classes, _DOWNSAMPLING)
    sizes = Sizes(p.batch, p.dtype_bytes, convention(name, p.saves))
    x = feature(3, p.resolution, p.resolution)
    stages: list[Stage] = []
    for block, widths in enumerate(_BLOCKS, start=1):
        for index, width in enumerate(widths, start=1):
            work = Work(x, sizes)
            x = work.relu(work.conv(x, width, 3, bias=True, bn=False))
            stages.append(work.stage(f"conv{block}_{index}", x))
        pool = Work(x, sizes)
        x = pool.maxpool(x, feature(x.channels, x.height // 2, x.width // 2))
        stages.append(pool.stage(f"pool{block}", x))
    stages.extend(_classifier(x, p.classes, sizes))
    input_shape = (p.batch, 3, p.resolution, p.resolution)
    return Chain(name, input_shape, stages, dtype_bytes=p.dtype_bytes)


def _classifier(x: Act, classes: int, sizes: Sizes) -> list[Stage]:
    """fc6 (after the 7×7 average pool) and fc7 (4096 each, ReLU, dropout), fc8 (classes)."""
    fc6 = Work(x, sizes)
    x = _hidden(fc6, fc6.flatten(fc6.avgpool(x, _POOLED_SIDE)))
    fc7 = Work(x, sizes)
    y = _hidden(fc7, x)
    fc8 = Work(y, sizes)
    return [fc6.stage("fc6", x), fc7.stage("fc7", y), fc8.stage("fc8", fc8.linear(y, classes))]


def _hidden(work: Work, x: Act) -> Act:
    """A 4096-wide layer: linear, ReLU (in place), dropout."""
    return work.dropout(work.relu(work.linear(x, _HIDDEN)), _DROPOUT)
