"""Disclosure control for a whole family of pages: every figure a lead can reach, at once.

Suppressing each table on its own is not enough: a lead who can choose filters can
subtract one page's figure from another's (a level from all levels, one period from a
longer one containing it, an agency's figures from the partnership's less the other
agencies) and so read the figures of a group too small to show. So the dashboards build
every figure of one kind (completion statuses, first attempts, marks) for a check and a
reporting year as one cube,

    group (each agency or team, and the scope's total)
    x competency level (each level, people with no level, and all levels)
    x item (for marks: each finding, each question, and whole attempts)
    x measure (people required, complete, ...; or marks, wrong answers, ...),

write down every way its cells add up (groups to the total, levels to all levels,
statuses to people required, questions to their finding), suppress them together
(quizapp.dashboards.suppression), and every page, filter and CSV shows a slice of that one
result. A filter chooses which cells to show; it never makes a new one. Periods are
reporting years only: no period contains or overlaps another, so no two can be
subtracted. People with no level, in no published level, are a cell of the cube like any
other that is simply never printed: what the levels would give away about them is
suppressed like anything else.

People are counted where they are now (agency, team, level): every person is in exactly
one group and one level, so the people of a margin are the sum of its cells'.
"""

from __future__ import annotations

import hashlib
import pickle
import threading
from array import array
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any, Protocol, TypeVar

from cachetools import LRUCache

from ..models.tally import NO_LEVEL
from .suppression import (
    Hidden,
    NumberedEquations,
    NumberedTable,
    collection_paused,
    suppress,
)

#: The group key of a scope's total row.
TOTAL = "total"
#: The level key of all levels together.
ALL_LEVELS = None
#: The item key of figures that have no items (completion, first attempts).
NO_ITEM = ""


class Summable(Protocol):
    def add(self, other: Any) -> None: ...


T = TypeVar("T", bound=Summable)

Cell = tuple[Hashable, Any, Hashable]  # (group, level, item)
Key = tuple[str, Hashable, Any, Hashable]  # (measure, group, level, item)


@dataclass(frozen=True)
class Layout:
    """The rows and levels a scope publishes, in a fixed order (so the cells chosen for
    secondary suppression never depend on the page asking)."""

    groups: tuple[Hashable, ...]
    #: Published levels; people with any other level (or none) count under NO_LEVEL.
    levels: tuple[str, ...]
    #: Groups between the rows and the total (an agency's sector): row -> its parent.
    parents: Mapping[Hashable, Hashable] = field(default_factory=dict)

    @property
    def middle(self) -> tuple[Hashable, ...]:
        """The parents, in a fixed order."""
        return tuple(sorted(set(self.parents.values()), key=repr))

    @property
    def all_groups(self) -> tuple[Hashable, ...]:
        return (*self.groups, *self.middle, TOTAL)

    @property
    def level_parts(self) -> tuple[Any, ...]:
        return (*self.levels, NO_LEVEL)

    @property
    def all_levels(self) -> tuple[Any, ...]:
        return (*self.level_parts, ALL_LEVELS)


@dataclass(frozen=True)
class Rule:
    """Measures of one cell that add up (`total` = sum of `parts`), or only a group rule."""

    total: str
    parts: tuple[str, ...]
    group: bool = False
    disjoint: bool = True
    adds_up: bool = True


@dataclass(frozen=True)
class Suppressed:
    """A cube's values (with its margins) and what to hide."""

    values: dict[Cell, Any]
    hidden: Hidden

    def get(self, group: Hashable, level: Any, item: Hashable = NO_ITEM) -> Any:
        return self.values.get((group, level, item))


def fold_level(level: str | None, layout: Layout) -> str:
    """A person's level as the cube keys it: a published level, or NO_LEVEL."""
    return level if level in layout.levels else NO_LEVEL


