"""What changed between two versions of a bank, told the way an author reads a bank file.

Pure: works on canonical bank data (`BankFile.to_data()`, as stored in
`BankVersion.content`), so it is unit-tested without an app. Questions, findings and
stages are matched by id, because the bank format promises ids stay the same across
versions when only the text is edited. An edited item is shown field by field, named as
the editor names them ("Question text", "Option 2 feedback"), with the words that changed
marked (`word_diff`); its line diff, between the item as the exported file writes it
(`dump_bank`), is kept for authors who edit the file itself.

Draft content may be incomplete, so nothing here assumes a key is present.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..banks import dump_bank
from ..banks.places import LABELS

LineKind = Literal["added", "removed", "same"]

#: What marks each kind of line on screen; screen readers are given the words instead.
MARKERS: dict[str, str] = {"added": "+", "removed": "\u2212", "same": " "}


@dataclass(frozen=True)
class DiffLine:
    kind: LineKind
    text: str

    @property
    def marker(self) -> str:
        return MARKERS[self.kind]


@dataclass(frozen=True)
class Words:
    """A run of words (with the spaces between them) of one kind."""

    kind: LineKind
    text: str


@dataclass(frozen=True)
class FieldEdit:
    """One changed field of an edited item, as an author reads it."""

    #: The field as the editor names it: "Question text", "Option 2", "Step 3 (new)".
    label: str
    #: The old value with the removed words marked (empty: the field is new).
    before: tuple[Words, ...]
    #: The new value with the added words marked (empty: the field is removed).
    after: tuple[Words, ...]
    #: "new" and "removed" for a whole option or step added or taken out.
    status: Literal["changed", "new", "removed"] = "changed"


@dataclass(frozen=True)
class ItemEdit:
    """A question, finding or stage present in both versions, with different content."""

    id: str
    old: dict[str, Any]
    new: dict[str, Any]
    #: Keys whose values differ ("prompt", "options"...), in the order the file writes them.
    fields: tuple[str, ...]
    #: The whole item, as in the exported file, with each line marked.
    lines: tuple[DiffLine, ...]
    #: Each changed field (each changed option or step on its own), in the file's order.
    changes: tuple[FieldEdit, ...] = ()


@dataclass(frozen=True)
class ListDiff:
    """Changes to one list of the bank (questions, findings or stages)."""

    #: In the new version's order.
    added: tuple[dict[str, Any], ...] = ()
    #: In the old version's order.
    removed: tuple[dict[str, Any], ...] = ()
    #: In the new version's order.
    edited: tuple[ItemEdit, ...] = ()
    #: True when items in both versions now come in a different order.
    reordered: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.edited or self.reordered)

    def phrase(self, noun: str) -> str:
        """ "3 questions edited, 1 added, 1 removed", or "" when nothing changed."""
        parts: list[str] = []
        for count, verb in (
            (len(self.edited), "edited"),
            (len(self.added), "added"),
            (len(self.removed), "removed"),
        ):
            if count and not parts:
                parts.append(f"{count} {noun if count == 1 else noun + 's'} {verb}")
            elif count:
                parts.append(f"{count} {verb}")
        if self.reordered:
            parts.append("order changed" if parts else f"{noun}s reordered")
        return ", ".join(parts)


@dataclass(frozen=True)
class FieldChange:
    """A changed detail of the bank (title, source...) or setting of its check."""

    #: The field's place in the file: "title", "source.url", "check.pass_mark".
    field: str
    label: str
    #: Values as shown to an author ("Unlimited", "80%", "Not given").
    old: str
    new: str
    #: A line diff for Markdown fields written over several lines; empty otherwise.
    lines: tuple[DiffLine, ...] = ()
    #: `old` with removed words marked, and `new` with added words marked.
    before: tuple[Words, ...] = ()
    after: tuple[Words, ...] = ()


@dataclass(frozen=True)
class VersionDiff:
    #: True when there is no earlier version to compare with.
    first: bool
    questions: ListDiff
    findings: ListDiff
    stages: ListDiff
    #: Title, summary, source and signposting.
    details: tuple[FieldChange, ...]
    #: Settings under `check:`.
    check: tuple[FieldChange, ...]
    #: Any other top-level keys that differ (none in format 1; kept so no change hides).
    other: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.first or bool(
            self.questions.changed
            or self.findings.changed
            or self.stages.changed
            or self.details
            or self.check
            or self.other
        )

    def summary(self) -> str:
        """One line for a history table: "3 questions edited, 1 added; details changed"."""
        if self.first:
            return "First version"
        parts = [
            self.questions.phrase("question"),
            self.findings.phrase("finding"),
            self.stages.phrase("stage"),
            "details changed" if self.details else "",
            "check settings changed" if self.check else "",
            "other changes" if self.other else "",
        ]
        text = "; ".join(part for part in parts if part)
        return text[:1].upper() + text[1:] if text else "No changes"


def _as_text(value: Any) -> str:
    return "Not given" if value is None else str(value)


def _yes_no(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return _as_text(value)


def _unlimited(value: Any) -> str:
    return "Unlimited" if value is None else str(value)


def _suffix(suffix: str) -> Callable[[Any], str]:
    return lambda value: "Not given" if value is None else f"{value}{suffix}"


#: (path in the file, label, how to show a value, Markdown over several lines?)
_DETAILS: tuple[tuple[tuple[str, ...], str, Callable[[Any], str], bool], ...] = (
    (("title",), "Title", _as_text, False),
    (("summary",), "Summary", _as_text, True),
    (("source", "publisher"), "Source publisher", _as_text, False),
    (("source", "title"), "Source title", _as_text, False),
    (("source", "url"), "Source web address", _as_text, False),
    (("signposting",), "Signposting", _as_text, True),
)
_CHECK: tuple[tuple[tuple[str, ...], str, Callable[[Any], str], bool], ...] = (
    (("check", "pass_mark"), "Pass mark", _suffix("%"), False),
    (("check", "certainty"), "Ask \u201cHow sure are you?\u201d", _yes_no, False),
    (("check", "attempts"), "Attempts allowed", _unlimited, False),
    (("check", "refresh_months"), "Refresh after", _suffix(" months"), False),
)
_COVERED = {"format", "id", "title", "summary", "source", "signposting", "check"}
_LISTS = ("questions", "findings", "stages")


def diff_versions(old: dict[str, Any] | None, new: dict[str, Any]) -> VersionDiff:
    """What `new` changes compared with `old` (None: `new` is the first version)."""
    if old is None:
        return VersionDiff(
            first=True,
            questions=ListDiff(added=tuple(_items(new, "questions"))),
            findings=ListDiff(added=tuple(_items(new, "findings"))),
            stages=ListDiff(added=tuple(_items(new, "stages"))),
            details=(),
            check=(),
        )
    other = tuple(
        key
        for key in dict.fromkeys([*new, *old])
        if key not in _COVERED and key not in _LISTS and old.get(key) != new.get(key)
    )
    return VersionDiff(
        first=False,
        questions=diff_lists(_items(old, "questions"), _items(new, "questions"), "questions"),
        findings=diff_lists(_items(old, "findings"), _items(new, "findings"), "findings"),
        stages=diff_lists(_items(old, "stages"), _items(new, "stages"), "stages"),
        details=_field_changes(old, new, _DETAILS),
        check=_field_changes(old, new, _CHECK),
        other=other,
    )


def diff_lists(
    old: list[dict[str, Any]], new: list[dict[str, Any]], kind: str = "questions"
) -> ListDiff:
    """Items matched by id; `kind` is the list's key in the file ("questions"...)."""
    old_by_id = {item_id(item, i): item for i, item in enumerate(old)}
    new_by_id = {item_id(item, i): item for i, item in enumerate(new)}
    edited = tuple(
        _edit(key, old_by_id[key], item, kind)
        for key, item in new_by_id.items()
        if key in old_by_id and old_by_id[key] != item
    )
    kept_old_order = [key for key in old_by_id if key in new_by_id]
    kept_new_order = [key for key in new_by_id if key in old_by_id]
    return ListDiff(
        added=tuple(item for key, item in new_by_id.items() if key not in old_by_id),
        removed=tuple(item for key, item in old_by_id.items() if key not in new_by_id),
        edited=edited,
        reordered=kept_old_order != kept_new_order,
    )


