"""Point labels that do not overlap: each tries offsets around its point, nearest first,
and takes the first whose box is inside the axes and clear of the labels placed
before it and of the other points; a label set away from its point gets a leader
line. Placement measures rendered text, so it runs after the figure's layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.transforms import Bbox

#: Offsets in points (dx, dy), nearest ring first; x/y alignment follows the side.
DIRECTIONS: tuple[tuple[int, int], ...] = (
    (1, 1), (1, -1), (-1, 1), (-1, -1), (0, 1), (0, -1), (1, 0), (-1, 0),
)  # fmt: skip
RINGS: tuple[int, ...] = (5, 14, 26, 40)
MARKER_POINTS = 4.0  # half the size of a point's marker, kept clear of labels


def place_labels(axes: Any, labels: Sequence[tuple[float, float, str]], fontsize: int = 7) -> list:
    """Annotate ``axes`` at each (x, y) with its text, without overlaps where possible."""
    figure = axes.figure
    if not isinstance(figure.canvas, FigureCanvasAgg):
        FigureCanvasAgg(figure)
    figure.canvas.draw()  # settle the layout: positions below are final
    renderer = figure.canvas.get_renderer()
    pixels = figure.dpi / 72
    frame = axes.get_window_extent(renderer)
    taken = [_marker_box(axes, x, y, pixels) for x, y, _ in labels]
    placed = []
    for x, y, text in labels:
        annotation = _best(axes, renderer, (x, y, text), taken, frame, fontsize)
        taken.append(annotation.get_window_extent(renderer))
        placed.append(annotation)
    return placed


def _marker_box(axes: Any, x: float, y: float, pixels: float) -> Bbox:
    cx, cy = axes.transData.transform((x, y))
    half = MARKER_POINTS * pixels
    return Bbox([[cx - half, cy - half], [cx + half, cy + half]])


def _best(
    axes: Any, renderer: Any, label: tuple, taken: list[Bbox], frame: Bbox, fontsize: int
) -> Any:
    """The first candidate that fits; failing all, the nearest one inside the axes."""
    fallback = None
    for ring in RINGS:
        for dx, dy in DIRECTIONS:
            annotation = _annotate(axes, label, (dx * ring, dy * ring), ring, fontsize)
            box = annotation.get_window_extent(renderer)
            inside = (
                frame.containsx(box.x0)
                and frame.containsx(box.x1)
                and (frame.containsy(box.y0) and frame.containsy(box.y1))
            )
            if inside and not any(box.overlaps(other) for other in taken):
                return annotation
            if inside and fallback is None:
                fallback = (dx * ring, dy * ring, ring)
            annotation.remove()
    dx, dy, ring = fallback or (RINGS[0], RINGS[0], RINGS[0])
    return _annotate(axes, label, (dx, dy), ring, fontsize)


def _annotate(axes: Any, label: tuple, offset: tuple[float, float], ring: int, fontsize: int):  # type: ignore[no-untyped-def]
    x, y, text = label
    dx, dy = offset
    annotation = axes.annotate(
        text, (x, y), xytext=(dx, dy), textcoords="offset points", fontsize=fontsize,
        ha="left" if dx > 0 else "right" if dx < 0 else "center",
        va="bottom" if dy > 0 else "top" if dy < 0 else "center",
        arrowprops={"arrowstyle": "-", "color": "grey", "lw": 0.6} if ring > RINGS[0] else None,
    )  # fmt: skip
    annotation.set_in_layout(False)  # labels stay inside the axes; the layout ignores them
    return annotation
