"""Bringing a draft up to date with a version published since it was started.

Pure: works on bank content dicts (format 1), so it is unit-tested without an app. Three
contents are compared: `base` (the published version the draft started from), `mine` (the
draft) and `theirs` (the newest published version). Questions, findings and stages are
matched by id, as in `diff.py`; the bank's details (every top-level field other than
those lists: title, summary, source, signposting, check...) are one more item.

Each item gets a status. Where only one side changed an item, that side is the default
choice, so nothing either side did is lost unless the author chooses to lose it; where
both sides changed it differently (or one deleted what the other changed) it is a
conflict with no default, and `apply` refuses to go on until the author chooses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .diff import DiffLine, FieldEdit, field_edits, item_id, item_lines, line_diff, render_item

Side = Literal["mine", "theirs"]
SIDES: tuple[Side, ...] = ("mine", "theirs")
Status = Literal[
    "unchanged",
    "changed_mine",
    "changed_theirs",
    "added_mine",
    "added_theirs",
    "deleted_mine",
    "deleted_theirs",
    "same_change",
    "conflict",
]
#: The lists of a bank, in the order an author is asked about them; then "details".
LISTS = ("questions", "findings", "stages")
DETAILS = "details"
NOUNS = {"questions": "question", "findings": "finding", "stages": "stage"}

#: The side chosen when the author says nothing (None: the author must choose).
_DEFAULT: dict[Status, Side | None] = {
    "unchanged": "mine",
    "changed_mine": "mine",
    "changed_theirs": "theirs",
    "added_mine": "mine",
    "added_theirs": "theirs",
    "deleted_mine": "mine",
    "deleted_theirs": "theirs",
    "same_change": "mine",
    "conflict": None,
}


class MissingChoices(ValueError):
    """Conflicts the author has not chosen a side for (or chose something not a side)."""

    def __init__(self, items: list[MergeItem]) -> None:
        super().__init__(", ".join(item.key for item in items))
        self.items = items


@dataclass(frozen=True)
class MergeItem:
    """One question, finding or stage (or the bank's details) on the three sides; None
    where the item is absent from that side."""

    kind: str  # "questions", "findings", "stages" or "details"
    id: str
    base: dict[str, Any] | None
    mine: dict[str, Any] | None
    theirs: dict[str, Any] | None
    status: Status

    @property
    def key(self) -> str:
        """The item's name in a form and in the audit log: "questions:q-refer"."""
        return f"{self.kind}:{self.id}"

    @property
    def conflict(self) -> bool:
        return self.status == "conflict"

    @property
    def default(self) -> Side | None:
        return _DEFAULT[self.status]

    @property
    def noun(self) -> str:
        return NOUNS.get(self.kind, "details")

    def side(self, side: Side) -> dict[str, Any] | None:
        return self.mine if side == "mine" else self.theirs

    def changed_on(self, side: Side) -> bool:
        return self.side(side) != self.base

    def lines(self, side: Side) -> tuple[DiffLine, ...]:
        """What `side` did to the item, as lines of the bank file (base to side)."""
        before, after = self.base, self.side(side)
        if before is None and after is None:
            return ()
        if before is None:
            assert after is not None
            return _whole(after, self.kind, "added")
        if after is None:
            return _whole(before, self.kind, "removed")
        return line_diff(_render(before, self.kind), _render(after, self.kind))

    def fields(self, side: Side) -> tuple[str, ...]:
        """Keys `side` changed ("prompt", "options"...); empty if it added or deleted."""
        before, after = self.base, self.side(side)
        if before is None or after is None:
            return ()
        return tuple(k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k))

    def changes(self, side: Side) -> tuple[FieldEdit, ...]:
        """What `side` changed in the item, field by field with the changed words marked
        ("Question text", "Option 2 feedback"), as the version page shows an edit."""
        before, after = self.base, self.side(side)
        if before is None or after is None:
            return ()
        return tuple(
            change
            for name in self.fields(side)
            for change in field_edits(name, before.get(name), after.get(name))
        )


