"""Numbers for people: one rule for latencies everywhere chipsim prints them."""

from __future__ import annotations


def ns_text(value: int | float) -> str:
    """Whole ns exactly; a float to six significant figures, or to the ns past 10⁶
    (no exponent: 2340311, not 2.34031e+06)."""
    if isinstance(value, int):
        return str(value)
    return f"{value:.0f}" if abs(value) >= 1e6 else f"{value:.6g}"


def ns_cell(value: int | float) -> int | str:
    """Whole ns as they are (a number, so the column aligns); floats as ``ns_text``."""
    return value if isinstance(value, int) else ns_text(value)


def nj_cell(value: float | None) -> str:
    """Energy to six significant figures; "-" where there is none."""
    return "-" if value is None else f"{value:.6g}"
