"""Small-number suppression: pure rules on plain data, no Flask and no database.

Aggregate figures must not let anyone identify a person. A cell built from fewer than
`threshold` distinct people is hidden (primary suppression). Published totals are
linear equations: if a total and all but one of its parts are visible, the hidden part
is just a subtraction away, so one more cell of that equation is hidden (secondary
suppression), the smallest non-zero visible one (a part before its total when they tie:
hiding a zero protects least, hiding a total loses most), and so on until every equation has
either no hidden cell or at least two.

A cell of zero people is shown: a true zero identifies nobody. But when a group of
people (a team, an agency) is itself too small to show, every cell about that group is
hidden, zeros included, so a reader can't learn that "everyone in a team of three is
overdue". Such equations are marked `group=True`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Equation(Generic[K]):
    """Cells a reader can add up: `total` = sum of `parts`.

    `total` None means the total is known some other way (always visible). `group`: the
    total counts the people of one group (a team's people required), and the parts say
    something about each of them, so a group too small to show hides all its parts.
    """

    total: K | None
    parts: tuple[K, ...]
    group: bool = False

    @property
    def members(self) -> tuple[K, ...]:
        return self.parts if self.total is None else (self.total, *self.parts)


def suppress(
    people: Mapping[K, int],
    *,
    threshold: int,
    equations: Iterable[Equation[K]] = (),
    already_hidden: Iterable[K] = (),
) -> frozenset[K]:
    """The cells to hide.

    `people` gives, for each cell, the number of distinct people it is built from (for a
    count of people, the count itself). Every key named by an equation must be in it.
    `already_hidden`: cells hidden elsewhere (a drill-down's total, hidden on the grid it
    came from), treated as hidden here whatever their size.
    """
    equations = list(equations)
    order = {key: index for index, key in enumerate(people)}
    primary = {key for key, n in people.items() if 0 < n < threshold}
    hidden = primary | set(already_hidden)
    for equation in equations:
        if equation.group and equation.total in primary:
            hidden.update(equation.parts)
    changed = True
    while changed:
        changed = False
        for equation in equations:
            members = equation.members
            if sum(1 for key in members if key in hidden) != 1:
                continue
            visible = [key for key in members if key not in hidden]
            if not visible:
                continue
            total = equation.total
            hidden.add(
                min(
                    visible,
                    key=lambda key: (people[key] == 0, people[key], key == total, order[key]),
                )
            )
            changed = True
    return frozenset(hidden)


def hidden_text(threshold: int) -> str:
    """What a hidden cell says instead of its figures, on pages and in CSV alike."""
    return f"fewer than {threshold}"


def percent(part: float, whole: float) -> int | None:
    """Whole-number percentage, halves rounded up; None when there is no whole."""
    if not whole:
        return None
    return math.floor(100 * part / whole + 0.5)


def format_amount(value: float) -> str:
    """17, 2.5, 0.33: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class Share:
    """A figure as shown: a count out of a whole, with its percentage, or hidden."""

    part: float | None
    whole: float | None
    #: What a hidden cell says instead ("fewer than 5"); None when the figure is shown.
    hidden_as: str | None = None

    @property
    def hidden(self) -> bool:
        return self.hidden_as is not None

    @property
    def percent(self) -> int | None:
        if self.hidden or self.part is None or self.whole is None:
            return None
        return percent(self.part, self.whole)

    @property
    def part_text(self) -> str:
        if self.hidden_as is not None:
            return self.hidden_as
        return "" if self.part is None else format_amount(self.part)

    @property
    def whole_text(self) -> str:
        if self.hidden_as is not None:
            return self.hidden_as
        return "" if self.whole is None else format_amount(self.whole)

    @property
    def percent_text(self) -> str:
        if self.hidden_as is not None:
            return self.hidden_as
        value = self.percent
        return "" if value is None else f"{value}%"

    @property
    def text(self) -> str:
        """'6 of 10 (60%)', 'none of 0', or the hidden text."""
        if self.hidden_as is not None:
            return self.hidden_as
        if self.part is None or self.whole is None:
            return ""
        if not self.whole:
            return "none"
        return f"{self.part_text} of {self.whole_text} ({self.percent_text})"


def share(part: float, whole: float, *, hidden: bool, threshold: int) -> Share:
    return Share(part, whole, hidden_text(threshold) if hidden else None)


def hide_all(keys: Sequence[K], hidden: frozenset[K]) -> bool:
    """True if any of these linked cells is hidden: figures drawn from several cells
    (a count and its percentage) are shown together or not at all."""
    return any(key in hidden for key in keys)
