"""Point labels that do not overlap: each tries offsets around its point, nearest first,
and takes the first whose box is inside the axes and clear of the labels placed
before it, of the points and of the lines; a label set away from its point gets a leader
line. Placement measures rendered text, so it runs after the figure's layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
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
    taken = [_marker_box(axes, x, y, pixels) for x, y, _ in labels] + _line_boxes(axes)
    placed = []
    for x, y, text in labels:
        annotation = _best(axes, renderer, (x, y, text), taken, frame, fontsize)
        taken.append(text_box(annotation, renderer))
        placed.append(annotation)
    return placed


def text_box(annotation: Any, renderer: Any) -> Bbox:
    """The box of an annotation's text alone (its own extent includes the leader line)."""
    annotation.update_positions(renderer)
    return Text.get_window_extent(annotation, renderer)


def _marker_box(axes: Any, x: float, y: float, pixels: float) -> Bbox:
    cx, cy = axes.transData.transform((x, y))
    half = MARKER_POINTS * pixels
    return Bbox([[cx - half, cy - half], [cx + half, cy + half]])


def _line_boxes(axes: Any, step_px: float = 3.0) -> list[Bbox]:
    """Small boxes along every line of ``axes``, so labels keep off the lines too."""
    boxes = []
    for line in axes.lines:
        xy = axes.transData.transform(np.column_stack([line.get_xdata(), line.get_ydata()]))
        for start, end in pairwise(xy):
            count = max(int(np.hypot(*(end - start)) / step_px), 1)
            for x, y in np.linspace(start, end, count + 1):
                boxes.append(Bbox([[x - 1, y - 1], [x + 1, y + 1]]))
    return boxes


def _best(
    axes: Any, renderer: Any, label: tuple, taken: list[Bbox], frame: Bbox, fontsize: int
) -> Any:
    """The first candidate that fits; failing all, the nearest one inside the axes."""
    fallback = None
    for ring in RINGS:
        for dx, dy in DIRECTIONS:
            annotation = _annotate(axes, label, (dx * ring, dy * ring), ring, fontsize)
            box = text_box(annotation, renderer)
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


def _annotate(
    axes: Any, label: tuple, offset: tuple[float, float], ring: int, fontsize: int
) -> Any:
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
