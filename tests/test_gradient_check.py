"""Gradients checked layer by layer as the run produces them, and the memory that saves."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from conftest import ROOMY

from chipsim import Network, execute, make_plan, simulate
from chipsim.model.network import GradientCheck, LayerGradients, ResMLP, max_abs_difference


def test_each_bwd_hands_its_layers_gradients_on_from_L_down_to_1(strategy: str) -> None:
    network = Network(7, 5, seed=3)
    plan = make_plan(strategy, 7, ROOMY)
    handed: list[tuple[int, LayerGradients]] = []
    kept = execute(plan, ROOMY, network, on_gradients=lambda *pair: handed.append(pair))
    assert [layer for layer, _ in handed] == [7, 6, 5, 4, 3, 2, 1]
    for (layer, grads), expected in zip(
        handed, reversed(network.reference_gradients()), strict=True
    ):
        assert grads is kept.gradients[layer - 1]
        assert np.array_equal(grads.weight, expected.weight)
        assert np.array_equal(grads.bias, expected.bias)


def test_without_keep_gradients_the_execution_holds_none_and_computes_the_same() -> None:
    network = ResMLP(4, 6, seed=2)
    plan = make_plan("stride:k=2", 6, ROOMY)
    check = GradientCheck(network)
    lean = execute(plan, ROOMY, network, keep_gradients=False, on_gradients=check)
    kept = execute(plan, ROOMY, network)
    assert lean.gradients is None
    assert lean.loss == kept.loss
    assert (check.layers_checked, check.max_abs_difference) == (6, 0.0)
    assert lean.trace.latency_ns("backward") == kept.trace.latency_ns("backward")


def test_the_check_reports_the_largest_difference_over_all_layers() -> None:
    """Two layers off by known amounts: the check's maximum is the lists' maximum."""
    network = Network(5, 3, seed=4)
    reference = network.reference_gradients()
    run = list(reference)
    for index, offset in ((1, 0.25), (3, 2.0**-20)):
        weight = reference[index].weight.copy()
        weight[1, 2] += offset
        run[index] = LayerGradients(weight=weight, bias=reference[index].bias)
    check = GradientCheck(network)
    for layer in range(5, 0, -1):
        check(layer, run[layer - 1])
    expected = max_abs_difference(run, reference)
    assert expected == abs(reference[1].weight[1, 2] + 0.25 - reference[1].weight[1, 2])
    assert check.max_abs_difference == expected


@pytest.mark.parametrize("spec", ["stride:k=5", "disk-offload"])
def test_a_checked_run_holds_the_weights_and_one_layers_gradients_not_three_networks(
    spec: str,
) -> None:
    """Width 128, L = 16: the weights are 2.1 MB; the gradients kept and the reference's
    gradients would be as much again each. Peak traced memory of the whole call stays
    under 1.5× the weights (it was 3× when both were held)."""
    layers, width = 16, 128
    weight_bytes = layers * (width * width + width) * 8
    tracemalloc.start()
    try:
        result = simulate(spec, ROOMY, layers=layers, width=width)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.max_abs_grad_diff == 0.0
    assert peak < 1.5 * weight_bytes
