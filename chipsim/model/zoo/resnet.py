"""ResNet-18 and ResNet-50 as stage tables.

He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", CVPR
2016, Table 1. Stages: the stem's conv1 (7×7/2 + BN + ReLU), its 3×3/2 max
pool, one stage per residual block (the whole block, shortcut and add
included, so ``bwd`` recomputes its inner tensors from the block's input),
and the head (global average pool + fully connected layer).

``stem=cifar`` swaps the stem for the one CIFAR training code uses on this
ImageNet block layout: one 3×3/1 convolution (64, BN, ReLU) and no max pool,
so the blocks see the full 32×32 input (He et al. 2016, section 4.2, start
their CIFAR networks with a 3×3 convolution; the 64-wide, four-group variant
is kuangliu/pytorch-cifar's ``ResNet18``/``ResNet50``, the common choice). It
defaults to 32×32 inputs and 10 classes, and downsamples 8× instead of 32×.

Blocks follow torchvision's ResNet: convolutions without bias, each followed
by batch norm; a 1×1 projection shortcut (+ BN) where the shape changes; in
ResNet-50's bottleneck the stride sits on the 3×3 convolution ("ResNet
v1.5"), as torchvision's published 4.09 GMACs count it (the paper's v1 puts
it on the first 1×1).
"""

from __future__ import annotations

from types import SimpleNamespace

from ...errors import ConfigError
from ..stages import Chain, Stage
from .checks import check_common, check_image
from .layers import Work, strided
from .params import BATCH, DTYPE_BYTES, SAVES, Param, builder
from .saves import Act, Sizes, convention, feature

#: Table 1's stages conv2_x..conv5_x: (blocks, width); the first block of every
#: stage after conv2_x has stride 2.
_RESNET18_LAYERS = ((2, 64), (2, 128), (2, 256), (2, 512))
_RESNET50_LAYERS = ((3, 64), (4, 128), (6, 256), (3, 512))
_BOTTLENECK_EXPANSION = 4
#: stem → (downsampling, default resolution, default classes).
_STEMS = {"imagenet": (32, 224, 1000), "cifar": (8, 32, 10)}


#: Both ResNets' parameters; resolution and classes default to the stem's.
_PARAMS = (
    BATCH,
    DTYPE_BYTES,
    Param("resolution", int | None, None),
    Param("classes", int | None, None),
    SAVES,
    Param("stem", str, "imagenet"),
)


@builder(*_PARAMS)
def resnet18(p: SimpleNamespace) -> Chain:
    """ResNet-18: 8 basic blocks (two 3×3 convs each), 11 stages (10 with ``stem=cifar``)."""
    return _resnet("resnet18", _basic_block, _RESNET18_LAYERS, p)


@builder(*_PARAMS)
def resnet50(p: SimpleNamespace) -> Chain:
    """ResNet-50: 16 bottleneck blocks (1×1, 3×3, 1×1 ×4), 19 stages (18 with ``stem=cifar``)."""
    return _resnet("resnet50", _bottleneck, _RESNET50_LAYERS, p)


def _resnet(name: str, block, layers, p: SimpleNamespace) -> Chain:
    """Stem, the residual blocks of ``layers`` (Table 1's conv2_x..conv5_x), head."""
    sizes, stem = Sizes(p.batch, p.dtype_bytes, convention(name, p.saves)), p.stem
    check_common(name, sizes.batch, sizes.dtype_bytes)
    if stem not in _STEMS:
        raise ConfigError(f"network {name}: stem must be one of {', '.join(_STEMS)}, got {stem!r}")
    downsampling, default_resolution, default_classes = _STEMS[stem]
    resolution = default_resolution if p.resolution is None else p.resolution
    classes = default_classes if p.classes is None else p.classes
    check_image(name, resolution, classes, downsampling)
    first = _stem if stem == "imagenet" else _cifar_stem
    stages, x = first(feature(3, resolution, resolution), sizes)
    for group, (blocks, width) in enumerate(layers, start=2):
        for index in range(blocks):
            stride = 2 if index == 0 and group > 2 else 1
            work = Work(x, sizes)
            x = block(work, x, width, stride)
            stages.append(work.stage(f"conv{group}_{index + 1}", x))
    head = Work(x, sizes)
    pooled = head.flatten(head.avgpool(x, 1))
    stages.append(head.stage("avgpool+fc", head.linear(pooled, classes)))
    input_shape = (sizes.batch, 3, resolution, resolution)
    return Chain(name, input_shape, stages, dtype_bytes=sizes.dtype_bytes)


def _stem(x: Act, sizes: Sizes) -> tuple[list[Stage], Act]:
    """conv1 (7×7/2, 64, BN, ReLU) and the 3×3/2 max pool, as two stages."""
    conv = Work(x, sizes)
    x = conv.relu(conv.conv(x, 64, 7, 2))
    pool = Work(x, sizes)
    pooled = pool.maxpool(x, feature(x.channels, strided(x.height, 2), strided(x.width, 2)))
    return [conv.stage("conv1", x), pool.stage("maxpool", pooled)], pooled


def _cifar_stem(x: Act, sizes: Sizes) -> tuple[list[Stage], Act]:
    """conv1 (3×3/1, 64, BN, ReLU), no max pool: one stage at the input's resolution."""
    conv = Work(x, sizes)
    x = conv.relu(conv.conv(x, 64, 3, 1))
    return [conv.stage("conv1", x)], x


def _basic_block(work: Work, x: Act, width: int, stride: int) -> Act:
    """3×3 conv-BN-ReLU, 3×3 conv-BN, shortcut, add, ReLU (torchvision's order)."""
    out = work.conv(work.relu(work.conv(x, width, 3, stride)), width, 3)
    return work.relu(work.add(out, _shortcut(work, x, out, stride), inplace=True))


def _bottleneck(work: Work, x: Act, width: int, stride: int) -> Act:
    """1×1 conv-BN-ReLU, 3×3/stride conv-BN-ReLU, 1×1 (×4) conv-BN, shortcut, add, ReLU."""
    inner = work.relu(work.conv(work.relu(work.conv(x, width, 1)), width, 3, stride))
    out = work.conv(inner, width * _BOTTLENECK_EXPANSION, 1)
    return work.relu(work.add(out, _shortcut(work, x, out, stride), inplace=True))


def _shortcut(work: Work, x: Act, out: Act, stride: int) -> Act:
    """Identity, or a 1×1/stride projection + BN where the shape changes."""
    if stride != 1 or x.channels != out.channels:
        return work.conv(x, out.channels, 1, stride)
    return x
