"""Charts as SVG strings: pure functions, no Flask, no JavaScript.

Each chart is an image to sighted readers and a titled, described image to screen
readers (role="img", aria-labelledby its <title> and <desc>); the page puts a table
with exactly the same figures beside it. Every bar carries its figure as text, and a
hidden (suppressed) figure is drawn as an outlined, hatched box labelled "fewer than
5", so colour is never the only signal. The viewBox lets the chart scale to any width,
320px included, without scrolling. Presentation is in SVG attributes only: the
Content-Security-Policy allows no inline styles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 480
ROW_HEIGHT = 56
LABEL_SIZE = 18
BAR_TOP = 26
BAR_HEIGHT = 20
#: Room kept to the right of the longest bar for its figure.
FIGURE_ROOM = 150
BAR_COLOUR = "#1d70b8"
TEXT_COLOUR = "#0b0c0c"
HIDDEN_COLOUR = "#505a5f"


@dataclass(frozen=True)
class Bar:
    label: str
    #: The bar's length in the chart's unit; None when the figure is hidden.
    value: float | None
    #: The figure written beside the bar, e.g. "6 of 10 (60%)" or "fewer than 5".
    text: str


def bar_chart(
    *, chart_id: str, title: str, description: str, bars: Sequence[Bar], maximum: float
) -> Markup:
    """A horizontal bar chart: one row per bar, its label above it and figure beside it."""
    height = max(1, len(bars)) * ROW_HEIGHT + 8
    track = WIDTH - FIGURE_ROOM
    scale = track / maximum if maximum > 0 else 0.0
    title_id, desc_id = f"{chart_id}-title", f"{chart_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}"'
        f' role="img" aria-labelledby="{escape(title_id)} {escape(desc_id)}"'
        f' width="100%" focusable="false" font-family="arial, sans-serif">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
        f'<desc id="{escape(desc_id)}">{escape(description)}</desc>',
        "<defs>"
        f'<pattern id="{escape(chart_id)}-hatch" width="8" height="8"'
        ' patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<line x1="0" y1="0" x2="0" y2="8" stroke="{HIDDEN_COLOUR}" stroke-width="3"/>'
        "</pattern></defs>",
    ]
    if not bars:
        parts.append(
            f'<text x="0" y="{LABEL_SIZE}" font-size="{LABEL_SIZE}" fill="{TEXT_COLOUR}">'
            "No figures to show</text>"
        )
    for index, bar in enumerate(bars):
        top = index * ROW_HEIGHT
        parts.append(
            f'<text x="0" y="{top + LABEL_SIZE}" font-size="{LABEL_SIZE}"'
            f' fill="{TEXT_COLOUR}">{escape(bar.label)}</text>'
        )
        bar_y = top + BAR_TOP
        if bar.value is None:
            box = 40
            parts.append(
                f'<rect x="0" y="{bar_y}" width="{box}" height="{BAR_HEIGHT}"'
                f' fill="url(#{escape(chart_id)}-hatch)" stroke="{HIDDEN_COLOUR}"'
                ' stroke-width="2" stroke-dasharray="4 2"/>'
            )
            end = box
        else:
            length = max(0.0, bar.value) * scale
            if length > 0:
                parts.append(
                    f'<rect x="0" y="{bar_y}" width="{_number(length)}"'
                    f' height="{BAR_HEIGHT}" fill="{BAR_COLOUR}"/>'
                )
            else:
                # A zero still gets a mark on the axis, so it reads as zero, not missing.
                parts.append(
                    f'<line x1="0" y1="{bar_y}" x2="0" y2="{bar_y + BAR_HEIGHT}"'
                    f' stroke="{TEXT_COLOUR}" stroke-width="2"/>'
                )
            end = length
        parts.append(
            f'<text x="{_number(end + 8)}" y="{bar_y + BAR_HEIGHT - 4}"'
            f' font-size="{LABEL_SIZE - 2}" fill="{TEXT_COLOUR}">{escape(bar.text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")
