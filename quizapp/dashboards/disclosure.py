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

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from ..models.tally import NO_LEVEL
from .suppression import Equation, Hidden, suppress

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
    """Suppress a cube as one: `measures` gives a cell's people per measure; `rules`, how
    a cell's measures add up; `item_sums`, items that are the sum of other items (a
    finding of its questions), answered by the same people; `links`, a (measure, item)
    figure that is the sum of figures of other items (a scenario's decision of the
    alternatives leading to it), treated as overlapping people to be safe."""
    links = [(total, tuple(parts)) for total, parts in links]
    rules = list(rules)
    item_sums = [(total, tuple(parts)) for total, parts in item_sums]
    people: dict[Key, int] = {}
    for cell in sorted_cells(values, layout, items):
        for measure, count in measures(values[cell]).items():
            people[(measure, *cell)] = count
    names = sorted({key[0] for key in people})
    # The total is the sum of the rows, and of the parents (and rows with none); each
    # parent is the sum of its rows.
    group_sums: dict[Hashable, list[tuple[Hashable, tuple[Hashable, ...]]]] = {
        TOTAL: [(TOTAL, layout.groups)]
    }
    if layout.parents:
        orphans = tuple(g for g in layout.groups if g not in layout.parents)
        group_sums[TOTAL].append((TOTAL, (*layout.middle, *orphans)))
        for parent in layout.middle:
            children = tuple(g for g in layout.groups if layout.parents.get(g) == parent)
            group_sums[parent] = [(parent, children)]
    equations: list[Equation[Key]] = []
    for group in layout.all_groups:
        for level in layout.all_levels:
            for item in items:
                for rule in rules:
                    equations.append(
                        Equation(
                            (rule.total, group, level, item),
                            tuple((part, group, level, item) for part in rule.parts),
                            group=rule.group,
                            disjoint=rule.disjoint,
                            adds_up=rule.adds_up,
                        )
                    )
                for measure in names:
                    for whole, parts in group_sums.get(group, ()):
                        equations.append(
                            Equation(
                                (measure, whole, level, item),
                                tuple((measure, g, level, item) for g in parts),
                            )
                        )
                    if level is ALL_LEVELS:
                        equations.append(
                            Equation(
                                (measure, group, ALL_LEVELS, item),
                                tuple((measure, group, lv, item) for lv in layout.level_parts),
                            )
                        )
            for (measure, whole), parts in links:
                equations.append(
                    Equation(
                        (measure, group, level, whole),
                        tuple((m, group, level, item) for m, item in parts),
                        disjoint=False,
                    )
                )
            for measure in names:
                for total, parts in item_sums:
                    equations.append(
                        Equation(
                            (measure, group, level, total),
                            tuple((measure, group, level, part) for part in parts),
                            disjoint=False,
                        )
                    )
    totals = [key for key in people if key[1] == TOTAL]
    return Suppressed(
        dict(values),
        suppress(
            people,
            threshold=threshold,
            equations=equations,
            already_hidden=already_hidden,
            last=totals,
        ),
    )


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