def cube(
    finest: Mapping[Cell, T],
    layout: Layout,
    items: Sequence[Hashable],
    make: Callable[[], T],
) -> dict[Cell, T]:
    """Every cell of the cube, margins included, from its finest cells (a group, a level
    or NO_LEVEL, an item). Groups not in the layout are dropped (out of scope)."""
    values: dict[Cell, T] = {
        (group, level, item): make()
        for group in layout.all_groups
        for level in layout.all_levels
        for item in items
    }
    for (group, level, item), value in finest.items():
        level = fold_level(level, layout)
        if group not in layout.groups or item not in items:
            continue
        parent = layout.parents.get(group)
        for g in (group, TOTAL) if parent is None else (group, parent, TOTAL):
            for lv in (level, ALL_LEVELS):
                values[(g, lv, item)].add(value)
    return values


#: Hidden cells of cubes suppressed lately, by a digest of everything the result depends
#: on: the same figures give the same cells, so a page asked again before its figures
#: change skips the suppression (about 0.4 s of CPU for a partnership's learning cube).
#: Per process; bounded by the number of hidden keys held (about 120 bytes each).
_RESULTS: LRUCache[bytes, Hidden] = LRUCache(maxsize=250_000, getsizeof=lambda h: len(h) + 1)
_RESULTS_LOCK = threading.Lock()


def forget() -> None:
    """Drop every remembered result (benchmarks timing the first request, tests)."""
    with _RESULTS_LOCK:
        _RESULTS.clear()


def suppress_cube(
    values: Mapping[Cell, Any],
    layout: Layout,
    items: Sequence[Hashable],
    *,
    measures: Callable[[Any], Mapping[str, int]],
    rules: Iterable[Rule] = (),
    item_sums: Iterable[tuple[Hashable, Sequence[Hashable]]] = (),
    links: Iterable[tuple[tuple[str, Hashable], Sequence[tuple[str, Hashable]]]] = (),
    already_hidden: Iterable[Key] = (),
    threshold: int,
) -> Suppressed:
    """Suppress a cube as one (see _suppress_cube), or give the cells hidden last time
    the very same cube was suppressed in this process."""
    items, rules = tuple(items), tuple(rules)
    item_sums = tuple((total, tuple(parts)) for total, parts in item_sums)
    links = tuple((total, tuple(parts)) for total, parts in links)
    already_hidden = tuple(already_hidden)
    cells = sorted_cells(values, layout, items)
    figures = [measures(values[cell]) for cell in cells]
    key = _digest(layout, items, cells, figures, rules, item_sums, links, already_hidden, threshold)
    with _RESULTS_LOCK:
        hidden = _RESULTS.get(key)
    if hidden is None:
        hidden = _suppress_cube(
            layout,
            items,
            cells,
            figures,
            rules=rules,
            item_sums=item_sums,
            links=links,
            already_hidden=already_hidden,
            threshold=threshold,
        )
        with _RESULTS_LOCK:
            _RESULTS[key] = hidden
    return Suppressed(dict(values), hidden)


def _digest(
    layout: Layout,
    items: tuple[Hashable, ...],
    cells: Sequence[Cell],
    figures: Sequence[Mapping[str, int]],
    *rest: Any,
) -> bytes:
    """A digest of what suppressing this cube depends on: its cells in order, each cell's
    measures and people (`figures`), the layout, the rules and the threshold (`rest`).
    Two cubes with the same digest give the same hidden cells; equal cubes written
    differently (a mapping in another order) merely get different digests."""
    counts = array("q")
    #: (cell number, its measures) wherever the measures' names change from the last cell.
    names: list[tuple[int, tuple[str, ...]]] = []
    for number, people in enumerate(figures):
        order = tuple(people)
        if not names or order != names[-1][1]:
            names.append((number, order))
        counts.extend(people.values())
    digest = hashlib.blake2b(
        pickle.dumps(
            (layout.groups, layout.levels, list(layout.parents.items()), items, cells, names, rest),
            protocol=5,
        )
    )
    digest.update(counts.tobytes())
    return digest.digest()


