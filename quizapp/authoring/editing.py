"""Editing a draft bank's content: pure functions on format-1 data (no Flask).

A draft is the bank's content as a dict, exactly what a bank file holds. Every change is
checked by the same loader as files are, so the browser and the command line agree.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from ..banks import BankError, dump_bank, load_bank_text
from ..questions import QUESTION_TYPES

DRAFT_FILENAME = "draft"
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def validate(data: dict[str, Any]) -> list[BankError]:
    """Every problem the bank file validator would report for this content."""
    try:
        text = dump_bank(data)
    except Exception as error:
        return [BankError(DRAFT_FILENAME, 1, "(file)", f"cannot be written as a bank: {error}")]
    return load_bank_text(text, DRAFT_FILENAME).errors


def under(errors: Iterable[BankError], prefix: str) -> list[BankError]:
    """Errors at `prefix` or inside it, e.g. prefix "questions[2]"."""
    return [
        error
        for error in errors
        if error.path == prefix or error.path.startswith((prefix + ".", prefix + "["))
    ]


def relative_path(error: BankError, prefix: str) -> str:
    """ "questions[2].options[1].text" relative to "questions[2]" is "options[1].text"."""
    return error.path[len(prefix) :].lstrip(".")


def slug(text: str, *, limit: int = 60) -> str:
    words = _NOT_SLUG.sub("-", text.casefold()).strip("-")
    return words[:limit].rstrip("-") or "item"


def unique_id(text: str, taken: Iterable[str], *, prefix: str = "") -> str:
    """A readable id from `text`, not among `taken`: "multi-agency-meetings-2"."""
    base = slug(f"{prefix} {text}" if prefix else text)
    existing = set(taken)
    candidate, number = base, 2
    while candidate in existing:
        candidate = f"{base}-{number}"
        number += 1
    return candidate


def question_id(prompt: str, taken: Iterable[str], *, words: int = 5, limit: int = 40) -> str:
    """A short id from the first words of a question ("q-a-strategy-discussion-can-include"),
    cut at a word boundary so no word is half kept, and not among `taken`."""
    chosen: list[str] = []
    text = re.sub(r"['\u2019]", "", prompt)  # "children's", not "children-s"
    for word in slug(text, limit=len(text) + 1).split("-")[:words]:
        if len("-".join(["q", *chosen, word])) > limit:
            break
        chosen.append(word)
    base = "-".join(["q", *chosen]) if chosen else slug(f"q {prompt}", limit=limit)
    return unique_id(base, taken)


#: The types a question can be changed to in the editor: only where every field carries
#: over (a true/false statement becomes a single choice between "True" and "False").
TYPE_CHANGES: dict[str, tuple[str, ...]] = {
    "single": ("multiple",),
    "multiple": ("single",),
    "true_false": ("single",),
}


def change_type(question: dict[str, Any], kind: str) -> dict[str, Any]:
    """The question as type `kind`, losing nothing. A single choice made from a multiple
    choice keeps every right option: the validator then asks the author to leave one."""
    if kind not in TYPE_CHANGES.get(question.get("type", ""), ()):
        raise ValueError(f"a {question.get('type')} question can't become {kind}")
    changed = {**copy.deepcopy(question), "type": kind}
    if question["type"] == "true_false":
        answer = question.get("answer") is True
        changed["options"] = [
            {"text": "True", "correct": answer, "feedback": question.get("feedback_true", "")},
            {
                "text": "False",
                "correct": not answer,
                "feedback": question.get("feedback_false", ""),
            },
        ]
        changed["shuffle"] = False  # "True" then "False", as on a true/false page
        for name in ("answer", "feedback_true", "feedback_false"):
            changed.pop(name, None)
    return changed


def starter_scenario() -> dict[str, Any]:
    """The graph a new branching scenario starts with: one decision, two endings (one
    alternative worth a point, so the scenario can be saved as it is, then rewritten)."""
    return {
        "start": "first-decision",
        "nodes": [
            {
                "id": "first-decision",
                "kind": "decision",
                "text": "Describe the situation, then ask: what do you do?",
                "alternatives": [
                    {
                        "id": "act",
                        "text": "Act on the concern",
                        "next": "concern-acted-on",
                        "points": 1,
                        "feedback": "Say why this helps the child.",
                    },
                    {
                        "id": "wait",
                        "text": "Wait and see",
                        "next": "concern-missed",
                        "points": 0,
                        "feedback": "Say what waiting risks.",
                    },
                ],
            },
            {
                "id": "concern-acted-on",
                "kind": "ending",
                "title": "The concern is acted on",
                "text": "Describe what happens next.",
                "outcome": "protected",
            },
            {
                "id": "concern-missed",
                "kind": "ending",
                "title": "The concern is missed",
                "text": "Describe what happens next.",
                "outcome": "risk-missed",
            },
        ],
    }


def index_of(items: list[dict[str, Any]], item_id: str) -> int | None:
    for index, item in enumerate(items):
        if item.get("id") == item_id:
            return index
    return None


def copy_of(data: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(data)


def move(items: list[Any], index: int, delta: int) -> bool:
    """Move an item up (-1) or down (+1); False when it is already at that end."""
    target = index + delta
    if not 0 <= target < len(items):
        return False
    items[index], items[target] = items[target], items[index]
    return True


def questions_testing(data: dict[str, Any], finding_id: str) -> list[str]:
    return [q["id"] for q in data["questions"] if finding_id in q.get("findings", [])]


def questions_in(data: dict[str, Any], stage_id: str) -> list[str]:
    return [q["id"] for q in data["questions"] if q.get("stage") == stage_id]


def in_story_order(data: dict[str, Any]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Stages with their questions, in the order a practitioner meets them."""
    return [
        (stage, [q for q in data["questions"] if q.get("stage") == stage["id"]])
        for stage in data["stages"]
    ]


# Pools: questions sharing a `pool` id are variants; each attempt shows one of them.


def pools(data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each pool's questions in file order, pools in the order of their first question."""
    found: dict[str, list[dict[str, Any]]] = {}
    for question in data["questions"]:
        if isinstance(question.get("pool"), str):
            found.setdefault(question["pool"], []).append(question)
    return found


def new_pool_id(data: dict[str, Any], first_question_id: str) -> str:
    """A pool id from the id of its first question ("q-refer-early" gives "refer-early")."""
    base = first_question_id.removeprefix("q-") or "pool"
    return unique_id(slug(base, limit=40), pools(data))


def leave_lonely_pools(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Take the pool off any question left alone in it (a pool needs two variants).
    Returns (question id, pool id) for each, so the author can be told."""
    left = []
    for pool, members in pools(data).items():
        if len(members) == 1:
            del members[0]["pool"]
            left.append((members[0]["id"], pool))
    return left


def practitioner_counts(data: dict[str, Any]) -> tuple[int, int, int]:
    """(questions, reflections) in each attempt, and how many questions are written:
    a pool shows one of its variants."""
    seen: set[str] = set()
    scored = reflections = 0
    for question in data["questions"]:
        pool = question.get("pool")
        if isinstance(pool, str):
            if pool in seen:
                continue
            seen.add(pool)
        kind = QUESTION_TYPES.get(str(question.get("type")))
        if kind is not None and not kind.scored:
            reflections += 1
        else:
            scored += 1
    return scored, reflections, len(data["questions"])
