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
import operator
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
    # Cells are numbered in the order of `people` (the last tie-break) and handled as
    # numbers; equations as tuples of numbers. What follows gives exactly the result of
    # settling equations one at a time, the narrowest first, and each again whenever one
    # of its cells is hidden, but does only the work that can change it:
    # - an equation is in the queue at most once (a second entry would be settled at once
    #   after the first, with nothing changed in between, so would do nothing);
    # - each equation keeps its hidden cells' number, sum and largest people, so one with
    #   none hidden, or nothing visible, or a total and a part hidden, is passed over
    #   without looking at its cells.
    equations = list(equations)
    keys = list(people)
    number = {key: index for index, key in enumerate(keys)}
    sizes = [people[key] for key in keys]
    cells = len(keys)
    keep = bytearray(cells)
    for key in last:
        if key in number:
            keep[number[key]] = 1
    small = bytearray(cells)
    hidden = bytearray(cells)
    for index, n in enumerate(sizes):
        if 0 < n < threshold:
            small[index] = hidden[index] = 1
    #: Cells hidden elsewhere that are not in this table: hidden, and nothing more.
    elsewhere = set()
    for key in already_hidden:
        if key in number:
            hidden[number[key]] = 1
        else:
            elsewhere.add(key)
    find = number.__getitem__
    #: Each equation's cells, the total first when it has one (its number, else -1).
    members = [
        tuple(map(find, e.parts)) if e.total is None else (find(e.total), *map(find, e.parts))
        for e in equations
    ]
    totals = [-1 if e.total is None else row[0] for e, row in zip(equations, members, strict=True)]
    groups = [e.group for e in equations]
    adds = [e.adds_up for e in equations]
    disjoints = [e.disjoint for e in equations]
    by_member: list[list[int]] = [[] for _ in range(cells)]
    for index, row in enumerate(members):
        for cell in row:
            by_member[cell].append(index)
    count_of = len(members)
    # The narrowest equations first (an agency of its levels, a sector of its agencies),
    # so the cell hidden to protect a small one is its nearest neighbour, which then also
    # protects it in the wider equations, instead of each wider equation hiding a cell of
    # its own elsewhere. The queue holds each equation's rank in that order (by size,
    # then as given).
    size = [sum(map(sizes.__getitem__, row)) for row in members]
    ranked = sorted(range(count_of), key=size.__getitem__)
    rank = [0] * count_of
    for position, index in enumerate(ranked):
        rank[index] = position
    #: Hidden cells per equation (each time a cell appears), their people's sum and
    #: largest, kept as cells are hidden.
    count = [0] * count_of
    hidden_sum = [0] * count_of
    hidden_max = [0] * count_of
    for cell in range(cells):
        if hidden[cell]:
            n = sizes[cell]
            for index in by_member[cell]:
                count[index] += 1
                hidden_sum[index] += n
                if n > hidden_max[index]:
                    hidden_max[index] = n
    queued = bytearray(count_of)

    def hide(cell: int, pending: list[int]) -> None:
        hidden[cell] = 1
        n = sizes[cell]
        for index in by_member[cell]:
            count[index] += 1
            hidden_sum[index] += n
            if n > hidden_max[index]:
                hidden_max[index] = n
            if not queued[index]:
                queued[index] = 1
                heapq.heappush(pending, rank[index])

    #: A cell's equations that add up, listed when first needed.
    sums_of: dict[int, list[int]] = {}

    def opens(cell: int) -> int:
        """Equations hiding `cell` would leave with one hidden cell: each costs another."""
        sums = sums_of.get(cell)
        if sums is None:
            sums = sums_of[cell] = [index for index in by_member[cell] if adds[index]]
        return sum(map(operator.not_, map(count.__getitem__, sums)))

    def holds(index: int) -> bool:
        """Whether a sum needs nothing more hidden, as things are."""
        hidden_count = count[index]
        if not adds[index] or not hidden_count or hidden_count == len(members[index]):
            return True
        if hidden_count == 1:
            return False
        total = totals[index]
        if total >= 0 and hidden[total]:
            return True  # the total and a part hidden: nothing is a subtraction away
        revealed = hidden_sum[index] if disjoints[index] else hidden_max[index]
        return not 0 < revealed < threshold

    # An equation that holds as things start does nothing until one of its cells is
    # hidden (which queues it), except a group rule whose total is small or may be found
    # small (a part of a group rule).
    may_be_small = bytearray(small)
    for index, row in enumerate(members):
        if groups[index]:
            for cell in row[1:] if totals[index] >= 0 else ():
                may_be_small[cell] = 1
    pending = [
        rank[index]
        for index in range(count_of)
        if count[index]
        and (
            (groups[index] and totals[index] >= 0 and may_be_small[totals[index]])
            or not holds(index)
        )
    ]
    for position in pending:
        queued[ranked[position]] = 1
    heapq.heapify(pending)
    while pending:
        index = ranked[heapq.heappop(pending)]
        queued[index] = 0
        total = totals[index]
        if groups[index] and total >= 0 and small[total]:
            row = members[index]
            for cell in row[1:]:
                if not small[cell]:
                    small[cell] = 1
                    if not hidden[cell]:
                        hide(cell, pending)
            continue
        if holds(index):
            continue
        visible = [cell for cell in members[index] if not hidden[cell]]
        # The cheapest cell to hide: not one of the `last`, not a zero, then (only among
        # those) the one opening the fewest equations, the smallest, a part, the first.
        best = min((keep[cell], sizes[cell] == 0) for cell in visible)
        candidates = [cell for cell in visible if (keep[cell], sizes[cell] == 0) == best]
        if len(candidates) > 1:
            cell = min(
                candidates,
                key=lambda cell: (opens(cell), sizes[cell], cell == total, cell),
            )
        else:
            cell = candidates[0]
        hide(cell, pending)
    return Hidden(
        [*(keys[cell] for cell in range(cells) if hidden[cell]), *elsewhere],
        (keys[cell] for cell in range(cells) if hidden[cell] and small[cell]),
    )


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
