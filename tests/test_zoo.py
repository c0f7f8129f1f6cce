"""The network zoo's stage tables against figures derived without its code.

Sources of the expected values (each test says which it uses):
- torchvision's model docs (pytorch.org/vision/stable/models), weights
  IMAGENET1K_V1: num_params (exact) and GFLOPS, which torchvision computes as
  multiply-adds and rounds to 2 decimals, so the tolerance is ±0.005 G.
- The TF-Slim / Keras MobileNetV2 checkpoint table ("MACs (M)" for 22
  width × resolution pairs, keras.applications.mobilenet_v2 docstring), whose
  figures are the exact counts truncated to whole millions.
- Hand derivations from the papers' tables, written out as arithmetic below:
  He et al. 2016 Table 1 (ResNet), Simonyan & Zisserman 2015 Table 1 D (VGG),
  Sandler et al. 2018 Table 2 (MobileNetV2), and the closed forms for GPT-2.
"""

from __future__ import annotations

import inspect
import math

import pytest

from chipsim.errors import ConfigError
from chipsim.model import specs
from chipsim.model.stages import BACKWARD_MACS_PER_FORWARD
from chipsim.model.zoo import ZOO, gpt2, mobilenetv2, resnet18, resnet50, vgg16

# torchvision's published figures (IMAGENET1K_V1): num_params, GFLOPS.
TORCHVISION = {
    "resnet18": (11_689_512, 1.81),
    "resnet50": (25_557_032, 4.09),
    "vgg16": (138_357_544, 15.47),
    "mobilenetv2": (3_504_872, 0.30),
}


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_parameters_match_torchvision_exactly(name):
    assert ZOO[name]().params == TORCHVISION[name][0]


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_macs_match_torchvision_gflops_to_its_two_decimals(name):
    macs = ZOO[name]().totals()["macs_fwd"]
    assert abs(macs - TORCHVISION[name][1] * 1e9) <= 0.005e9


