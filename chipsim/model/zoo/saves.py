"""What each layer type keeps for its backward: the zoo's rules, one function each.

A rule returns a ``Keep``: the activations the layer keeps (by identity, so a
storage kept twice counts once, and the stage input a(l-1) not at all) plus the
bytes of new buffers it makes for the backward (statistics, masks, indices,
copies). Weights and buffers are resident, never counted here.

The default convention is PyTorch autograd's: each rule cites the formula in
``tools/autograd/derivatives.yaml`` (torch 2.14) that decides what is saved,
and ``benchmarks/saved_tensors.py`` checks every stage against
``torch.autograd.graph.saved_tensors_hooks``. ``Convention`` says where
devices differ (dropout masks, normalisation statistics) and what a deployed
int8 runtime changes (docs/networks.md, "What a stage keeps").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

from ...errors import ConfigError

#: Bytes of an int64 index (max-pool indices, token positions).
INDEX_BYTES = 8


@dataclass(frozen=True, eq=False)
class Act:
    """One activation tensor of one sample (its shape without the batch)."""

    shape: tuple[int, ...]

    @property
    def elements(self) -> int:
        return math.prod(self.shape)

    @property
    def channels(self) -> int:
        return self.shape[0]

    @property
    def height(self) -> int:
        return self.shape[1]

    @property
    def width(self) -> int:
        return self.shape[2]


def feature(channels: int, height: int, width: int) -> Act:
    """A feature map of one sample: channels × height × width."""
    return Act((channels, height, width))


@dataclass(frozen=True)
class Convention:
    """Whose saved tensors: bytes of a dropout mask element and of a statistic
    (None: the activation's dtype), and the deployed runtime's two changes."""

    name: str
    mask_bytes: int | None
    stat_bytes: int | None
    folds_batchnorm: bool = False
    relu_mask_bits: bool = False


#: ``saves=`` values. pytorch: CUDA kernels (native_dropout's bool mask; mean and
#: invstd in float32, the accumulate type). pytorch_cpu: CPU kernels (dropout is
#: input * noise, noise in the input's dtype; statistics in the input's dtype).
#: deployed: an int8 runtime as MCUNetV3's (batch norm folded, ReLU masks as bits).
CONVENTIONS: dict[str, Convention] = {
    "pytorch": Convention("pytorch", mask_bytes=1, stat_bytes=4),
    "pytorch_cpu": Convention("pytorch_cpu", mask_bytes=None, stat_bytes=None),
    "deployed": Convention("deployed", 1, 4, folds_batchnorm=True, relu_mask_bits=True),
}


def convention(network: str, saves: str) -> Convention:
    """The convention named by a builder's ``saves`` parameter."""
    if saves not in CONVENTIONS:
        valid = ", ".join(CONVENTIONS)
        raise ConfigError(f"network {network}: saves must be one of {valid}, got {saves!r}")
    return CONVENTIONS[saves]


@dataclass(frozen=True)
class Sizes:
    """Batch, element bytes and convention: what turns a rule into bytes."""

    batch: int
    dtype_bytes: int
    convention: Convention

    def count(self, act: Act) -> int:
        """Elements of ``act`` over the batch."""
        return act.elements * self.batch

    def bytes(self, act: Act) -> int:
        return self.count(act) * self.dtype_bytes

    def stat_bytes(self) -> int:
        return self.convention.stat_bytes or self.dtype_bytes

    def mask_bytes(self) -> int:
        return self.convention.mask_bytes or self.dtype_bytes


class Keep(NamedTuple):
    """What one layer keeps: activations (by identity) and new bytes."""

    acts: tuple[Act, ...] = ()
    new_bytes: int = 0


def conv_keeps(x: Act) -> Keep:
    """Convolution keeps its input, for the weight gradient (derivatives.yaml
    ``convolution``: ``convolution_backward(grad, input, weight, ...)``)."""
    return Keep((x,))


def linear_keeps(x: Act) -> Keep:
    """A dense layer keeps its input (``addmm``: ``mm_mat2_backward(grad, mat1, ...)``;
    ``linear`` on 3-d input flattens to the same call on a view of it)."""
    return Keep((x,))


def batchnorm_keeps(sizes: Sizes, x: Act) -> Keep:
    """Training batch norm keeps its input and per-channel mean and invstd
    (``native_batch_norm``: ``native_batch_norm_backward(grad, input, weight,
    running_mean, running_var, result1, result2, ...)``); folded into the
    convolution in a deployed runtime, it keeps nothing."""
    if sizes.convention.folds_batchnorm:
        return Keep()
    return Keep((x,), 2 * x.channels * sizes.stat_bytes())


def relu_keeps(sizes: Sizes, out: Act) -> Keep:
    """ReLU keeps its result (``relu``: ``threshold_backward(grad, result, 0)``),
    so an in-place ReLU needs no copy; deployed, a 1-bit mask per element."""
    if sizes.convention.relu_mask_bits:
        return Keep((), bit_mask_bytes(sizes.count(out)))
    return Keep((out,))


def relu6_keeps(sizes: Sizes, x: Act, *, inplace: bool) -> Keep:
    """ReLU6 is hardtanh(0, 6), which keeps its *input* (``hardtanh``:
    ``hardtanh_backward(grad, self, ...)``). ``hardtanh_`` has no formula of its
    own, so autograd keeps a clone of the input before overwriting it: in place,
    the input's bytes are new. Deployed: a 1-bit mask per element."""
    if sizes.convention.relu_mask_bits:
        return Keep((), bit_mask_bytes(sizes.count(x)))
    return Keep((), sizes.bytes(x)) if inplace else Keep((x,))


def maxpool_keeps(sizes: Sizes, x: Act, out: Act) -> Keep:
    """Max pooling keeps its input and int64 argmax indices, one per output
    (``max_pool2d_with_indices``: ``..._backward(grad, self, ..., result1)``)."""
    return Keep((x,), sizes.count(out) * INDEX_BYTES)


def avgpool_keeps(x: Act, out: Act) -> Keep:
    """Adaptive average pooling keeps its input (``_adaptive_avg_pool2d``:
    ``_adaptive_avg_pool2d_backward(grad, self)``), except to 1×1, which ATen
    computes as ``mean`` (``mean_backward`` needs only sizes)."""
    return Keep() if out.elements == out.channels else Keep((x,))


def add_keeps() -> Keep:
    """A residual add keeps nothing (``add.Tensor``: the gradient passes through)."""
    return Keep()


def scale_keeps() -> Keep:
    """Multiplying by a constant keeps nothing (``mul`` keeps the other factor,
    here a Python number); a causal mask is a resident buffer."""
    return Keep()


def dropout_keeps(sizes: Sizes, out: Act) -> Keep:
    """Dropout keeps a mask per element: bool on CUDA (``native_dropout``'s
    result1), but on CPU ATen's ``_dropout_impl`` returns ``input * noise`` and
    ``mul`` keeps ``noise``, a tensor of the input's dtype (Dropout.cpp,
    ``is_fused_kernel_acceptable`` is false on CPU)."""
    return Keep((), sizes.count(out) * sizes.mask_bytes())


def layernorm_keeps(sizes: Sizes, x: Act, rows: int) -> Keep:
    """Layer norm keeps its input and a mean and rstd per row (``native_layer_norm``:
    ``native_layer_norm_backward(grad, input, ..., result1, result2, ...)``)."""
    return Keep((x,), 2 * rows * sizes.batch * sizes.stat_bytes())


def gelu_keeps(x: Act) -> Keep:
    """GELU, exact or tanh-approximated, keeps its input (``gelu``:
    ``gelu_backward(grad, self, approximate)``)."""
    return Keep((x,))


def softmax_keeps(out: Act) -> Keep:
    """Softmax keeps its result (``_softmax``: ``_softmax_backward_data(grad, result, ...)``)."""
    return Keep((out,))


def matmul_keeps(*operands: Act) -> Keep:
    """A batched matmul keeps both operands (``bmm``: each gradient needs the other)."""
    return Keep(operands)


def embedding_keeps(sizes: Sizes, positions: int) -> Keep:
    """A lookup keeps its int64 indices (``embedding``: ``embedding_backward(grad,
    indices, ...)``): the token ids are the stage input; the positions, made by
    ``arange`` in the forward, are new."""
    return Keep((), positions * INDEX_BYTES)


def bit_mask_bytes(elements: int) -> int:
    """Bytes of a mask of one bit per element."""
    return -(-elements // 8)
