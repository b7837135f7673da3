"""A grid of figures as a lead reads it at a glance: findings (or other measures) as rows,
agencies or teams as columns, each cell a figure with its count, shaded by value.

Shading is never the only signal: every shown cell also says its band in words ("Low",
"Mid", "High") beside its number, and a hidden cell says why it is hidden. The table
itself is the accessible form (templates/dashboards/_macros.html, `grid`). Pure data, no
Flask: the pages build grids, the template draws them.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

#: Band words, lowest first, for the cell's class and its label.
BANDS = ("low", "mid", "high")
#: Percent: the bands of a share of marks (80 is a usual pass mark), and their key.
MARK_BANDS = {"mid": 60, "high": 80}
MARK_KEY = "Low: under 60%; Mid: 60% to 79%; High: 80% or more."


def finding_kind(kind: str) -> str:
    """The caption over a finding's row: what kind of finding the review made."""
    return "Good practice" if kind == "good-practice" else "Concern"


def band(value: float | None, *, mid: float, high: float) -> str | None:
    """The band of a figure: below `mid` low, below `high` mid, else high."""
    if value is None:
        return None
    if value < mid:
        return "low"
    return "mid" if value < high else "high"


@dataclass(frozen=True)
class GridCell:
    #: The figure as shown ("64%", "3.9 out of 5") or what a hidden cell says instead.
    text: str
    #: Its count, e.g. "32 of 50 marks, from 12 people"; empty when hidden.
    detail: str = ""
    band: str | None = None
    hidden: bool = False
    #: Arguments for the drill-down link (url_for), or None for no link.
    link: dict[str, Any] | None = None
    #: What the link's text leaves to its context, for screen readers.
    link_hint: str = ""


@dataclass(frozen=True)
class GridRow:
    #: The row header (Markdown for a finding's text).
    header: str
    cells: list[GridCell]
    #: A small caption over the header ("Concern", "Good practice"), if any.
    kind: str = ""
    markdown: bool = False


@dataclass(frozen=True)
class Grid:
    #: Unique on its page: names the scrolling region and the caption.
    id: str
    caption: str
    #: The first column's heading ("Finding").
    corner: str
    #: Column keys (group ids, TOTAL) and headings.
    columns: list[tuple[Hashable, str]]
    rows: list[GridRow] = field(default_factory=list)
    #: What the shading means, e.g. "Low: under 60%; Mid: 60% to 79%; High: 80% or more".
    key: str = ""