@dataclass(frozen=True)
class Merge:
    #: Questions first, then findings, stages and the details; each list in merged order.
    items: tuple[MergeItem, ...]

    @property
    def changed(self) -> tuple[MergeItem, ...]:
        """Items changed on either side: the ones the author is asked about."""
        return tuple(item for item in self.items if item.status != "unchanged")

    @property
    def conflicts(self) -> tuple[MergeItem, ...]:
        return tuple(item for item in self.items if item.conflict)

    @property
    def unchanged_count(self) -> int:
        return sum(1 for item in self.items if item.status == "unchanged")

    def defaults(self) -> dict[str, Side]:
        return {item.key: item.default for item in self.items if item.default is not None}


def three_way(base: dict[str, Any], mine: dict[str, Any], theirs: dict[str, Any]) -> Merge:
    """Compare each item of `mine` and `theirs` with `base` (all format-1 content)."""
    items: list[MergeItem] = []
    for kind in LISTS:
        by_side = [_by_id(_items(data, kind)) for data in (base, mine, theirs)]
        order = _order(list(by_side[2]), list(by_side[1]))
        order += [key for key in by_side[0] if key not in order]  # deleted on both sides
        for key in order:
            b, m, t = (side.get(key) for side in by_side)
            items.append(MergeItem(kind, key, b, m, t, _status(b, m, t)))
    b, m, t = (_details(data) for data in (base, mine, theirs))
    items.append(MergeItem(DETAILS, DETAILS, b, m, t, _status(b, m, t)))
    return Merge(tuple(items))


def apply(merge: Merge, choices: Mapping[str, str]) -> dict[str, Any]:
    """The merged content: each item as on the side chosen for it (`choices` maps
    `MergeItem.key` to "mine" or "theirs"; an item left out takes its default). A side on
    which the item is absent leaves it out. Raises MissingChoices if a conflict has no
    valid choice.

    Order of each list: the newest version's order, with items only the draft has
    inserted after the item before them in the draft (at the start if none is before
    them), so the draft's additions stay where the author put them."""
    missing = [
        item
        for item in merge.items
        if choices.get(item.key, item.default) not in SIDES
        or (item.conflict and item.key not in choices)
    ]
    if missing:
        raise MissingChoices(missing)
    chosen: dict[str, dict[str, Any] | None] = {}
    for item in merge.items:
        side: Side = "theirs" if choices.get(item.key, item.default) == "theirs" else "mine"
        chosen[item.key] = item.side(side)
    result: dict[str, Any] = dict(chosen.get(f"{DETAILS}:{DETAILS}") or {})
    for kind in LISTS:
        values = [chosen[item.key] for item in merge.items if item.kind == kind]
        result[kind] = [value for value in values if value is not None]
    return result


def _status(
    base: dict[str, Any] | None, mine: dict[str, Any] | None, theirs: dict[str, Any] | None
) -> Status:
    if mine == theirs:
        return "unchanged" if mine == base else "same_change"
    if base is None:  # added on one side, or on both with different content
        if mine is None:
            return "added_theirs"
        return "added_mine" if theirs is None else "conflict"
    if mine == base:
        return "deleted_theirs" if theirs is None else "changed_theirs"
    if theirs == base:
        return "deleted_mine" if mine is None else "changed_mine"
    return "conflict"  # changed differently, or deleted on one side and changed on the other


def _order(theirs: list[str], mine: list[str]) -> list[str]:
    """`theirs` with the ids only `mine` has, each after the id before it in `mine`."""
    result = list(theirs)
    for index, key in enumerate(mine):
        if key in result:
            continue
        before = next((k for k in reversed(mine[:index]) if k in result), None)
        result.insert(0 if before is None else result.index(before) + 1, key)
    return result


def _items(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    value = data.get(kind)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item_id(item, position): item for position, item in enumerate(items)}


def _details(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in LISTS}


def _render(item: dict[str, Any], kind: str) -> str:
    try:
        if kind == DETAILS:
            from ..banks import dump_bank

            return dump_bank(item).strip("\n").replace("\n\n", "\n")
        return render_item(item, kind)
    except Exception:  # unfinished draft content YAML cannot write: show its data
        return "\n".join(f"{name}: {value!r}" for name, value in item.items())


def _whole(
    item: dict[str, Any], kind: str, line_kind: Literal["added", "removed"]
) -> tuple[DiffLine, ...]:
    if kind == DETAILS:
        return tuple(DiffLine(line_kind, line) for line in _render(item, kind).split("\n"))
    return item_lines(item, kind, line_kind)
