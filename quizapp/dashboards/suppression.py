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

import gc
import heapq
import math
import operator
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import compress
from typing import Generic, TypeVar, overload

K = TypeVar("K", bound=Hashable)


@contextmanager
def collection_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while suppressing (and left as it was after).

    Suppressing a partnership's cube makes some 300,000 tuples and lists (its keys, its
    equations, each cell's equations) that live until it returns and form no cycles:
    each is freed when no longer used, collector or not. Left running, the collector
    walks them all again and again as they pile up, to find nothing: about a third of
    the CPU time of suppressing the learning cube. As a decorator, it pauses per call.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


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


class NumberedTable(Mapping[K, int]):
    """A table whose cells are numbered already: cell `i` is `cells[i]`, built from
    `sizes[i]` people. It reads as the mapping `suppress` takes (key -> people, in number
    order); given to `suppress` with `NumberedEquations` over it, nothing is numbered
    again. `locate` finds a key's number (None if it is not a cell), for `last` and
    `already_hidden`; without it a dictionary of all the keys is made when first needed.
    """

    def __init__(
        self,
        cells: Sequence[K],
        sizes: Sequence[int],
        locate: Callable[[Hashable], int | None] | None = None,
    ) -> None:
        self.cells = cells
        self.sizes = sizes
        self._locate = locate

    def locate(self, key: Hashable) -> int | None:
        if self._locate is None:
            self._locate = dict(zip(self.cells, range(len(self.cells)), strict=True)).get
        return self._locate(key)

    def __getitem__(self, key: K) -> int:
        number = self.locate(key)
        if number is None:
            raise KeyError(key)
        return self.sizes[number]

    def __iter__(self) -> Iterator[K]:
        return iter(self.cells)

    def __len__(self) -> int:
        return len(self.cells)


