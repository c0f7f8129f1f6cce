"""The zoo's saved and workspace bytes against values derived by hand, layer by layer.

Where each number comes from: the rule of each layer type (chipsim/model/zoo/
saves.py, each citing PyTorch's tools/autograd/derivatives.yaml), applied by
hand to torchvision's layers in their order; the same figures were measured
with torch.autograd.graph.saved_tensors_hooks (benchmarks/saved_tensors.py,
table in docs/networks.md). Float32 (4 bytes) and batch 1 unless said.
"""

from __future__ import annotations

import pytest

from chipsim.errors import ConfigError
from chipsim.model.zoo import gpt2, mobilenetv2, resnet18, resnet50, vgg16
from chipsim.model.zoo.saves import (
    CONVENTIONS,
    Act,
    Sizes,
    batchnorm_keeps,
    bit_mask_bytes,
    dropout_keeps,
    layernorm_keeps,
    maxpool_keeps,
    relu6_keeps,
    relu_keeps,
)

F32 = 4
CUDA, CPU, DEPLOYED = (
    Sizes(2, F32, CONVENTIONS[n]) for n in ("pytorch", "pytorch_cpu", "deployed")
)


def stage(chain, name):
    return next(s for s in chain.stages if s.name == name)


def test_batchnorm_keeps_its_input_and_two_statistics_per_channel():
    x = Act((16, 8, 8))
    assert batchnorm_keeps(CUDA, x) == ((x,), 2 * 16 * 4)  # mean, invstd in float32
    assert batchnorm_keeps(Sizes(2, 2, CONVENTIONS["pytorch_cpu"]), x).new_bytes == 2 * 16 * 2
    assert batchnorm_keeps(DEPLOYED, x) == ((), 0)  # folded into the convolution


