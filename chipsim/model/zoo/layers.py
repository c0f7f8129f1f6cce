"""Layer arithmetic the zoo's builders share: sizes, multiply-adds, parameters,
and the tape of what each stage keeps (``tape.py``, rules in ``saves.py``).

Counting rules (docs/networks.md): a convolution costs out_elements ×
k×k×in_channels/groups multiply-adds and has k×k×in/groups×out weights (plus
out biases where the layer has them); a linear layer costs in×out per row and
has in×out weights plus out biases; batch norm has 2 parameters per channel
(γ, β; running statistics are buffers, not parameters) and, like ReLU,
pooling, softmax and residual adds, 0 multiply-adds. Work is counted per
sample here and multiplied by the batch when a stage is made.
"""

from __future__ import annotations

from ..stages import BACKWARD_MACS_PER_FORWARD, Stage
from . import saves
from .saves import Act, Keep, Sizes, feature
from .tape import Op, Tape


def strided(size: int, stride: int) -> int:
    """Output size of an odd k×k window with padding k//2 (every conv here, and
    ResNet's 3×3 max pool): ⌊(size - 1) / stride⌋ + 1."""
    return (size - 1) // stride + 1


class Work:
    """Multiply-adds, parameters and the tape of one stage, from its input ``x``."""

    def __init__(self, x: Act, sizes: Sizes) -> None:
        self.macs = 0
        self.params = 0
        self.sizes = sizes
        self.tape = Tape(x, sizes)

    def _op(self, inputs: tuple[Act, ...], out: Act, keep: Keep, **flags: bool | str) -> Act:
        return self.tape.record(Op(inputs, out, keep, **flags))

    def conv(
        self,
        x: Act,
        out_channels: int,
        kernel: int,
        stride: int = 1,
        *,
        groups: int = 1,
        bias: bool = False,
        bn: bool = True,
    ) -> Act:
        """A k×k convolution (padding k//2), optionally followed by batch norm."""
        out = feature(out_channels, strided(x.height, stride), strided(x.width, stride))
        weights_per_output = kernel * kernel * x.channels // groups
        self.macs += out.elements * weights_per_output
        self.params += weights_per_output * out_channels + (out_channels if bias else 0)
        self._op((x,), out, saves.conv_keeps(x))
        if not bn:
            return out
        self.params += 2 * out_channels
        return self.batchnorm(out)

    def batchnorm(self, x: Act) -> Act:
        """Training batch norm (its parameters are counted with its convolution)."""
        if self.sizes.convention.folds_batchnorm:
            return x
        return self._op((x,), Act(x.shape), saves.batchnorm_keeps(self.sizes, x))

    def linear(self, x: Act, out_features: int, *, bias: bool = True, tied: bool = False) -> Act:
        """A dense layer on x's last dimension (every row: a token, or one vector).
        ``tied``: its weight is another layer's, so it adds no parameters."""
        rows, in_features = x.elements // x.shape[-1], x.shape[-1]
        self.macs += rows * in_features * out_features
        if not tied:
            self.params += in_features * out_features + (out_features if bias else 0)
        return self._op((x,), Act((*x.shape[:-1], out_features)), saves.linear_keeps(x))

    def relu(self, x: Act) -> Act:
        """ReLU in place (torchvision's ``inplace=True``)."""
        out = Act(x.shape)
        return self._op((x,), out, saves.relu_keeps(self.sizes, out), inplace=True)

    def relu6(self, x: Act) -> Act:
        """ReLU6 in place (torchvision's MobileNetV2)."""
        keep = saves.relu6_keeps(self.sizes, x, inplace=True)
        return self._op((x,), Act(x.shape), keep, inplace=True)

    def maxpool(self, x: Act, out: Act) -> Act:
        return self._op((x,), out, saves.maxpool_keeps(self.sizes, x, out))

    def avgpool(self, x: Act, side: int) -> Act:
        """Adaptive average pooling to side × side."""
        out = feature(x.channels, side, side)
        return self._op((x,), out, saves.avgpool_keeps(x, out))

    def flatten(self, x: Act) -> Act:
        """A view: the same storage, the gradient reshaped."""
        out = Act((x.elements,))
        return self._op((x,), out, Keep(), inplace=True, gradient="alias")

    def split(self, x: Act, parts: int) -> list[Act]:
        """Views of ``parts`` equal slices of x's last dimension (no new storage)."""
        shape = (*x.shape[:-1], x.shape[-1] // parts)
        return [
            self._op((x,), Act(shape), Keep(), inplace=True, gradient="slice") for _ in range(parts)
        ]

    def add(self, a: Act, b: Act, *, inplace: bool = False) -> Act:
        """A residual add (``inplace``: into ``a``, as torchvision's ResNet does)."""
        out = Act(a.shape)
        return self._op((a, b), out, saves.add_keeps(), inplace=inplace, gradient="alias")

    def dropout(self, x: Act, rate: float) -> Act:
        """Dropout at ``rate`` (none at 0: the layer is the identity)."""
        if rate == 0:
            return x
        out = Act(x.shape)
        return self._op((x,), out, saves.dropout_keeps(self.sizes, out))

    def layernorm(self, x: Act) -> Act:
        """Layer norm over x's last dimension, with γ and β."""
        self.params += 2 * x.shape[-1]
        rows = x.elements // x.shape[-1]
        return self._op((x,), Act(x.shape), saves.layernorm_keeps(self.sizes, x, rows))

    def elementwise(self, x: Act, keep: Keep) -> Act:
        """A new tensor of x's shape (GELU, softmax, scaling, masking, a copy)."""
        return self._op((x,), Act(x.shape), keep)

    def softmax(self, x: Act) -> Act:
        """Softmax over x's last dimension (it keeps its own result)."""
        out = Act(x.shape)
        return self._op((x,), out, saves.softmax_keeps(out))

    def matmul(self, operands: tuple[Act, ...], out: Act, macs: int) -> Act:
        """A batched matrix product of activations (attention's QKᵀ and ×V)."""
        self.macs += macs
        return self._op(operands, out, saves.matmul_keeps(*operands))

    def lookup(self, ids: Act | None, out: Act, keep: Keep, params: int) -> Act:
        """An embedding lookup of ``ids`` (None: positions made in the forward)."""
        self.params += params
        return self._op(() if ids is None else (ids,), out, keep)

    def stage(self, name: str, out: Act) -> Stage:
        """The stage doing this work on the batch, with output ``out``."""
        batch = self.sizes.batch
        macs_fwd = self.macs * batch
        return Stage(
            name=name,
            output_shape=(batch, *out.shape),
            macs_fwd=macs_fwd,
            macs_bwd=BACKWARD_MACS_PER_FORWARD * macs_fwd,
            params=self.params,
            saved_bytes=self.tape.saved_bytes(),
            fwd_workspace_bytes=self.tape.fwd_workspace_bytes(out),
            bwd_workspace_bytes=self.tape.bwd_workspace_bytes(out),
        )