def test_resnet18_macs_by_hand_from_table_1():
    # conv1 7×7×3 → 64 at 112²; conv2_x four 3×3 64→64 at 56²; conv3_x..conv5_x
    # each: a 3×3 c/2→c, three 3×3 c→c and a 1×1 c/2→c projection at side s.
    conv1 = 112**2 * 64 * 7 * 7 * 3
    conv2 = 4 * 56**2 * 64 * 9 * 64
    later = sum(
        s * s * c * 9 * (c // 2) + 3 * s * s * c * 9 * c + s * s * c * (c // 2)
        for s, c in ((28, 128), (14, 256), (7, 512))
    )
    assert resnet18().totals()["macs_fwd"] == conv1 + conv2 + later + 512 * 1000


def test_resnet50_macs_by_hand_from_table_1():
    # Bottleneck of width w (1×1 → w, 3×3 w → w, 1×1 w → 4w) at output side s,
    # stride on the 3×3 (torchvision's v1.5): the first block's 1×1 runs at the
    # input side, and it adds a 1×1 projection c_in → 4w; the others cost 17·s²·w².
    total = 112**2 * 64 * 7 * 7 * 3 + 2048 * 1000
    c_in, s_in = 64, 56
    for blocks, w, s in ((3, 64, 56), (4, 128, 28), (6, 256, 14), (3, 512, 7)):
        first = s_in**2 * w * c_in + s * s * w * 9 * w + s * s * 4 * w * w + s * s * 4 * w * c_in
        total += first + (blocks - 1) * 17 * s * s * w * w
        c_in, s_in = 4 * w, s
    assert resnet50().totals()["macs_fwd"] == total


def test_vgg16_macs_by_hand_from_configuration_d():
    # 3×3 convs (in → out at side s) and the three FC layers on 7·7·512 features.
    convs = [(3, 64, 224), (64, 64, 224), (64, 128, 112), (128, 128, 112)]
    convs += [(128, 256, 56)] + [(256, 256, 56)] * 2 + [(256, 512, 28)] + [(512, 512, 28)] * 2
    convs += [(512, 512, 14)] * 3
    fc = 7 * 7 * 512 * 4096 + 4096 * 4096 + 4096 * 1000
    expected = sum(s * s * out * 9 * cin for cin, out, s in convs) + fc
    assert expected == 15_470_264_320
    assert vgg16().totals()["macs_fwd"] == expected


# TF-Slim / Keras table: MobileNetV2 "MACs (M)" by (width_mult, resolution).
SLIM_MMACS = {
    (1.4, 224): 582, (1.3, 224): 509,
    (1.0, 224): 300, (1.0, 192): 221, (1.0, 160): 154, (1.0, 128): 99, (1.0, 96): 56,
    (0.75, 224): 209, (0.75, 192): 153, (0.75, 160): 107, (0.75, 128): 69, (0.75, 96): 39,
    (0.5, 224): 97, (0.5, 192): 71, (0.5, 160): 50, (0.5, 128): 32, (0.5, 96): 18,
    (0.35, 224): 59, (0.35, 192): 43, (0.35, 160): 30, (0.35, 128): 20, (0.35, 96): 11,
}  # fmt: skip


@pytest.mark.parametrize(("width_mult", "resolution"), sorted(SLIM_MMACS))
def test_mobilenetv2_macs_match_the_slim_table(width_mult, resolution):
    chain = mobilenetv2(width_mult=width_mult, resolution=resolution)
    assert chain.totals()["macs_fwd"] // 10**6 == SLIM_MMACS[width_mult, resolution]


@pytest.mark.parametrize(
    ("width_mult", "stem", "blocks", "last"),
    [
        # make_divisible(c × width_mult, 8), worked by hand: 0.35 × 32 = 11.2 → 8,
        # below 0.9 × 11.2 so 16; 1.4 × 64 = 89.6 → 88; 1280 × max(1, 1.4) = 1792.
        (0.35, 16, [8, 8, 8, 16, 16, 16, 24, 24, 24, 24, 32, 32, 32, 56, 56, 56, 112], 1280),
        (1.0, 32, [16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160, 320], 1280),
        (
            1.4,
            48,
            [24, 32, 32, 48, 48, 48, 88, 88, 88, 88, 136, 136, 136, 224, 224, 224, 448],
            1792,
        ),
    ],
)
def test_mobilenetv2_channels_follow_make_divisible(width_mult, stem, blocks, last):
    channels = [stage.output_shape[1] for stage in mobilenetv2(width_mult=width_mult).stages]
    assert channels == [stem, *blocks, last, 1000]


def test_gpt2_small_parameters_closed_form_with_tied_head():
    v, n, d, blocks = 50257, 1024, 768, 12
    closed_form = v * d + n * d + blocks * (12 * d * d + 13 * d) + 2 * d
    assert closed_form == 124_439_808  # GPT-2 small, LM head tied to the embedding
    assert gpt2().params == closed_form


@pytest.mark.parametrize(
    ("blocks", "seq", "d", "heads", "vocab", "batch"),
    [(12, 1024, 768, 12, 50257, 1), (24, 1024, 1024, 16, 50257, 2), (2, 16, 8, 2, 11, 3)],
)
def test_gpt2_macs_and_params_closed_form(blocks, seq, d, heads, vocab, batch):
    chain = gpt2(blocks=blocks, seq=seq, d_model=d, heads=heads, vocab=vocab, batch=batch)
    per_block = 12 * seq * d * d + 2 * seq * seq * d  # projections + QKᵀ and AV
    assert chain.totals()["macs_fwd"] == batch * (blocks * per_block + seq * d * vocab)
    assert chain.params == vocab * d + seq * d + blocks * (12 * d * d + 13 * d) + 2 * d
    assert chain.totals()["activation_elements"] == batch * seq * ((blocks + 1) * d + vocab)
    assert chain.input_shape == (batch, seq)


# Activation elements (batch 1): the sum of the stage outputs, from the papers' output sizes.
ACTIVATION_ELEMENTS = {
    # conv1 64·112², pool 64·56², blocks at 64·56², 128·28², 256·14², 512·7², head 1000
    "resnet18": 64 * 112**2 + 64 * 56**2
    + 2 * (64 * 56**2 + 128 * 28**2 + 256 * 14**2 + 512 * 7**2) + 1000,
    "resnet50": 64 * 112**2 + 64 * 56**2
    + 3 * 256 * 56**2 + 4 * 512 * 28**2 + 6 * 1024 * 14**2 + 3 * 2048 * 7**2 + 1000,
    "vgg16": 2 * 64 * 224**2 + 64 * 112**2 + 2 * 128 * 112**2 + 128 * 56**2
    + 3 * 256 * 56**2 + 256 * 28**2 + 3 * 512 * 28**2 + 512 * 14**2
    + 3 * 512 * 14**2 + 512 * 7**2 + 4096 + 4096 + 1000,
    # stem 32·112², Table 2 rows (n × c at side), last conv 1280·7², head 1000
    "mobilenetv2": 32 * 112**2 + 16 * 112**2 + 2 * 24 * 56**2 + 3 * 32 * 28**2
    + 4 * 64 * 14**2 + 3 * 96 * 14**2 + 3 * 160 * 7**2 + 320 * 7**2 + 1280 * 7**2 + 1000,
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(ACTIVATION_ELEMENTS))
def test_activation_elements_by_hand(name):
    assert ZOO[name]().totals()["activation_elements"] == ACTIVATION_ELEMENTS[name]


def test_resnet18_first_conv_and_last_block_sizes():
    stages = resnet18().stages
    assert (stages[0].name, stages[0].output_shape, stages[0].elements) == (
        "conv1",
        (1, 64, 112, 112),
        802_816,
    )
    assert (stages[1].name, stages[1].output_shape) == ("maxpool", (1, 64, 56, 56))
    assert (stages[-2].name, stages[-2].output_shape, stages[-2].elements) == (
        "conv5_2",
        (1, 512, 7, 7),
        25_088,
    )
    assert stages[-1].output_shape == (1, 1000)


def test_stage_counts_follow_the_granularity():
    # ResNet: stem 2 + blocks + head; MobileNetV2: stem + 17 + last conv + head;
    # VGG: 13 conv + 5 pool + 3 FC; GPT-2: embedding + blocks + head.
    assert [ZOO[name]().layers for name in ("resnet18", "resnet50", "mobilenetv2", "vgg16")] == [
        2 + 8 + 1,
        2 + 16 + 1,
        1 + 17 + 1 + 1,
        13 + 5 + 3,
    ]
    assert gpt2(blocks=5).layers == 7


def test_per_stage_parameters_spot_checks():
    # conv1: 7·7·3·64 weights + BN 2·64; conv2_1: two 3×3 64→64 + 2 BN.
    stages = resnet18().stages
    assert stages[0].params == 7 * 7 * 3 * 64 + 2 * 64
    assert stages[2].params == 2 * (9 * 64 * 64 + 2 * 64)
    # VGG conv1_1 with bias; fc6 on 7·7·512 features with bias.
    by_name = {stage.name: stage for stage in vgg16().stages}
    assert by_name["conv1_1"].params == 9 * 3 * 64 + 64
    assert by_name["fc6"].params == 25088 * 4096 + 4096


@pytest.mark.parametrize("name", sorted(ZOO))
def test_gradient_work_is_two_forwards_on_every_stage(name):
    # issue 20: macs_bwd is the gradient work alone (a bwd that recomputes pays macs_fwd too)
    for stage in ZOO[name]().stages:
        assert stage.macs_bwd == BACKWARD_MACS_PER_FORWARD * stage.macs_fwd == 2 * stage.macs_fwd


@pytest.mark.parametrize("name", sorted(ZOO))
def test_batch_multiplies_elements_and_macs_not_params(name):
    small = ZOO[name]() if name != "gpt2" else gpt2(seq=64)
    large = ZOO[name](batch=8) if name != "gpt2" else gpt2(seq=64, batch=8)
    assert large.input_shape == (8, *small.input_shape[1:])
    for one, eight in zip(small.stages, large.stages, strict=True):
        assert eight.output_shape == (8, *one.output_shape[1:])
        assert eight.elements == 8 * one.elements
        assert eight.macs_fwd == 8 * one.macs_fwd
        assert eight.params == one.params


@pytest.mark.parametrize("name", sorted(ZOO))
def test_dtype_bytes_multiplies_bytes_only(name):
    kwargs = {"seq": 64} if name == "gpt2" else {}
    one, two = ZOO[name](dtype_bytes=1, **kwargs), ZOO[name](dtype_bytes=2, **kwargs)
    assert list(two.activation_bytes) == [2 * e for e in one.activation_elements]
    assert two.totals()["activation_bytes"] == 2 * one.totals()["activation_elements"]
    assert two.totals()["macs_fwd"] == one.totals()["macs_fwd"]
    assert two.params == one.params


def test_mobilenetv2_resolution_changes_sides_not_params():
    # side after the stem is ⌈r/2⌉, then halves at Table 2's stride-2 rows: 160 → 80 … 5.
    chain = mobilenetv2(resolution=160)
    assert chain.stages[0].output_shape == (1, 32, 80, 80)
    assert chain.stages[-2].output_shape == (1, 1280, 5, 5)
    assert chain.params == 3_504_872
    assert mobilenetv2(width_mult=0.5).stages[0].output_shape == (1, 16, 112, 112)


def test_vgg16_params_do_not_depend_on_resolution():
    # torchvision's adaptive 7×7 average pool keeps fc6 at 25088 inputs.
    chain = vgg16(resolution=64)
    assert chain.params == 138_357_544
    assert [s.output_shape for s in chain.stages if s.name.startswith("pool")] == [
        (1, c, 64 >> k, 64 >> k) for k, c in enumerate((64, 128, 256, 512, 512), start=1)
    ]


def test_classes_set_the_head():
    head = resnet18(classes=10).stages[-1]
    assert head.output_shape == (1, 10)
    assert head.params == 512 * 10 + 10
    assert resnet18(classes=10).params == 11_689_512 - 512 * 990 - 990


def test_timing_only_keyword_only_and_a_plain_default_name():
    for name, build in ZOO.items():
        chain = build()
        assert (chain.name, chain.has_math) == (name, False)
        kinds = {p.kind for p in inspect.signature(build).parameters.values()}
        assert kinds == {inspect.Parameter.KEYWORD_ONLY}


def test_specs_parse_zoo_parameters():
    spec = specs.parse("mobilenetv2:width_mult=0.35,resolution=96,dtype_bytes=1", ZOO, "network")
    chain = ZOO[spec.name](**dict(spec.params))
    assert chain.dtype_bytes == 1
    assert chain.input_shape == (1, 3, 96, 96)
    assert chain.stages[0].output_shape == (1, 16, 48, 48)


@pytest.mark.parametrize(
    ("build", "kwargs", "message"),
    [
        (resnet18, {"batch": 0}, "network resnet18: batch must be a whole number >= 1, got 0"),
        (
            resnet50,
            {"batch": True},
            "network resnet50: batch must be a whole number >= 1, got True",
        ),
        (
            vgg16,
            {"dtype_bytes": 0},
            "network vgg16: dtype_bytes must be a whole number >= 1, got 0",
        ),
        (
            resnet18,
            {"resolution": 31},
            "network resnet18: resolution must be a whole number >= 32 "
            "(the network downsamples 32×), got 31",
        ),
        (
            mobilenetv2,
            {"resolution": 16},
            "network mobilenetv2: resolution must be a whole number >= 32 "
            "(the network downsamples 32×), got 16",
        ),
        (vgg16, {"classes": 0}, "network vgg16: classes must be a whole number >= 1, got 0"),
        (
            mobilenetv2,
            {"width_mult": 0.0},
            "network mobilenetv2: width_mult must be a number > 0, got 0.0",
        ),
        (
            mobilenetv2,
            {"width_mult": -1.0},
            "network mobilenetv2: width_mult must be a number > 0, got -1.0",
        ),
        (
            mobilenetv2,
            {"width_mult": math.nan},
            "network mobilenetv2: width_mult must be a number > 0, got nan",
        ),
        (
            gpt2,
            {"heads": 7},
            "network gpt2: heads must divide d_model=768, got 7 (valid: a divisor of 768)",
        ),
        (gpt2, {"seq": 0}, "network gpt2: seq must be a whole number >= 1, got 0"),
        (gpt2, {"blocks": 0}, "network gpt2: blocks must be a whole number >= 1, got 0"),
        (gpt2, {"vocab": 0}, "network gpt2: vocab must be a whole number >= 1, got 0"),
        (gpt2, {"heads": 0}, "network gpt2: heads must be a whole number >= 1, got 0"),
    ],
)
def test_invalid_parameters_get_one_line_messages(build, kwargs, message):
    with pytest.raises(ConfigError) as caught:
        build(**kwargs)
    assert str(caught.value) == message


def test_smallest_resolution_is_accepted():
    assert resnet18(resolution=32).stages[-2].output_shape == (1, 512, 1, 1)
    assert vgg16(resolution=32).stages[17].output_shape == (1, 512, 1, 1)
    assert mobilenetv2(resolution=32).stages[-2].output_shape == (1, 1280, 1, 1)