def test_relu_keeps_its_result_and_relu6_its_input_copied_when_in_place():
    x, out = Act((16, 8, 8)), Act((16, 8, 8))
    assert relu_keeps(CUDA, out) == ((out,), 0)
    assert relu6_keeps(CUDA, x, inplace=False) == ((x,), 0)
    assert relu6_keeps(CUDA, x, inplace=True) == ((), 2 * 16 * 8 * 8 * F32)  # the clone
    assert relu_keeps(DEPLOYED, out) == ((), 2 * 16 * 8 * 8 // 8)  # one bit per element
    assert bit_mask_bytes(9) == 2


def test_maxpool_keeps_int64_indices_and_dropout_a_mask_by_device():
    x, out = Act((4, 8, 8)), Act((4, 4, 4))
    assert maxpool_keeps(CUDA, x, out) == ((x,), 2 * 64 * 8)
    assert dropout_keeps(CUDA, out).new_bytes == 2 * 64 * 1  # bool
    assert dropout_keeps(CPU, out).new_bytes == 2 * 64 * F32  # noise in the input's dtype


def test_layernorm_keeps_its_input_and_a_mean_and_rstd_per_row():
    x = Act((10, 32))
    assert layernorm_keeps(CUDA, x, rows=10) == ((x,), 2 * 10 * 2 * 4)


def test_resnet18_blocks_saved_bytes_by_hand():
    # Identity block at 64×56²: conv1 out (BN1's input), ReLU1's result (conv2's
    # input), conv2 out (BN2's input), the final ReLU's result a(l); 2 BNs × 2 × 64.
    side = 64 * 56 * 56 * F32
    assert stage(resnet18(), "conv2_1").saved_bytes == 4 * side + 2 * 2 * 64 * F32 == 3_212_288
    # Projection block at 128×28²: the same four plus the shortcut conv's output;
    # 3 BNs × 2 × 128. The block input is a(l-1): not counted.
    side = 128 * 28 * 28 * F32
    assert stage(resnet18(), "conv3_1").saved_bytes == 5 * side + 3 * 2 * 128 * F32 == 2_010_112
    # Max pool: int64 indices of its 64×56² output; its input is a(l-1).
    assert stage(resnet18(), "maxpool").saved_bytes == 64 * 56 * 56 * 8


def test_resnet50_first_bottleneck_by_hand():
    # 1×1 out, ReLU1, 3×3 out, ReLU2 (64×56² each); 1×1 (×4) out, shortcut out,
    # ReLU's result a(l) (256×56² each); BN statistics 2 × (64 + 64 + 256 + 256).
    small, large = 64 * 56 * 56 * F32, 256 * 56 * 56 * F32
    expected = 4 * small + 3 * large + 2 * (64 + 64 + 256 + 256) * F32
    assert stage(resnet50(), "conv2_1").saved_bytes == expected == 12_850_176


def test_mobilenetv2_second_block_by_hand():
    # 16 → 96 (×6) at 112², depthwise /2 to 56², project to 24: per expanded
    # tensor, the conv's output (BN's input), ReLU6's in-place clone and its
    # result (the next conv's input); then the project conv's output (BN's input).
    big, small = 96 * 112 * 112 * F32, 96 * 56 * 56 * F32
    stats = 2 * (96 + 96 + 24) * F32
    chain = mobilenetv2()
    assert stage(chain, "block2_1").saved_bytes == 3 * big + 3 * small + 24 * 56 * 56 * F32 + stats
    # A plain forward holds the expanded conv's output and its BN's at once.
    assert stage(chain, "block2_1").fwd_workspace_bytes == 2 * big == 9_633_792


def test_mobilenetv2_deployed_int8_folds_batchnorm_and_keeps_relu6_as_bits():
    # block1_1 (t = 1, 32 → 16 at 112²), int8: the depthwise conv's input is
    # a(l-1); its ReLU6 keeps 1 bit per element; the project conv keeps its
    # int8 input (ReLU6's result); no BN tensors or statistics.
    elements = 32 * 112 * 112
    chain = mobilenetv2(dtype_bytes=1, saves="deployed")
    assert stage(chain, "block1_1").saved_bytes == elements // 8 + elements == 451_584


def test_vgg16_conv_pool_and_fc_stages_by_hand():
    chain = vgg16()
    # conv + in-place ReLU: the conv's input is a(l-1); ReLU keeps its result a(l).
    assert stage(chain, "conv1_1").saved_bytes == 64 * 224 * 224 * F32
    assert stage(chain, "pool1").saved_bytes == 64 * 112 * 112 * 8
    # fc6: the 7×7 pool's output (fc6's input), ReLU's result, a bool dropout mask.
    assert stage(chain, "fc6").saved_bytes == 25088 * F32 + 4096 * F32 + 4096
    assert stage(vgg16(saves="pytorch_cpu"), "fc6").saved_bytes == (25088 + 4096 + 4096) * F32
    # Backward of conv + ReLU: ReLU's input gradient is the one temporary.
    assert stage(chain, "conv1_1").bwd_workspace_bytes == 64 * 224 * 224 * F32


def test_resnet18_stem_workspace_by_hand():
    # Forward: the conv's output while BN writes a(l). Backward: BN's input
    # gradient and ReLU's (each 64×112²) at once.
    side = 64 * 112 * 112 * F32
    assert stage(resnet18(), "conv1").fwd_workspace_bytes == side
    assert stage(resnet18(), "conv1").bwd_workspace_bytes == 2 * side


S, D, HEADS = 1024, 768, 12
SD, SCORES = S * D, HEADS * S * S


@pytest.mark.parametrize(("saves", "mask_bytes"), [("pytorch", 1), ("pytorch_cpu", 4)])
def test_gpt2_block_saved_bytes_by_hand(saves, mask_bytes):
    # Per s·d: LN1's output 1, QKV 3 (one storage both products keep), the heads
    # merged 1, the residual sum 1 (LN2's input), LN2's output 1, GELU's input
    # 4 and output 4 (15 in all), plus 2 dropout masks; per score: softmax's
    # result and dropout's output, plus a mask; 2 LNs × (mean, rstd) per token.
    expected = SD * (15 * F32 + 2 * mask_bytes) + SCORES * (2 * F32 + mask_bytes)
    stats = 2 * 2 * S * (4 if saves == "pytorch" else F32)
    assert gpt2(saves=saves).stages[1].saved_bytes == expected + stats


def test_gpt2_block_matches_korthikanti_in_their_conventions():
    # Korthikanti et al. 2022: 34·s·b·h + 5·a·s²·b bytes per layer (16-bit
    # activations, 1-byte masks), which includes the block input a(l-1)
    # (2·s·b·h) and leaves out LayerNorm's statistics (2 LNs × 2 × s float32).
    block = gpt2(dtype_bytes=2).stages[1]
    assert block.saved_bytes + 2 * SD == 34 * SD + 5 * SCORES + 2 * 2 * S * 4


def test_gpt2_block_forward_workspace_and_no_dropout():
    # A plain forward peaks at QKᵀ's scores and their scaled copy, QKV alive.
    assert gpt2().stages[1].fwd_workspace_bytes == (3 * SD + 2 * SCORES) * F32
    undropped = gpt2(dropout=0).stages[1].saved_bytes
    # Three bool masks go, and ×V keeps softmax's result instead of dropout's output.
    assert gpt2().stages[1].saved_bytes - undropped == 2 * SD + SCORES + SCORES * F32


def test_bad_memory_parameters_get_one_line():
    with pytest.raises(ConfigError, match=r"saves must be one of pytorch, pytorch_cpu, deployed"):
        resnet18(saves="tensorflow")
    with pytest.raises(ConfigError, match=r"dropout must be a number in \[0, 1\), got 1"):
        gpt2(dropout=1)