def item_id(item: dict[str, Any], position: int) -> str:
    """The item's id; an item of an unfinished draft without one is known by position."""
    value = item.get("id") if isinstance(item, dict) else None
    return value if isinstance(value, str) and value else f"(item {position + 1})"


def render_item(item: dict[str, Any], kind: str = "questions") -> str:
    """The item as the exported bank file writes it, without the list's indentation."""
    text = dump_bank({kind: [item]})
    lines = text.rstrip("\n").split("\n")[1:]  # drop "questions:"
    # Every line is indented 4 (the first starts "  - "): remove both.
    return "\n".join(line[4:] for line in lines)


def line_diff(old_text: str, new_text: str) -> tuple[DiffLine, ...]:
    """Every line of both texts, each marked added, removed or the same."""
    old_lines = old_text.split("\n")
    new_lines = new_text.split("\n")
    if old_lines == new_lines:
        return tuple(DiffLine("same", line) for line in new_lines)
    context = max(len(old_lines), len(new_lines))
    result = []
    diff = difflib.unified_diff(old_lines, new_lines, lineterm="", n=context)
    for line in list(diff)[2:]:  # "--- " and "+++ " headers
        if line.startswith("@@"):
            continue
        kind: LineKind = {"+": "added", "-": "removed"}.get(line[:1], "same")  # type: ignore[assignment]
        result.append(DiffLine(kind, line[1:]))
    return tuple(result)


