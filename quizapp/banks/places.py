"""Places in a bank told in an author's words: "Question 3, option 2, text".

The loader names places as paths into the file ("questions[2].options[1].text"), which
count from 0 and use the file's keys; that suits the command line and people editing the
YAML. Pages name the same places counting from 1, with the labels the editor uses. Pure:
no Flask, so it is unit-tested on its own.
"""

from __future__ import annotations

import re
from typing import Any

#: A path's parts: a key with any indexes after it ("options[1]"), or an index alone.
_PART = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)?((?:\[\d+\])*)$")
_INDEX = re.compile(r"\[(\d+)\]")

#: The bank's lists, and what one entry is called ("Part 2 of the story").
_LIST_ENTRIES: dict[str, str] = {
    "questions": "Question {n}",
    "findings": "Finding {n}",
    "stages": "Part {n} of the story",
}
#: Lists inside an item, and what one entry is called.
_INNER_ENTRIES: dict[str, str] = {
    "options": "option {n}",
    "items": "step {n}",
    "findings": "finding {n}",
    # A branching scenario's parts.
    "nodes": "node {n}",
    "alternatives": "alternative {n}",
    "requires": "condition {n}",
}
#: Inner lists whose entries have ids worth naming: "node 3 (chair-proposes)".
_NAMED_ENTRIES = ("nodes", "alternatives")

#: Keys as the editor labels them; a key not here is shown as written in the file.
LABELS: dict[str, str] = {
    "prompt": "question text",
    "feedback": "feedback",
    "feedback_true": "feedback when answered true",
    "feedback_false": "feedback when answered false",
    "hint": "hint",
    "options": "options",
    "items": "steps",
    "correct": "right answer",
    "answer": "answer",
    "points": "points",
    "pool": "pool",
    "stage": "part of the story",
    "findings": "findings",
    "title": "title",
    "summary": "summary",
    "narrative": "narrative",
    "text": "text",
    "confidence": "confidence phrasing",
    "kind": "kind",
    "id": "id",
    "type": "question type",
    "fixed": "keep in place",
    "shuffle": "option order",
    "source": "source",
    "publisher": "publisher",
    "url": "web address",
    "signposting": "where to get advice",
    "check": "check settings",
    "pass_mark": "pass mark",
    "certainty": "\u201chow sure are you?\u201d",
    "attempts": "attempts allowed",
    "refresh_months": "refresh after",
    "after_fail": "after a fail",
    "scenario_back": "going back in scenarios",
    "cpd_minutes": "CPD minutes",
    "participatory": "participatory learning",
    "ask_confidence": "asking how confident",
    "ask_reaction": "questions about the check",
    "follow_up_weeks": "follow-up after a pass",
    "format": "format version",
    "start": "first node",
    "nodes": "nodes",
    "alternatives": "alternatives",
    "next": "next node",
    "requires": "conditions",
    "otherwise": "otherwise go to",
    "outcome": "outcome",
}


def plain_place(path: str, data: dict[str, Any] | None = None, *, inside: bool = False) -> str:
    """ "questions[2].options[1].text" -> "Question 3, option 2, text".

    With the bank's `data`, a question, finding or part of the story with an id is named
    by it too: "Question 3 (q-refer-early), option 2, text". `inside`: the path is within
    one item, as the editor's are ("options[1].text" -> "Option 2, text"). A path this
    can't read comes back as it is, so no place is ever lost."""
    if path == "(file)":
        return "The file"
    if not path:
        return path
    words: list[str] = []
    #: The part of `data` the path has reached, to name entries by their ids.
    item: Any = data
    for position, part in enumerate(path.split(".")):
        match = _PART.match(part)
        if match is None:
            return path
        key, indexes = match.group(1), [int(i) for i in _INDEX.findall(match.group(2))]
        if key is None and (position == 0 or not indexes):
            return path
        entries = _LIST_ENTRIES if position == 0 and not inside else _INNER_ENTRIES
        if key in entries and indexes:
            words.append(entries[key].format(n=indexes[0] + 1))
            if entries is _LIST_ENTRIES or key in _NAMED_ENTRIES:
                words[-1] += _id_of(item, key, indexes[0])
            item = _entry(item, key, indexes[0])
            if key == "questions" and isinstance(item, dict) and item.get("type") == "scenario":
                words[-1] = "Scenario" + words[-1].removeprefix("Question")
            indexes = indexes[1:]
        elif key is not None:
            words.append(LABELS.get(key, key))
            item = item.get(key) if isinstance(item, dict) else None
        words += [f"entry {index + 1}" for index in indexes]
    text = ", ".join(words)
    return text[:1].upper() + text[1:]


def _entry(data: Any, key: str, index: int) -> Any:
    items = data.get(key) if isinstance(data, dict) else None
    return items[index] if isinstance(items, list) and 0 <= index < len(items) else None


def _id_of(data: Any, key: str, index: int) -> str:
    entry = _entry(data, key, index)
    item_id = entry.get("id") if isinstance(entry, dict) else None
    return f" ({item_id})" if isinstance(item_id, str) and item_id else ""


_IN_MESSAGE = re.compile(r"\b(questions|findings|stages)\[(\d+)\]")


#: An option or step a message names ("repeats options[0].text"), as the editor names it.
_INNER_IN_MESSAGE = re.compile(r"\b(options|items)\[(\d+)\](?:\.text)?")


def plain_message(message: str) -> str:
    """A loader message with the places it names made plain: "must have the same points
    as questions[0] ('q-a')" -> "must have the same points as question 1 ('q-a')", and
    "repeats options[0].text" -> "repeats option 1"."""
    message = _INNER_IN_MESSAGE.sub(
        lambda match: _INNER_ENTRIES[match.group(1)].format(n=int(match.group(2)) + 1), message
    )
    return _IN_MESSAGE.sub(_entry_in_sentence, message)


def _entry_in_sentence(match: re.Match[str]) -> str:
    name = _LIST_ENTRIES[match.group(1)].format(n=int(match.group(2)) + 1)
    return name[:1].lower() + name[1:]


def plain_error(path: str, message: str, data: dict[str, Any] | None = None) -> str:
    """ "Question 3, option 2, text: enter the option text"."""
    return f"{plain_place(path, data)}: {plain_message(message)}"
