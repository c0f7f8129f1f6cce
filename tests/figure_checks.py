"""What a test can check of a figure without looking at it: text inside the canvas,
no two texts overlapping, the labels and legends it shows, the lines it draws."""

from __future__ import annotations

from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.text import Text


def rendered(figure: Figure) -> Any:
    """Draw the figure (layout included) and return its renderer."""
    canvas = figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else None
    canvas = canvas or FigureCanvasAgg(figure)
    canvas.draw()
    return canvas.get_renderer()


def visible_texts(figure: Figure) -> list[Text]:
    """The texts drawn: tick labels only of ticks inside the view (matplotlib keeps
    labels for ticks beyond the limits, which it does not draw)."""
    ticks = {id(t) for axes in figure.axes for t in _tick_texts(axes, drawn=False)}
    drawn = [t for axes in figure.axes for t in _tick_texts(axes, drawn=True)]
    others = [t for t in figure.findobj(Text) if id(t) not in ticks]
    return [t for t in [*others, *drawn] if t.get_visible() and t.get_text().strip()]


def _tick_texts(axes: Any, *, drawn: bool) -> list[Text]:
    texts = []
    for axis in (axes.xaxis, axes.yaxis):
        low, high = sorted(axis.get_view_interval())
        span = (high - low) * 1e-9
        for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
            if not drawn or low - span <= tick.get_loc() <= high + span:
                texts += [tick.label1, tick.label2]
    return texts


def texts_outside(figure: Figure) -> list[str]:
    """Every visible text whose box pokes out of the figure (by more than half a pixel)."""
    renderer = rendered(figure)
    canvas = figure.bbox
    outside = []
    for text in visible_texts(figure):
        box = text.get_window_extent(renderer)
        if (box.x0 < canvas.x0 - 0.5 or box.y0 < canvas.y0 - 0.5 or box.x1 > canvas.x1 + 0.5
                or box.y1 > canvas.y1 + 0.5):  # fmt: skip
            outside.append(text.get_text())
    return outside


def assert_inside_canvas(figure: Figure) -> None:
    outside = texts_outside(figure)
    assert not outside, f"text outside the canvas: {outside}"


def legend_texts(axes_or_figure: Any) -> list[str]:
    """The entries of every legend of an axes, or of a figure and all its axes."""
    legends = axes_or_figure.findobj(Legend)
    return [text.get_text() for legend in legends for text in legend.get_texts()]


def overlapping(texts: list[Text], renderer: Any) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap (an annotation's text alone, not its leader line)."""
    boxes = [(text.get_text(), Text.get_window_extent(text, renderer)) for text in texts]
    return [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]