@collection_paused()
def _suppress_cube(
    layout: Layout,
    items: tuple[Hashable, ...],
    cells: Sequence[Cell],
    figures: Sequence[Mapping[str, int]],
    *,
    rules: tuple[Rule, ...],
    item_sums: tuple[tuple[Hashable, tuple[Hashable, ...]], ...],
    links: tuple[tuple[tuple[str, Hashable], tuple[tuple[str, Hashable], ...]], ...],
    already_hidden: tuple[Key, ...],
    threshold: int,
) -> Hidden:
    """The cells to hide of a cube, as suppress_cube normalised it: `cells` in the
    layout's order (sorted_cells) and `figures`, each cell's people per measure; `rules`,
    how a cell's measures add up; `item_sums`, items that are the sum of other items (a
    finding of its questions), answered by the same people; `links`, a (measure, item)
    figure that is the sum of figures of other items (a scenario's decision of the
    alternatives leading to it), treated as overlapping people to be safe.

    A page asks for this whenever its figures have changed, and a partnership's learning
    cube has about 100,000 keys and as many equations, so the keys are numbered once and
    the equations written directly as tuples of numbers (`suppress` would otherwise
    number tuples of keys again). The keys (measure, group, level, item) are numbered in
    the order of `sorted_cells`, each cell's measures in the order `measures` gives them:
    the last tie-break of `suppress`, so the same cells are hidden as when it numbered
    them."""
    groups, levels = layout.all_groups, layout.all_levels
    if not cells:
        # No items (a check with no scenario): nothing to number, no equation to write,
        # only the cells hidden elsewhere to pass on.
        return suppress({}, threshold=threshold, already_hidden=already_hidden)
    sizes: list[int] = []
    order: tuple[str, ...] = ()
    regular = True
    for index, counts in enumerate(figures):
        if not index:
            order = tuple(counts)
        elif regular and tuple(counts) != order:
            regular = False
        sizes.extend(counts.values())
    # Equations are written over slots: key (measure m, group g, level l, item i) is slot
    # ((g * levels + l) * items + i) * measures + m, by positions in the layout. In a
    # regular cube (every cell there, once, with the same measures in the same order: the
    # cubes the pages build) slots are the keys' numbers; in any other table they are
    # mapped to its keys' numbers, found by key, as `suppress` would.
    regular = (
        regular
        and len(cells) == len(groups) * len(levels) * len(items)
        and all(len(set(names)) == len(names) for names in (groups, levels, items))
    )
    if regular:
        names = sorted(order)
        slot_measures = order
        keys: list[Key] = [(m, g, lv, i) for g, lv, i, m in product(groups, levels, items, order)]
        slot_of: list[int] | None = None
    else:
        people: dict[Key, int] = {}
        for cell, counts in zip(cells, figures, strict=True):
            for measure, count in counts.items():
                people[(measure, *cell)] = count
        keys, sizes = list(people), list(people.values())
        names = sorted({key[0] for key in people})
        slot_measures = tuple(names)
        number = {key: index for index, key in enumerate(keys)}
        slot_of = [number[(m, g, lv, i)] for g, lv, i, m in product(groups, levels, items, names)]
    at_measure = {m: index for index, m in enumerate(slot_measures)}
    at_group = {g: index for index, g in enumerate(groups)}
    at_level = {lv: index for index, lv in enumerate(levels)}
    at_item = {i: index for index, i in enumerate(items)}
    per_item = len(slot_measures)
    per_level = len(items) * per_item
    per_group = len(levels) * per_level
    # Offsets within a cell (measures of one group, level and item), within a group and
    # level (items and measures), and between groups, of each kind of equation.
    plain, overlapping = (False, True, True), (False, False, True)
    by_rule = [
        (
            (at_measure[rule.total], *(at_measure[part] for part in rule.parts)),
            (rule.group, rule.disjoint, rule.adds_up),
        )
        for rule in rules
    ]
    by_link = [
        (
            at_item[whole] * per_item + at_measure[measure],
            *(at_item[item] * per_item + at_measure[m] for m, item in parts),
        )
        for (measure, whole), parts in links
    ]
    by_item_sum = [
        (
            at_item[total] * per_item + at_measure[measure],
            *(at_item[part] * per_item + at_measure[measure] for part in parts),
        )
        for measure in names
        for total, parts in item_sums
    ]
    # The total is the sum of the rows, and of the parents (and rows with none); each
    # parent is the sum of its rows.
    group_sums: dict[Hashable, list[tuple[int, ...]]] = {
        TOTAL: [tuple(at_group[g] * per_group for g in layout.groups)]
    }
    if layout.parents:
        orphans = tuple(g for g in layout.groups if g not in layout.parents)
        group_sums[TOTAL].append(tuple(at_group[g] * per_group for g in (*layout.middle, *orphans)))
        for parent in layout.middle:
            children = (g for g in layout.groups if layout.parents.get(g) == parent)
            group_sums[parent] = [tuple(at_group[g] * per_group for g in children)]
    level_parts = (len(levels) - 1) * per_level
    measured = [at_measure[measure] for measure in names]
    rows: list[tuple[int, ...]] = []
    flags: list[tuple[bool, bool, bool]] = []
    row, flag = rows.append, flags.append
    # In the order the equations have always been written: `suppress` settles equations
    # of the same size in that order.
    for g, group in enumerate(groups):
        sums = group_sums.get(group, ())
        for lv, level in enumerate(levels):
            block = g * per_group + lv * per_level
            for i in range(len(items)):
                at = block + i * per_item
                # How the cell's measures add up (the rules).
                for offsets, kind in by_rule:
                    row(tuple(map(at.__add__, offsets)))
                    flag(kind)
                for m in measured:
                    # The total or a parent as the sum of its groups, for each measure.
                    within = lv * per_level + i * per_item + m
                    for parts in sums:
                        row((at + m, *map(within.__add__, parts)))
                        flag(plain)
                    # All levels as the sum of the levels (and no level).
                    if level is ALL_LEVELS:
                        first = g * per_group + i * per_item + m
                        row((at + m, *range(first, first + level_parts, per_level)))
                        flag(plain)
            # Links, then items as the sum of other items, for each measure.
            for offsets in (*by_link, *by_item_sum):
                row(tuple(map(block.__add__, offsets)))
                flag(overlapping)
    if slot_of is not None:
        rows = [tuple(map(slot_of.__getitem__, slots)) for slots in rows]
    if regular:
        locate = _locator(at_measure, at_group, at_level, at_item, per_item, per_level, per_group)
        last = [
            keys[index]
            for g, group in enumerate(groups)
            if group == TOTAL
            for index in range(g * per_group, (g + 1) * per_group)
        ]
    else:
        locate = number.get
        last = [key for key in keys if key[1] == TOTAL]
    table = NumberedTable(keys, sizes, locate)
    equations = NumberedEquations(
        table,
        rows,
        [slots[0] for slots in rows],
        [kind[0] for kind in flags],
        [kind[1] for kind in flags],
        [kind[2] for kind in flags],
    )
    return suppress(
        table,
        threshold=threshold,
        equations=equations,
        already_hidden=already_hidden,
        last=last,
    )


def _locator(
    at_measure: Mapping[str, int],
    at_group: Mapping[Hashable, int],
    at_level: Mapping[Any, int],
    at_item: Mapping[Hashable, int],
    per_item: int,
    per_level: int,
    per_group: int,
) -> Callable[[Hashable], int | None]:
    """The number of a key of a regular cube (None if it is none of its keys), by the
    positions of its measure, group, level and item."""

    def locate(key: Hashable) -> int | None:
        if not isinstance(key, tuple) or len(key) != 4:
            return None
        measure, group, level, item = key
        m = at_measure.get(measure)
        g = at_group.get(group)
        lv = at_level.get(level)
        i = at_item.get(item)
        if m is None or g is None or lv is None or i is None:
            return None
        return g * per_group + lv * per_level + i * per_item + m

    return locate


def sorted_cells(
    values: Mapping[Cell, Any], layout: Layout, items: Sequence[Hashable]
) -> list[Cell]:
    """The cube's cells in the layout's order: smaller groups and levels first."""
    return [
        (group, level, item)
        for group in layout.all_groups
        for level in layout.all_levels
        for item in items
        if (group, level, item) in values
    ]
