"""Numbers for people: the one place that decides how times, sizes and energies read.

Text output (tables, one-line answers, errors, assertion messages) shows each
quantity in the largest unit of which it is at least one, to 4 significant
digits at most: 666.7 µs, 145.5 ms; 160.4 KiB; 70.08 mJ. A whole number of the
base unit below 10,000 keeps it and every digit (500 ns, 1000 ns, 7528 B). A table
column shows one unit, named once in its header (``backward_ms``), chosen the
same way from the column's largest value. JSON, CSV and Parquet never come
through here: they keep the exact numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

#: (unit, size in the base unit), smallest first, per kind of quantity.
TIME_UNITS: tuple[tuple[str, float], ...] = (("ns", 1), ("µs", 1e3), ("ms", 1e6), ("s", 1e9))
BYTE_UNITS: tuple[tuple[str, float], ...] = (
    ("B", 1),
    ("KiB", 1024),
    ("MiB", 1024**2),
    ("GiB", 1024**3),
    ("TiB", 1024**4),
    ("PiB", 1024**5),
    ("EiB", 1024**6),
)
ENERGY_UNITS: tuple[tuple[str, float], ...] = (("nJ", 1), ("µJ", 1e3), ("mJ", 1e6), ("J", 1e9))
#: Plain counts (multiply-adds, parameters): thousands, millions, billions.
COUNT_UNITS: tuple[tuple[str, float], ...] = (("", 1), ("K", 1e3), ("M", 1e6), ("G", 1e9))

#: Whole numbers of the base unit below this keep it: the course's 1000 ns stays so.
BASE_LIMIT = 10_000
SIGNIFICANT = 4


def unit_for(value: float, units: Sequence[tuple[str, float]]) -> tuple[str, float]:
    """The largest unit of which ``value`` is at least one; a whole number below
    ``BASE_LIMIT`` stays in the base unit, every digit shown (1000 ns, 7528 B)."""
    size = abs(value)
    if size < BASE_LIMIT and size == int(size):
        return units[0]
    chosen = units[0]
    for unit, scale in units:
        if size >= scale:
            chosen = (unit, scale)
    return chosen


def number_text(value: float) -> str:
    """A whole number with every digit; any other to 4 significant digits, no exponent."""
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    decimals = min(12, max(0, SIGNIFICANT - 1 - math.floor(math.log10(abs(value)))))
    text = f"{value:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def quantity_text(value: float, units: Sequence[tuple[str, float]]) -> str:
    """``value`` (in the base unit) in its own unit: ``145.5 ms``."""
    unit, scale = unit_for(value, units)
    return f"{number_text(value / scale)} {unit}"


def time_text(ns: float) -> str:
    """A time in ns for people: ``500 ns``, ``1.573 ms``."""
    return quantity_text(ns, TIME_UNITS)


def bytes_text(size_bytes: float) -> str:
    """A size in bytes for people: ``7528 B``, ``160.4 KiB``."""
    return quantity_text(size_bytes, BYTE_UNITS)


def bytes_of(size_bytes: int) -> str:
    """A size that must stay exact (plan notes, refusals): ``160.4 KiB [164224 B]``."""
    return exact_text(bytes_text(size_bytes), size_bytes, "B")


def energy_text(nj: float) -> str:
    """An energy in nJ for people: ``70.08 mJ``."""
    return quantity_text(nj, ENERGY_UNITS)


def count_text(count: float) -> str:
    """A count for people: ``9999``, ``555.4 M``."""
    return quantity_text(count, COUNT_UNITS).rstrip()


def exact_text(text: str, value: float, base_unit: str) -> str:
    """``text`` and, when it rounded, the exact value in brackets: ``145.5 ms [145546975 ns]``."""
    whole = isinstance(value, float) and value.is_integer() and abs(value) < 1e15
    exact = str(int(value)) if whole else repr(value) if isinstance(value, float) else str(value)
    shown = f"{exact} {base_unit}"
    return text if text == shown else f"{text} [{shown}]"


def column_unit(
    values: Iterable[float | None], units: Sequence[tuple[str, float]]
) -> tuple[str, float]:
    """One unit for a whole column: the one its largest value reads in."""
    present = [abs(value) for value in values if value is not None]
    return unit_for(max(present, default=0), units)


def column_cells(values: Sequence[float | None], scale: float) -> list[str]:
    """The column's numbers in its unit (``column_unit``), "-" where there is none."""
    return ["-" if value is None else number_text(value / scale) for value in values]


def text_table(
    index_name: str,
    columns: Sequence[str],
    rows: Sequence[tuple[str, Sequence[object]]],
    *,
    name_line: bool = True,
) -> str:
    """A plain text table laid out as pandas prints one, without pandas: column
    names on the first line, the index name on the second (or, without
    ``name_line``, heading its column on the first), then a row per index
    label (``rows``: (label, cells) pairs; labels may repeat), the label left-aligned
    and every cell right-aligned."""
    labels = [str(label) for label, _ in rows]
    cells = [[str(cell) for cell in row] for _, row in rows]
    left = max([len(index_name), *(len(label) for label in labels)])
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(columns)]
    corner = " " * left if name_line else f"{index_name:<{left}}"
    header = corner + "".join(f" {name:>{w}}" for name, w in zip(columns, widths, strict=True))
    lines = [header.rstrip(), index_name] if name_line else [header.rstrip()]
    for label, row in zip(labels, cells, strict=True):
        body = "".join(f" {cell:>{w}}" for cell, w in zip(row, widths, strict=True))
        lines.append(f"{label:<{left}}{body}".rstrip())
    return "\n".join(lines)


def ns_text(value: int | float) -> str:
    """Whole ns exactly; a float to six significant figures, or to the ns past 10⁶
    (no exponent: 2340311, not 2.34031e+06). For the exact figure beside a rounded one."""
    if isinstance(value, int):
        return str(value)
    return f"{value:.0f}" if abs(value) >= 1e6 else f"{value:.6g}"


def ns_cell(value: int | float) -> int | str:
    """Whole ns as they are (a number, so the column aligns); floats as ``ns_text``."""
    return value if isinstance(value, int) else ns_text(value)


def nj_cell(value: float | None) -> str:
    """Energy to six significant figures; "-" where there is none."""
    return "-" if value is None else f"{value:.6g}"
