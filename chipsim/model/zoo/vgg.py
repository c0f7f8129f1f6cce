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

from ..stages import Chain, Stage
from .layers import Feature, Work, check_common, check_image

#: Configuration D: conv widths per block, each block ending in a max pool.
_BLOCKS = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))
_POOLED_SIDE = 7
_HIDDEN = 4096
_DOWNSAMPLING = 32


def vgg16(
    *, batch: int = 1, dtype_bytes: int = 4, resolution: int = 224, classes: int = 1000
) -> Chain:
    """VGG-16 (configuration D): 13 conv, 5 pool and 3 FC stages (21)."""
    name = "vgg16"
    check_common(name, batch, dtype_bytes)
    check_image(name, resolution, classes, _DOWNSAMPLING)
    x = Feature(3, resolution, resolution)
    stages: list[Stage] = []
    for block, widths in enumerate(_BLOCKS, start=1):
        for index, width in enumerate(widths, start=1):
            work = Work()
            x = work.conv(x, width, 3, bias=True, bn=False)
            stages.append(work.stage(f"conv{block}_{index}", x.shape, batch))
        x = Feature(x.channels, x.height // 2, x.width // 2)
        stages.append(Work().stage(f"pool{block}", x.shape, batch))
    stages.extend(_classifier(x.channels * _POOLED_SIDE**2, classes, batch))
    return Chain(name, (batch, 3, resolution, resolution), stages, dtype_bytes=dtype_bytes)


def _classifier(features: int, classes: int, batch: int) -> list[Stage]:
    """fc6, fc7 (4096 each, ReLU, dropout) and fc8 (classes)."""
    stages = []
    for name, width in (("fc6", _HIDDEN), ("fc7", _HIDDEN), ("fc8", classes)):
        work = Work()
        features = work.linear(features, width)
        stages.append(work.stage(name, (width,), batch))
    return stages
