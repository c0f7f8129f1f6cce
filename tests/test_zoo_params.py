"""The zoo builders' signatures, made from their ``Param`` lists: what specs read."""

from __future__ import annotations

import pytest

from chipsim.model import specs
from chipsim.model.zoo import ZOO, resnet50, vgg16


def test_each_builder_lists_its_parameters_in_spec_order_with_their_kinds() -> None:
    assert [specs.describe(name, build) for name, build in ZOO.items()] == [
        "resnet18[:batch=N,dtype_bytes=N,resolution=N,classes=N,saves=TEXT,stem=TEXT]",
        "resnet50[:batch=N,dtype_bytes=N,resolution=N,classes=N,saves=TEXT,stem=TEXT]",
        "mobilenetv2[:batch=N,dtype_bytes=N,width_mult=X,resolution=N,classes=N,saves=TEXT]",
        "vgg16[:batch=N,dtype_bytes=N,resolution=N,classes=N,saves=TEXT]",
        "gpt2[:blocks=N,seq=N,d_model=N,heads=N,vocab=N,batch=N,dtype_bytes=N,dropout=X,saves=TEXT]",
    ]


def test_a_builder_fills_in_the_defaults_its_parameters_declare() -> None:
    defaults = {key: p.default for key, p in specs.parameters(resnet50).items()}
    assert defaults == {
        "batch": 1,
        "dtype_bytes": 4,
        "resolution": None,
        "classes": None,
        "saves": "pytorch",
        "stem": "imagenet",
    }
    assert resnet50(batch=2).input_shape == (2, 3, 224, 224)
    assert resnet50(stem="cifar").input_shape == (1, 3, 32, 32)


def test_a_wrong_call_is_a_type_error_naming_the_builder() -> None:
    with pytest.raises(TypeError, match=r"^vgg16\(\) got an unexpected keyword argument 'depth'$"):
        vgg16(depth=3)
    with pytest.raises(TypeError, match=r"^vgg16\(\) too many positional arguments$"):
        vgg16(1)
