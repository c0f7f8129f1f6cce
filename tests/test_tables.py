"""pandas views: per-layer, per-resource, buffer occupancy, comparison."""

from __future__ import annotations

import pandas as pd

from chipsim import ChipConfig, Scenario, compare, simulate
from chipsim.outputs.tables import buffer_occupancy, comparison, per_layer, resource_use


def test_per_layer_splits_the_course_backward_pass_by_gradient() -> None:
    table = per_layer(simulate("stride:k=5").frame)
    assert table.index.tolist() == list(range(10, 0, -1))
    # layer l needs a(l-1): load the checkpoint below and recompute (l-1) mod 5 layers
    assert table["fwd"].tolist() == [4, 3, 2, 1, 0, 4, 3, 2, 1, 0]
    assert table["loadmem"].tolist() == [1] * 10
    assert table["time_ns"].tolist() == [10 + 20 * ((l - 1) % 5) for l in range(10, 0, -1)]  # noqa: E741
    assert table["time_ns"].sum() == 500


def test_resource_use_measures_busy_time_and_utilisation() -> None:
    table = resource_use(simulate("disk-offload", ChipConfig(loaddisk_ns=50)).frame)
    assert table.loc[("backward", "disk"), "busy_ns"] == 500
    assert table.loc[("backward", "disk"), "utilisation"] == 1.0
    assert table.loc[("forward", "compute"), "busy_ns"] == 200
    assert table.loc[("total", "compute"), "span_ns"] == 710
    assert table.loc[("total", "buffer"), "busy_ns"] == 10


def test_buffer_occupancy_is_a_step_function_of_changes() -> None:
    steps = buffer_occupancy(simulate("stride:k=5").frame)
    assert steps.values.tolist() == [[0, 0], [110, 1], [210, 2], [210, 1], [460, 0]]


def test_comparison_has_one_row_per_strategy() -> None:
    outcomes = compare(Scenario(), ["full-store", "stride:k=5", "optimal"], math=False)
    table = comparison(outcomes, scenario="course")
    assert table["strategy"].tolist() == ["full-store", "stride:k=5", "optimal"]
    assert table["fits"].tolist() == [False, True, True]
    assert table["buffer_slots_needed"].tolist() == [9, 2, 2]
    assert table.loc[1, "backward_ns"] == 500 and table.loc[2, "backward_ns"] == 260
    assert table.loc[1, "backward_fwd"] == 20
    assert pd.isna(table.loc[0, "backward_ns"])
    assert table.loc[0, "reason"].startswith("full-store needs 9 buffer slots")
