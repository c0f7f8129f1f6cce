"""The numpy network whose real math the simulated chip runs.

L dense layers of width s, each a(l) = tanh(W_l a(l-1) + b_l), with loss
0.5·||a(L) - y||². Weights, input a0 and target y come from one seed. Every
step is a plain function of its inputs, so recomputing an activation repeats
exactly the same float operations and strategies' gradients are bitwise equal
to ``reference_gradients`` (plain backprop that keeps every activation).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ConfigError
from .limits import MAX_LAYERS, MAX_SEED, MAX_WIDTH, shown


@dataclass(frozen=True)
class LayerGradients:
    """Gradients of one layer's weights and bias."""

    weight: np.ndarray
    bias: np.ndarray


class Network:
    """A seeded L-layer tanh MLP with per-layer forward and backward steps."""

    def __init__(self, layers: int, width: int, seed: int = 0) -> None:
        self.check_size(layers, width, seed)
        self.layers, self.width, self.seed = layers, width, seed
        rng = np.random.default_rng(seed)
        scale = 1.0 / np.sqrt(width)
        # Index 0 is unused so that weights[l] belongs to layer l.
        self.weights = [np.empty((0, 0))] + [
            rng.normal(0.0, scale, (width, width)) for _ in range(layers)
        ]
        self.biases = [np.empty(0)] + [rng.normal(0.0, 0.1, width) for _ in range(layers)]
        self.input = rng.normal(0.0, 1.0, width)
        self.target = rng.normal(0.0, 1.0, width)

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

    def forward(self, layer: int, previous: np.ndarray) -> np.ndarray:
        """a(layer) from a(layer-1)."""
        return np.tanh(self.weights[layer] @ previous + self.biases[layer])

    def backward(
        self, layer: int, previous: np.ndarray, upstream: np.ndarray
    ) -> tuple[np.ndarray, LayerGradients]:
        """dLoss/da(layer-1) and the layer's weight gradients.

        Takes the layer's input a(layer-1) and dLoss/da(layer); recomputes the
        pre-activation itself (SPEC.md's convention, its cost is ``bwd_ns``).
        """
        activation = self.forward(layer, previous)
        delta = upstream * (1.0 - activation * activation)
        grads = LayerGradients(weight=np.outer(delta, previous), bias=delta)
        return self.weights[layer].T @ delta, grads

    def loss(self, output: np.ndarray) -> tuple[float, np.ndarray]:
        """The loss at a(L) and its gradient dLoss/da(L)."""
        error = output - self.target
        return 0.5 * float(error @ error), error

    def reference_gradients(self) -> list[LayerGradients]:
        """Plain backprop keeping every activation; index l-1 holds layer l."""
        activations = [self.input]
        for layer in range(1, self.layers + 1):
            activations.append(self.forward(layer, activations[-1]))
        _, upstream = self.loss(activations[-1])
        grads: list[LayerGradients] = [None] * self.layers  # type: ignore[list-item]
        for layer in range(self.layers, 0, -1):
            upstream, grads[layer - 1] = self.backward(layer, activations[layer - 1], upstream)
        return grads


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
