"""Figures render from small runs (PNG files of the expected size, not empty)."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.image import imread

from chipsim import Scenario, simulate
from chipsim.outputs.plots import DPI, breakeven_chart, buffer_chart, save, scaling_chart, timeline


@pytest.mark.parametrize(
    ("name", "make", "inches"),
    [
        ("timeline", lambda: timeline(simulate("optimal").frame, title="optimal"), (11, 3.2)),
        ("buffer", lambda: buffer_chart(simulate("optimal").frame, slots=2), (8, 3.2)),
        (
            "breakeven",
            lambda: breakeven_chart(Scenario(), ["stride:k=5", "disk-offload", "optimal"]),
            (8, 4.5),
        ),
        (
            "scaling",
            lambda: scaling_chart(Scenario(), ["stride:k=5", "disk-offload"], [4, 8, 16]),
            (12, 4.5),
        ),
    ],
)
def test_each_figure_renders_to_a_png_of_its_size(tmp_path: Path, name, make, inches) -> None:
    path = tmp_path / f"{name}.png"
    save(make(), path)
    image = imread(path)
    assert image.shape[:2] == (round(inches[1] * DPI), round(inches[0] * DPI))
    assert image.std() > 0.01  # something was drawn, not a blank canvas
    assert [p.name for p in tmp_path.iterdir()] == [f"{name}.png"]  # no temporary left over


def test_figures_do_not_touch_pyplot() -> None:
    import sys

    timeline(simulate("stride:k=5").frame)
    assert "matplotlib.pyplot" not in sys.modules