class NumberedEquations(Sequence[Equation[K]]):
    """Equations over the cells of `table`, as numbers: equation `i` has the cells
    `rows[i]`, its total first when it has one (`totals[i]`, else -1), and the flags
    `groups[i]`, `disjoints[i]`, `adds_up[i]` (as in `Equation`). `suppress` uses them as
    they are; read as a sequence, each is an `Equation` of keys."""

    def __init__(
        self,
        table: NumberedTable[K],
        rows: Sequence[tuple[int, ...]],
        totals: Sequence[int],
        groups: Sequence[bool],
        disjoints: Sequence[bool],
        adds_up: Sequence[bool],
    ) -> None:
        self.table = table
        self.rows = rows
        self.totals = totals
        self.groups = groups
        self.disjoints = disjoints
        self.adds_up = adds_up

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Equation[K]: ...
    @overload
    def __getitem__(self, index: slice) -> list[Equation[K]]: ...
    def __getitem__(self, index: int | slice) -> Equation[K] | list[Equation[K]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        cells = self.table.cells
        row = [cells[cell] for cell in self.rows[index]]
        has_total = self.totals[index] >= 0
        return Equation(
            row[0] if has_total else None,
            tuple(row[1:] if has_total else row),
            group=self.groups[index],
            disjoint=self.disjoints[index],
            adds_up=self.adds_up[index],
        )


@collection_paused()
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

    Cells are numbered in the order of `people` (the last tie-break) and equations
    written as tuples of numbers for `suppress_numbered`; a `NumberedTable` and
    `NumberedEquations` over it (as `suppress_cube` gives) are numbered already.
    """
    numbers: dict[K, int] | None = None
    if isinstance(people, NumberedTable):
        table = people
    else:
        keys = list(people)
        numbers = {key: index for index, key in enumerate(keys)}
        table = NumberedTable(keys, list(people.values()), numbers.get)
    locate = table.locate
    if isinstance(equations, NumberedEquations) and equations.table is table:
        numbered = equations
    else:
        listed = list(equations)

        def find(key: K) -> int:
            number = locate(key)
            if number is None:
                raise KeyError(key)
            return number

        # Every key named by an equation must be a cell (KeyError).
        number_of = find if numbers is None else numbers.__getitem__
        rows = [tuple(map(number_of, e.members)) for e in listed]
        numbered = NumberedEquations(
            table,
            rows,
            [-1 if e.total is None else row[0] for e, row in zip(listed, rows, strict=True)],
            [e.group for e in listed],
            [e.disjoint for e in listed],
            [e.adds_up for e in listed],
        )
    keep = [number for number in map(locate, last) if number is not None]
    hidden_cells = []
    #: Cells hidden elsewhere that are not in this table: hidden, and nothing more.
    elsewhere = set()
    for key in already_hidden:
        number = locate(key)
        if number is None:
            elsewhere.add(key)
        else:
            hidden_cells.append(number)
    hidden, small = suppress_numbered(
        table.sizes,
        numbered.rows,
        numbered.totals,
        numbered.groups,
        numbered.disjoints,
        numbered.adds_up,
        threshold=threshold,
        already_hidden=hidden_cells,
        last=keep,
    )
    # Every small cell is hidden (`suppress_numbered` hides a cell when it finds it small).
    return Hidden([*compress(table.cells, hidden), *elsewhere], compress(table.cells, small))


def suppress_numbered(
    sizes: Sequence[int],
    rows: Sequence[tuple[int, ...]],
    totals: Sequence[int],
    groups: Sequence[bool],
    disjoints: Sequence[bool],
    adds_up: Sequence[bool],
    *,
    threshold: int,
    already_hidden: Iterable[int] = (),
    last: Iterable[int] = (),
) -> tuple[bytearray, bytearray]:
    """`suppress` on numbered data: cell `i` is built from `sizes[i]` people; equation
    `j` has the cells `rows[j]` (its total first when it has one: `totals[j]`, else -1)
    and the flags of `Equation` in `groups`, `disjoints` and `adds_up`; `already_hidden`
    and `last` are cell numbers. The cells' numbers are the last tie-break. Gives two
    flags per cell: hidden, and small (built from too few people, or about a group that
    is; every small cell is hidden)."""
    # What follows gives exactly the result of settling equations one at a time, the
    # narrowest first, and each again whenever one of its cells is hidden, but does only
    # the work that can change it:
    # - an equation is in the queue at most once (a second entry would be settled at once
    #   after the first, with nothing changed in between, so would do nothing);
    # - each equation keeps its hidden cells' number and the people they reveal together,
    #   so one with none hidden, or nothing visible, or a total and a part hidden, is
    #   passed over without looking at its cells;
    # - an equation other than a group rule is queued only if it needs more hidden when
    #   one of its cells is hidden (see `hide`), and a group rule whose total is small is
    #   settled once, for good.
    cells = len(sizes)
    keep = bytearray(cells)
    for cell in last:
        keep[cell] = 1
    small = bytearray(cells)
    for cell, n in enumerate(sizes):
        if 0 < n < threshold:
            small[cell] = 1
    hidden = bytearray(small)
    for cell in already_hidden:
        hidden[cell] = 1
    members = rows
    by_member: list[list[int]] = [[] for _ in range(cells)]
    appends = [equations.append for equations in by_member]
    for index, row in enumerate(members):
        for cell in row:
            appends[cell](index)
    count_of = len(members)
    # The narrowest equations first (an agency of its levels, a sector of its agencies),
    # so the cell hidden to protect a small one is its nearest neighbour, which then also
    # protects it in the wider equations, instead of each wider equation hiding a cell of
    # its own elsewhere. The queue holds each equation's rank in that order (by size,
    # then as given).
    size_of = sizes.__getitem__
    size = [sum(map(size_of, row)) for row in members]
    ranked = sorted(range(count_of), key=size.__getitem__)
    rank = [0] * count_of
    for position, index in enumerate(ranked):
        rank[index] = position
    #: Hidden cells per equation (each time a cell appears), and the people they reveal
    #: together: their sum where the parts are different people (disjoint), else the
    #: largest; kept as cells are hidden.
    count = [0] * count_of
    revealed = [0] * count_of
    for cell in compress(range(cells), hidden):
        n = sizes[cell]
        for index in by_member[cell]:
            count[index] += 1
            if disjoints[index]:
                revealed[index] += n
            elif n > revealed[index]:
                revealed[index] = n
    queued = bytearray(count_of)
    #: 1 for a sum with no cell hidden yet: one that hiding any of its cells would open.
    unopened = bytearray(map(operator.and_, map(operator.not_, count), adds_up))

    def holds(index: int) -> bool:
        """Whether a sum needs nothing more hidden, as things are."""
        hidden_count = count[index]
        if not adds_up[index] or not hidden_count or hidden_count == len(members[index]):
            return True
        if hidden_count == 1:
            return False
        total = totals[index]
        if total >= 0 and hidden[total]:
            return True  # the total and a part hidden: nothing is a subtraction away
        return not 0 < revealed[index] < threshold

    push = heapq.heappush

    def hide(cell: int, pending: list[int]) -> None:
        """Hide `cell` and queue its equations that may now need more hidden. What
        `holds` reads of an equation other than a group rule changes only when one of
        its cells is hidden: one that holds now would do nothing when settled, so it is
        not queued (it will be when another of its cells is hidden)."""
        hidden[cell] = 1
        n = sizes[cell]
        for index in by_member[cell]:
            count[index] += 1
            if disjoints[index]:
                revealed[index] += n
            elif n > revealed[index]:
                revealed[index] = n
            unopened[index] = 0
            if not queued[index] and (groups[index] or not holds(index)):
                queued[index] = 1
                push(pending, rank[index])

    unopened_at = unopened.__getitem__

    def opens(cell: int) -> int:
        """Equations hiding `cell` would leave with one hidden cell: each costs another."""
        return sum(map(unopened_at, by_member[cell]))

    # An equation that holds as things start does nothing until one of its cells is
    # hidden (which queues it), except a group rule whose total is small or may be found
    # small (a part of a group rule).
    may_be_small = bytearray(small)
    for index, row in enumerate(members):
        if groups[index] and totals[index] >= 0:
            for cell in row[1:]:
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
    pop = heapq.heappop
    while pending:
        index = ranked[pop(pending)]
        total = totals[index]
        if groups[index] and total >= 0 and small[total]:
            # All its parts are small from now on, so settling it again would do
            # nothing: it stays marked as queued, and is never queued again.
            row = members[index]
            for cell in row[1:]:
                if not small[cell]:
                    small[cell] = 1
                    if not hidden[cell]:
                        hide(cell, pending)
            continue
        queued[index] = 0
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
    return hidden, small


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
