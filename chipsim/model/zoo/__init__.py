"""The network zoo: stage tables of published architectures, timing only.

Each builder takes keyword-only model parameters (batch, dtype_bytes and the
architecture's own, declared as ``params.Param``s: the shared ones once) and
returns a ``Chain`` without numpy math. How each
network is cut into stages and what is counted: docs/networks.md.
"""

from __future__ import annotations

from collections.abc import Callable

from ..stages import Chain
from .gpt2 import gpt2
from .mobilenet import mobilenetv2
from .resnet import resnet18, resnet50
from .vgg import vgg16

#: Spec name → builder.
ZOO: dict[str, Callable[..., Chain]] = {
    "resnet18": resnet18,
    "resnet50": resnet50,
    "mobilenetv2": mobilenetv2,
    "vgg16": vgg16,
    "gpt2": gpt2,
}

__all__ = ["ZOO", "gpt2", "mobilenetv2", "resnet18", "resnet50", "vgg16"]
