"""The numpy network: reference backprop is right, and runs are reproducible."""

from __future__ import annotations

import numpy as np
import pytest

from chipsim import ConfigError, Network


def test_reference_gradients_match_finite_differences() -> None:
    network = Network(3, 4, seed=5)

    def loss() -> float:
        activation = network.input
        for layer in range(1, network.layers + 1):
            activation = network.forward(layer, activation)
        return network.loss(activation)[0]

    gradients = network.reference_gradients()
    step = 1e-6
    for layer in range(1, 4):
        weights = network.weights[layer]
        for i, j in [(0, 0), (1, 3), (3, 2)]:
            original = weights[i, j]
            weights[i, j] = original + step
            up = loss()
            weights[i, j] = original - step
            down = loss()
            weights[i, j] = original
            numeric = (up - down) / (2 * step)
            assert gradients[layer - 1].weight[i, j] == pytest.approx(numeric, rel=1e-5, abs=1e-9)


def test_the_same_seed_gives_the_same_network_and_another_seed_does_not() -> None:
    a, b, c = Network(4, 3, seed=1), Network(4, 3, seed=1), Network(4, 3, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights, strict=True))
    assert np.array_equal(a.input, b.input)
    assert not np.array_equal(a.weights[1], c.weights[1])


@pytest.mark.parametrize(
    ("layers", "width", "seed", "message"),
    [
        (0, 4, 0, "network layers must be a whole number >= 1, got 0"),
        (3, 0, 0, "network width must be a whole number >= 1, got 0"),
        (3, 4, -1, "network seed must be a whole number >= 0, got -1"),
        (2.5, 4, 0, "network layers must be a whole number >= 1, got 2.5"),
        (True, 4, 0, "network layers must be a whole number >= 1, got True"),
    ],
)
def test_invalid_sizes_are_named(layers, width, seed, message) -> None:
    with pytest.raises(ConfigError) as error:
        Network(layers, width, seed)
    assert str(error.value) == message
