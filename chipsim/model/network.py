"""The numpy networks whose real math the simulated chip runs.

Two kinds, each a ``Chain`` (its stage table) that also runs its stages:

- ``MLP``: dense layers of any widths, a(l) = tanh(W_l a(l-1) + b_l);
  ``Network(layers, width)`` is the course's equal-width one.
- ``ResMLP``: residual blocks of one width, a(l) = a(l-1) + tanh(W_l a(l-1) + b_l).

The loss is 0.5·||a(L) - y||². Weights, input a0 and target y come from one
seed. Every step is a plain function of its inputs, so recomputing an
activation repeats exactly the same float operations and strategies'
gradients are bitwise equal to ``reference_gradients`` (plain backprop that
keeps every activation).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..limits import MAX_LAYERS, MAX_SEED, MAX_WIDTH, shown
from .stages import BACKWARD_MACS_PER_FORWARD, Chain, Stage


@dataclass(frozen=True)
class LayerGradients:
    """Gradients of one layer's weights and bias."""

    weight: np.ndarray
    bias: np.ndarray


def dense_stages(
    widths: Sequence[int], kind: str = "dense", dtype_bytes: int = 4
) -> tuple[list[Stage], int]:
    """Stage l: a widths[l-1] → widths[l] dense layer (w_l·w_(l-1) MACs, weights and bias),
    as (stages, repeat): one stage repeated L times when every width is the same."""
    if len(set(widths)) == 1:
        return [dense_stage(kind, widths[0], widths[0], dtype_bytes)], len(widths) - 1
    pairs = enumerate(itertools.pairwise(widths), start=1)
    return [
        dense_stage(f"{kind}{layer}", previous, width, dtype_bytes)
        for layer, (previous, width) in pairs
    ], 1


def dense_stage(name: str, previous: int, width: int, dtype_bytes: int = 4) -> Stage:
    """A tanh dense layer; a recording forward keeps its tanh result (width numbers)."""
    macs = width * previous
    gradient_macs = BACKWARD_MACS_PER_FORWARD * macs
    return Stage(name, (width,), macs, gradient_macs, macs + width, saved_bytes=width * dtype_bytes)


def check_widths(widths: Sequence[int]) -> None:
    """Raise ConfigError unless there are at least two widths, each a whole number >= 1."""
    if len(widths) < 2:
        raise ConfigError(
            f"network widths must list a0's width and at least one layer's, got {list(widths)}"
        )
    if len(widths) > MAX_LAYERS + 1:
        raise ConfigError(f"network widths: at most {MAX_LAYERS} layers (chipsim.limits)")
    for width in widths:
        if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= MAX_WIDTH:
            raise ConfigError(
                f"network widths must be whole numbers from 1 to {MAX_WIDTH}, got {shown(width)}"
            )


#: A recorded tensor, or None where it is recomputed.
Array = np.ndarray | None


