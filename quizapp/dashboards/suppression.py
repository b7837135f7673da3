"""Small-number suppression: pure rules on plain data, no Flask and no database.

Aggregate figures must not let anyone identify a person, alone or by subtracting one
figure from another. A cell built from fewer than `threshold` distinct people is hidden
(primary suppression). Published totals are linear equations: a reader who knows a total
and some of its parts knows the sum of the other parts. So in every equation, the hidden
cells together must come from at least `threshold` people (or none), and no hidden cell
may be the only hidden one: one more cell is hidden (secondary suppression) until every
equation holds. The narrowest equations are settled first (an agency of its levels, a
sector of its agencies), so a small cell's nearest neighbour protects it in the wider
ones too. The cell chosen is a non-zero visible one (hiding a zero protects least) that
leaves the fewest other equations with a lone hidden cell (each would cost one more),
then the smallest (a part before its total when they tie: hiding a total loses most).

A cell of zero people is shown: a true zero identifies nobody. But when a group of
people (a team, an agency, the people answering a question) is itself too small to
show, every cell about that group is hidden, zeros included, so a reader can't learn that
"everyone in a team of three is overdue". Such equations are marked `group=True`.

The rules hold for every figure one reader can see only if they are applied to all of
those figures at once: quizapp.dashboards.disclosure builds the equations of a whole
page family and every page shows a slice of one result.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Equation(Generic[K]):
    """Cells a reader can add up: `total` = sum of `parts`.

    `total` None means the total is known some other way (always visible). `group`: the
    total counts the people of one group (a team's people required), and the parts say
    something about each of them, so a group too small to show hides all its parts.
    `disjoint`: the parts' people are different people (teams of an agency, statuses of a
    team), so hidden parts together come from the sum of their people; otherwise (the
    questions of a finding, answered by the same people) from at least the largest.
    `adds_up`: False for a group rule alone, between cells that are not a sum.
    """

    total: K | None
    parts: tuple[K, ...]
    group: bool = False
    disjoint: bool = True
    adds_up: bool = True

    @property
    def members(self) -> tuple[K, ...]:
        return self.parts if self.total is None else (self.total, *self.parts)


class Hidden(frozenset):  # type: ignore[type-arg]
    """The cells to hide; `small` are those hidden for being built from fewer people than
    the threshold (or about a group that is), the rest hidden to protect them."""

    small: frozenset

    def __new__(cls, hidden: Iterable[Hashable], small: Iterable[Hashable]) -> Hidden:
        instance = super().__new__(cls, hidden)
        instance.small = frozenset(small)
        return instance


def suppress(
    people: Mapping[K, int],
    *,
    threshold: int,
    equations: Iterable[Equation[K]] = (),
    already_hidden: Iterable[K] = (),
    last: Iterable[K] = (),
) -> Hidden:
    """The cells to hide.

    `people` gives, for each cell, the number of distinct people it is built from (for a
    count of people, the count itself). Every key named by an equation must be in it.
    `already_hidden`: cells hidden elsewhere, treated as hidden here whatever their size.
    `last`: cells chosen for secondary suppression only when nothing else can be (the
    whole scope's totals, which readers need most).
    """
    keep = frozenset(last)
    equations = list(equations)
    order = {key: index for index, key in enumerate(people)}
    small = {key for key, n in people.items() if 0 < n < threshold}
    hidden = small | set(already_hidden)
    by_member: dict[K, list[int]] = defaultdict(list)
    for index, equation in enumerate(equations):
        for key in equation.members:
            by_member[key].append(index)
    # The narrowest equations first (an agency of its levels, a sector of its agencies),
    # so the cell hidden to protect a small one is its nearest neighbour, which then also
    # protects it in the wider equations, instead of each wider equation hiding a cell of
    # its own elsewhere.
    size = [sum(people[key] for key in equation.members) for equation in equations]
    #: Hidden cells per equation, kept as cells are hidden.
    count = [sum(key in hidden for key in equation.members) for equation in equations]

    def hide(key: K, pending: list[tuple[int, int]]) -> None:
        hidden.add(key)
        for index in by_member[key]:
            count[index] += 1
            heapq.heappush(pending, (size[index], index))

    def opens(key: K) -> int:
        """Equations hiding `key` would leave with one hidden cell: each costs another."""
        return sum(equations[index].adds_up and not count[index] for index in by_member[key])

    pending = [(size[index], index) for index in range(len(equations))]
    heapq.heapify(pending)
    while pending:
        equation = equations[heapq.heappop(pending)[1]]
        total = equation.total
        if equation.group and total in small:
            for key in equation.parts:
                if key not in small:
                    small.add(key)
                    if key not in hidden:
                        hide(key, pending)
            continue
        if not equation.adds_up:
            continue
        members = equation.members
        covered = [key for key in members if key in hidden]
        if not covered:
            continue
        visible = [key for key in members if key not in hidden]
        if not visible:
            continue
        if len(covered) > 1 and (total is not None and total in hidden):
            continue  # the total and a part hidden: nothing is a subtraction away
        parts_people = [people[key] for key in covered if key != total]
        revealed = sum(parts_people) if equation.disjoint else max(parts_people, default=0)
        if len(covered) > 1 and not 0 < revealed < threshold:
            continue
        hide(
            min(
                visible,
                key=lambda key: (
                    key in keep,
                    people[key] == 0,
                    opens(key),
                    people[key],
                    key == total,
                    order[key],
                ),
            ),
            pending,
        )
    return Hidden(hidden, small & hidden)


def hidden_text(threshold: int) -> str:
    """What a cell hidden for its small size says instead of its figures."""
    return f"fewer than {threshold}"


#: What a cell hidden to protect another says instead: it may be any size.
PROTECTED_TEXT = "[c]"


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
    #: What a hidden cell says instead ("fewer than 5", "[c]"); None when it is shown.
    hidden_as: str | None = None
    #: The cells of its cube the figure is drawn from (the part first), to check it.
    cells: tuple[Hashable, ...] = ()

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