def _items(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _edit(key: str, old: dict[str, Any], new: dict[str, Any], kind: str) -> ItemEdit:
    fields = tuple(name for name in dict.fromkeys([*new, *old]) if old.get(name) != new.get(name))
    lines = line_diff(_render_safely(old, kind), _render_safely(new, kind))
    changes = tuple(
        change for name in fields for change in field_edits(name, old.get(name), new.get(name))
    )
    return ItemEdit(id=key, old=old, new=new, fields=fields, lines=lines, changes=changes)


# Word-level changes ------------------------------------------------------------------------

_TOKENS = re.compile(r"\s+|\w+|[^\w\s]+")

#: Labels of an item's fields where the editor's words differ from places.LABELS.
_FIELD_LABELS: dict[str, str] = {
    "text": "text",
    "answer": "right answer",
    "shuffle": "shuffle the options",
}
#: Option keys after "Option 2": the text is the option itself.
_OPTION_PARTS: dict[str, str] = {"text": "", "feedback": " feedback"}


def word_diff(old: str, new: str) -> tuple[tuple[Words, ...], tuple[Words, ...]]:
    """`old` with the removed words marked, and `new` with the added words marked.

    Words are compared whole (a changed letter marks its word), spaces kept as written."""
    old_tokens, new_tokens = _TOKENS.findall(old), _TOKENS.findall(new)
    before: list[Words] = []
    after: list[Words] = []
    matcher = difflib.SequenceMatcher(None, old_tokens, new_tokens, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            _append(before, "same", old_tokens[i1:i2])
            _append(after, "same", new_tokens[j1:j2])
        else:
            _append(before, "removed", old_tokens[i1:i2])
            _append(after, "added", new_tokens[j1:j2])
    return tuple(before), tuple(after)


def _append(runs: list[Words], kind: LineKind, tokens: Sequence[str]) -> None:
    """Add tokens to the runs; a space alone between two changes joins them."""
    if not tokens:
        return
    text = "".join(tokens)
    if runs and runs[-1].kind == kind:
        runs[-1] = Words(kind, runs[-1].text + text)
    elif (
        kind != "same"
        and len(runs) >= 2
        and runs[-2].kind == kind
        and runs[-1].kind == "same"
        and not runs[-1].text.strip()
    ):
        runs[-2:] = [Words(kind, runs[-2].text + runs[-1].text + text)]
    else:
        runs.append(Words(kind, text))


def field_edits(name: str, old: Any, new: Any) -> Iterator[FieldEdit]:
    """The changes to one field of an item, in an author's words: options and steps one
    by one ("Option 2", "Step 3 (new)"), a list of ids (findings) as the names in it."""
    if name == "options" and _all_dicts(old) and _all_dicts(new):
        for old_index, new_index in _paired(old or [], new or []):
            yield from _option_edits(old or [], new or [], old_index, new_index)
    elif name == "items" and isinstance(old or [], list) and isinstance(new or [], list):
        for old_index, new_index in _paired(old or [], new or []):
            number = (new_index if new_index is not None else old_index or 0) + 1
            yield _change(
                f"Step {number}{_suffix_of(old_index, new_index)}",
                None if old_index is None else old[old_index],
                None if new_index is None else new[new_index],
                status=_status(old_index, new_index),
            )
    else:
        yield _change(_field_label(name), old, new, answer=name == "answer")


def _option_edits(
    old: list[dict[str, Any]],
    new: list[dict[str, Any]],
    old_index: int | None,
    new_index: int | None,
) -> Iterator[FieldEdit]:
    number = (new_index if new_index is not None else old_index or 0) + 1
    before = {} if old_index is None else old[old_index]
    after = {} if new_index is None else new[new_index]
    status = _status(old_index, new_index)
    for key in dict.fromkeys([*after, *before]):
        if before.get(key) == after.get(key) and status == "changed":
            continue
        part = _OPTION_PARTS.get(key)
        label = f"Option {number}" + (part if part is not None else f", {_lower_label(key)}")
        yield _change(
            label + _suffix_of(old_index, new_index),
            before.get(key),
            after.get(key),
            status=status,
        )


def _status(old_index: int | None, new_index: int | None) -> Literal["changed", "new", "removed"]:
    return "new" if old_index is None else "removed" if new_index is None else "changed"


def _suffix_of(old_index: int | None, new_index: int | None) -> str:
    status = _status(old_index, new_index)
    return "" if status == "changed" else f" ({status})"


def _paired(old: list[Any], new: list[Any]) -> Iterator[tuple[int | None, int | None]]:
    """Entries of two lists that differ, paired by position within each changed run:
    (old index, new index), None where an entry is only in one list."""
    matcher = difflib.SequenceMatcher(
        None, [_key(x) for x in old], [_key(x) for x in new], autojunk=False
    )
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        olds, news = list(range(i1, i2)), list(range(j1, j2))
        for index in range(max(len(olds), len(news))):
            yield (
                olds[index] if index < len(olds) else None,
                news[index] if index < len(news) else None,
            )


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _all_dicts(value: Any) -> bool:
    return value is None or (
        isinstance(value, list) and all(isinstance(item, dict) for item in value)
    )


def _lower_label(name: str) -> str:
    return _FIELD_LABELS.get(name) or LABELS.get(name, name)


def _field_label(name: str) -> str:
    label = _lower_label(name)
    return label[:1].upper() + label[1:]


def _shown(value: Any, *, answer: bool = False) -> str:
    if isinstance(value, bool):
        return ("True" if value else "False") if answer else ("Yes" if value else "No")
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value) or "None"
    return "" if value is None else str(value)


def _change(
    label: str,
    old: Any,
    new: Any,
    *,
    answer: bool = False,
    status: Literal["changed", "new", "removed"] = "changed",
) -> FieldEdit:
    before, after = word_diff(_shown(old, answer=answer), _shown(new, answer=answer))
    return FieldEdit(label, before, after, status)


def item_lines(item: dict[str, Any], kind: str, line_kind: LineKind) -> tuple[DiffLine, ...]:
    """A whole added (or removed) item as file lines, every one of `line_kind`."""
    return tuple(DiffLine(line_kind, line) for line in _render_safely(item, kind).split("\n"))


def _render_safely(item: dict[str, Any], kind: str) -> str:
    try:
        return render_item(item, kind)
    except Exception:  # an unfinished draft item YAML cannot write: show its data
        return "\n".join(f"{name}: {value!r}" for name, value in item.items())


def _get(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = data
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _field_changes(
    old: dict[str, Any],
    new: dict[str, Any],
    fields: tuple[tuple[tuple[str, ...], str, Callable[[Any], str], bool], ...],
) -> tuple[FieldChange, ...]:
    changes = []
    for path, label, show, markdown in fields:
        before, after = _get(old, path), _get(new, path)
        if before == after:
            continue
        lines = line_diff(_as_text(before), _as_text(after)) if markdown else ()
        old_words, new_words = word_diff(show(before), show(after))
        changes.append(
            FieldChange(
                ".".join(path), label, show(before), show(after), lines, old_words, new_words
            )
        )
    return tuple(changes)