class NumpyNetwork(Chain):
    """A chain whose stages chipsim runs: seeded weights, input, target, layer math."""

    weights: list[np.ndarray]  # index 0 unused, so weights[l] belongs to layer l
    biases: list[np.ndarray]
    input: np.ndarray
    target: np.ndarray

    def _draw(self, widths: Sequence[int], seed: int) -> None:
        """Weights, then biases, then input and target, from one seeded generator."""
        rng = np.random.default_rng(seed)
        self.seed = seed
        self.weights = [np.empty((0, 0))] + [
            rng.normal(0.0, 1.0 / np.sqrt(previous), (width, previous))
            for previous, width in itertools.pairwise(widths)
        ]
        self.biases = [np.empty(0)] + [rng.normal(0.0, 0.1, width) for width in widths[1:]]
        self.input = rng.normal(0.0, 1.0, widths[0])
        self.target = rng.normal(0.0, 1.0, widths[-1])

    #: Whether each layer adds its input to its output (a residual block).
    residual = False

    def forward(self, layer: int, previous: np.ndarray) -> np.ndarray:
        """a(layer) from a(layer-1): tanh(W a + b), plus a(layer-1) in a residual block."""
        return self.record(layer, previous)[0]

    def record(self, layer: int, previous: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """a(layer) and what its backward needs besides a(layer-1), the tanh result: a
        recording forward (for an MLP the tanh result is a(layer) itself)."""
        inner = self._dense(layer, previous)
        return (previous + inner if self.residual else inner), inner

    def backward(
        self, layer: int, previous: np.ndarray, upstream: np.ndarray, saved: Array = None
    ) -> tuple[np.ndarray, LayerGradients]:
        """dLoss/da(layer-1) and the layer's weight gradients from a(layer-1), dLoss/da(layer)
        and the recorded ``saved`` tanh result (recomputed from a(layer-1) when None); a
        residual block's skip passes the gradient on unchanged."""
        through, grads = self._dense_backward(layer, previous, upstream, saved)
        return (upstream + through if self.residual else through), grads

    def loss(self, output: np.ndarray) -> tuple[float, np.ndarray]:
        """The loss at a(L) and its gradient dLoss/da(L)."""
        error = output - self.target
        return 0.5 * float(error @ error), error

    def reference_gradients(self) -> list[LayerGradients]:
        """Plain backprop keeping every activation; index l-1 holds layer l."""
        grads: list[LayerGradients] = [None] * self.layers  # type: ignore[list-item]
        for layer, layer_grads in self.reference_steps():
            grads[layer - 1] = layer_grads
        return grads

    def reference_steps(self) -> Iterator[tuple[int, LayerGradients]]:
        """Plain backprop one layer at a time, L down to 1: (layer, its weight gradients).

        Keeps every activation (L + 1 vectors) but no gradient a caller lets go
        of, so checking a run layer by layer holds one layer's gradients at a time.
        """
        activations = [self.input]
        for layer in range(1, self.layers + 1):
            activations.append(self.forward(layer, activations[-1]))
        _, upstream = self.loss(activations[-1])
        for layer in range(self.layers, 0, -1):
            upstream, grads = self.backward(layer, activations[layer - 1], upstream)
            yield layer, grads

    def _dense(self, layer: int, previous: np.ndarray) -> np.ndarray:
        """tanh(W a + b): what a dense layer's backward needs (its saved tensor)."""
        return np.tanh(self.weights[layer] @ previous + self.biases[layer])

    def _dense_backward(
        self,
        layer: int,
        previous: np.ndarray,
        upstream: np.ndarray,
        saved: np.ndarray | None = None,
    ) -> tuple[np.ndarray, LayerGradients]:
        """Through tanh(W a + b), from its recorded value or recomputing it (SPEC.md's
        convention); the two are the same bits, so are the gradients."""
        activation = self._dense(layer, previous) if saved is None else saved
        delta = upstream * (1.0 - activation * activation)
        grads = LayerGradients(weight=np.outer(delta, previous), bias=delta)
        return self.weights[layer].T @ delta, grads


class MLP(NumpyNetwork):
    """Dense tanh layers of the given widths: widths[0] is a0's, widths[l] layer l's."""

    def __init__(
        self, widths: Sequence[int], seed: int = 0, *, dtype_bytes: int = 4, name: str = ""
    ) -> None:
        check_widths(widths)
        check_seed(seed)
        widths = list(widths)
        label = name or "mlp:widths=" + ",".join(map(str, widths))
        stages, repeat = dense_stages(widths, dtype_bytes=dtype_bytes)
        super().__init__(label, (widths[0],), stages, dtype_bytes=dtype_bytes, repeat=repeat)
        self.widths = widths
        self._draw(widths, seed)


class Network(MLP):
    """The course's network: L dense tanh layers of one width s."""

    def __init__(self, layers: int, width: int, seed: int = 0, *, dtype_bytes: int = 4) -> None:
        self.check_size(layers, width, seed)
        name = f"mlp:layers={layers},width={width}"
        super().__init__([width] * (layers + 1), seed, dtype_bytes=dtype_bytes, name=name)
        self.width = width

    @staticmethod
    def check_size(layers: int, width: int, seed: int) -> None:
        """Raise ConfigError naming the first of layers, width, seed that is invalid
        (the upper bounds are ``chipsim.limits``')."""
        limits = (("layers", layers, 1, MAX_LAYERS), ("width", width, 1, MAX_WIDTH))
        for name, value, low, high in (*limits, ("seed", seed, 0, MAX_SEED)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"network {name} must be a whole number >= {low}, got {value!r}")
            if value > high:
                raise ConfigError(
                    f"network {name} must be at most {high} (chipsim.limits), got {shown(value)}"
                )


class ResMLP(NumpyNetwork):
    """``blocks`` residual blocks of one width: a(l) = a(l-1) + tanh(W_l a(l-1) + b_l)."""

    residual = True

    def __init__(self, width: int, blocks: int, seed: int = 0, *, dtype_bytes: int = 4) -> None:
        Network.check_size(blocks, width, seed)
        widths = [width] * (blocks + 1)
        name = f"resmlp:width={width},blocks={blocks}"
        stages, repeat = dense_stages(widths, "block", dtype_bytes)
        super().__init__(name, (width,), stages, dtype_bytes=dtype_bytes, repeat=repeat)
        self.width = width
        self._draw(widths, seed)


def check_seed(seed: int) -> None:
    """Raise ConfigError unless ``seed`` is a whole number in 0..MAX_SEED."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"network seed must be a whole number >= 0, got {seed!r}")
    if seed > MAX_SEED:
        raise ConfigError(
            f"network seed must be at most {MAX_SEED} (chipsim.limits), got {shown(seed)}"
        )


def max_abs_difference(a: list[LayerGradients], b: list[LayerGradients]) -> float:
    """The largest absolute difference between two sets of layer gradients.

    Equal arrays, the usual case, are found without building the differences
    (two temporaries as large as every weight matrix).
    """
    pairs = list(zip(a, b, strict=True))
    if all(np.array_equal(x.weight, y.weight) and np.array_equal(x.bias, y.bias) for x, y in pairs):
        return 0.0
    return max(
        max(float(np.max(np.abs(x.weight - y.weight))), float(np.max(np.abs(x.bias - y.bias))))
        for x, y in pairs
    )


class GradientCheck:
    """Compares a run's weight gradients with plain backprop's, layer by layer as they come.

    Call it with each ``bwd``'s (layer, gradients), L down to 1 (the trained stages
    of ``trained``, a mask over 0..L, where given), as the engine produces them
    (``execute(..., on_gradients=check)``); neither side's gradients are kept, so a
    checked run holds one layer's at a time, not two networks' worth.
    ``max_abs_difference`` is the largest difference so far (0.0 while every bit
    agrees), as ``max_abs_difference`` of the two lists.
    """

    def __init__(self, network: NumpyNetwork, trained: np.ndarray | None = None) -> None:
        steps = network.reference_steps()
        # only trained stages hand on weight gradients (``chipsim.model.training``)
        self._reference = steps if trained is None else (s for s in steps if trained[s[0]])
        self.max_abs_difference = 0.0
        self.layers_checked = 0

    def __call__(self, layer: int, gradients: LayerGradients) -> None:
        expected_layer, expected = next(self._reference)
        assert layer == expected_layer, f"bwd {layer} came where bwd {expected_layer} was due"
        difference = max_abs_difference([gradients], [expected])
        self.max_abs_difference = max(self.max_abs_difference, difference)
        self.layers_checked += 1
