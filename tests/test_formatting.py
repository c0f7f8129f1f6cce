"""Numbers for people: one unit per value or column, 3-4 significant digits."""

from __future__ import annotations

import pytest

from chipsim.formatting import (
    BYTE_UNITS,
    TIME_UNITS,
    bytes_of,
    bytes_text,
    column_cells,
    column_unit,
    energy_text,
    exact_text,
    text_table,
    time_text,
)


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0 ns"),
        (500, "500 ns"),
        (1000, "1000 ns"),  # a whole number below 10,000 keeps its ns: the course reads so
        (9999, "9999 ns"),
        (10_000, "10 µs"),
        (45.5556, "45.56 ns"),
        (1573.42, "1.573 µs"),
        (666_667, "666.7 µs"),
        (145_546_975, "145.5 ms"),
        (1.57342e6, "1.573 ms"),
        (2_000_000, "2 ms"),
        (18.876e9, "18.88 s"),
        (3.6e12, "3600 s"),
    ],
)
def test_times_read_in_their_own_unit(ns: float, text: str) -> None:
    assert time_text(ns) == text


def test_sizes_and_energies_read_in_their_own_unit() -> None:
    assert [bytes_text(b) for b in (48, 7528, 81920, 164224, 40e9)] == [
        "48 B",
        "7528 B",
        "80 KiB",
        "160.4 KiB",
        "37.25 GiB",
    ]
    assert [energy_text(nj) for nj in (2240.75, 7.00792e7, 2.3357e9)] == [
        "2.241 µJ",
        "70.08 mJ",
        "2.336 J",
    ]


def test_the_exact_value_follows_in_brackets_only_when_it_rounded() -> None:
    assert bytes_of(164224) == "160.4 KiB [164224 B]"
    assert bytes_of(81920) == "80 KiB [81920 B]"
    assert bytes_of(48) == "48 B"
    assert exact_text(time_text(180840477.77777794), 180840477.77777794, "ns") == (
        "180.8 ms [180840477.77777794 ns]"
    )


def test_a_column_has_one_unit_from_its_largest_value() -> None:
    values = [46_892_963, 234_771_074, None, 1_000]
    assert column_unit(values, TIME_UNITS) == ("ms", 1e6)
    assert column_cells(values, 1e6) == ["46.89", "234.8", "-", "0.001"]
    assert column_unit([128, 2048], BYTE_UNITS) == ("B", 1)


def test_text_table_lays_out_as_pandas_does() -> None:
    rows = [("stride:k=5", ["yes", 500]), ("optimal", ["yes", 260])]
    assert text_table("strategy", ["fits", "backward_ns"], rows).splitlines() == [
        "           fits backward_ns",
        "strategy",
        "stride:k=5  yes         500",
        "optimal     yes         260",
    ]
