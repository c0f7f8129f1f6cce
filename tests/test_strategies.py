"""Strategies: spec parsing, and op counts equal to each module's closed form."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROOMY

from chipsim import Network, StrategyError, execute, make_plan, parse_spec
from chipsim.model.chip import LATENCY_FIELDS
from chipsim.planners import disk_offload, full_store, sqrt_n, stride

# Spec parsing.


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("stride:k=5", "stride:k=5"),
        (" stride:k = 5 ", "stride:k=5"),
        ("sqrt-n", "sqrt-n"),
        ("sqrt-n:segment=4", "sqrt-n:segment=4"),
        ("full-store", "full-store"),
        ("disk-offload:", "disk-offload"),
    ],
)
def test_specs_parse_to_a_canonical_form(text: str, canonical: str) -> None:
    assert str(parse_spec(text)) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "strid:k=5",
            "unknown strategy 'strid'; valid strategies are full-store, "
            "stride:k=N[,prefetch=N], sqrt-n[:segment=N], disk-offload[:prefetch=N], "
            "revolve[:slots=N], optimal[:objective=TEXT,ns_per_nj=X,units=N]; "
            "did you mean 'stride'?",
        ),
        ("stride", "strategy stride needs k (for example stride:k=5)"),
        ("stride:j=5", "strategy stride has no parameter 'j'; valid parameters: k, prefetch"),
        ("full-store:k=5", "strategy full-store has no parameter 'k'; valid parameters: none"),
        ("stride:k=five", "strategy stride: k must be a whole number, got 'five'"),
        ("stride:k", "strategy stride: parameter k needs a value, as in k=5"),
        ("stride:k=5,k=6", "strategy stride: parameter k is given twice"),
    ],
)
def test_bad_specs_name_what_is_valid(text: str, message: str) -> None:
    with pytest.raises(StrategyError) as error:
        parse_spec(text)
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("stride:k=0", "stride: k must be a whole number >= 1, got 0"),
        ("sqrt-n:segment=-2", "sqrt-n: segment must be a whole number >= 1, got -2"),
    ],
)
def test_bad_parameter_values_are_refused(text: str, message: str) -> None:
    with pytest.raises(StrategyError, match=message):
        make_plan(text, 10, ROOMY)


def test_plans_are_labelled_with_the_spec_as_given() -> None:
    assert make_plan("sqrt-n", 10, ROOMY).strategy == "sqrt-n"
    assert make_plan("stride: k=3", 10, ROOMY).strategy == "stride:k=3"


# Closed forms: the plan's counts, the engine's counts and the latency agree with them.


def _check_against_closed_form(spec: str, layers: int, expected: dict, rng=None) -> None:
    chip = ROOMY
    if rng is not None:
        chip = chip.replace({name: int(rng.integers(0, 100)) for name in LATENCY_FIELDS})
    plan = make_plan(spec, layers, chip)
    trace = execute(plan, chip, Network(layers, 2)).trace
    assert plan.buffer_slots_needed == expected["buffer_slots"]["needed"], spec
    assert trace.peak_buffer_slots == expected["buffer_slots"]["needed"], spec
    for phase in ("forward", "backward"):
        counts = trace.counts(phase)
        want = {kind: expected[phase].get(kind, 0) for kind in counts}
        assert counts == want, (spec, layers, phase)
        assert plan.counts(phase) == want
        latency = sum(chip.op_latency_ns(kind) * n for kind, n in want.items())
        assert trace.latency_ns(phase) == latency, (spec, layers, phase)


def test_stride_matches_its_closed_form_for_every_l_up_to_40_and_k_up_to_l() -> None:
    rng = np.random.default_rng(0)
    for layers in range(1, 41):
        for k in range(1, layers + 1):
            expected = stride.closed_form(layers, k)
            _check_against_closed_form(f"stride:k={k}", layers, expected)
            _check_against_closed_form(f"stride:k={k}", layers, expected, rng)


def test_stride_closed_form_on_the_course() -> None:
    counts = stride.closed_form(10, 5)["backward"]
    assert (counts["fwd"], counts["loadmem"]) == (20, 10)
    # k = L recomputes from a0 for every layer: 0 + 1 + … + (L-1)
    assert stride.closed_form(40, 40)["backward"]["fwd"] == 40 * 39 // 2
    # k = 1 keeps everything: nothing to recompute
    assert stride.closed_form(40, 1)["backward"]["fwd"] == 0


def test_sqrt_n_matches_its_closed_form_for_every_l_up_to_40_and_segment() -> None:
    rng = np.random.default_rng(1)
    for layers in range(1, 41):
        _check_against_closed_form("sqrt-n", layers, sqrt_n.closed_form(layers), rng)
        for segment in range(1, layers + 1):
            expected = sqrt_n.closed_form(layers, segment)
            _check_against_closed_form(f"sqrt-n:segment={segment}", layers, expected)


def test_sqrt_n_recomputes_about_one_forward_pass_in_sqrt_memory() -> None:
    for layers in (16, 100, 400):
        counts = sqrt_n.closed_form(layers)
        root = int(layers**0.5)
        assert counts["backward"]["fwd"] == layers - root
        assert counts["buffer_slots"]["needed"] <= 2 * root
    assert sqrt_n.default_segment(10) == 4
    assert sqrt_n.default_segment(16) == 4


@pytest.mark.parametrize("module", [full_store, disk_offload])
def test_parameterless_strategies_match_their_closed_forms(module) -> None:
    rng = np.random.default_rng(2)
    name = {full_store: "full-store", disk_offload: "disk-offload"}[module]
    for layers in range(1, 41):
        _check_against_closed_form(name, layers, module.closed_form(layers), rng)
