"""Ordering: put the steps of a process (escalation, a referral) in the right order.

Items are written in the right order, so item i is correct at position i + 1. Marking
gives credit for each pair of neighbours kept together and in order (i directly before
i + 1), as a share of the n - 1 such pairs: one step misplaced costs a little, not all,
and a reversed list scores 0.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from .base import (
    NOT_ANSWERED,
    Answer,
    AnswerError,
    Arrangement,
    FormData,
    PlainText,
    QuestionType,
    Spec,
    SpecModel,
    duplicate_texts,
    form_values,
    parse_index,
)


def _field(arrangement: Arrangement, index: int) -> str:
    """Layout 1 named the field after the item's right place; since then it is opaque."""
    return f"position-{arrangement.value(index)}"


def _numbered(items: list[str], order: list[int]) -> str:
    return "; ".join(f"{place}. {items[index]}" for place, index in enumerate(order, start=1))


def _order(spec: Spec, answer: object) -> list[int]:
    count = len(spec["items"])
    if not isinstance(answer, list) or sorted(answer) != list(range(count)):
        raise ValueError(f"answer {answer!r} is not an ordering of {count} items")
    return answer


class OrderingSpec(SpecModel):
    #: In the right order.
    items: list[PlainText] = Field(min_length=2)


class Ordering(QuestionType):
    name = "ordering"
    label = "Put in order"
    spec_model = OrderingSpec

    def validate(self, spec: Spec) -> list[tuple[str, str]]:
        return duplicate_texts(spec["items"], "items[{}]")

    def parse_answer(self, spec: Spec, form: FormData, arrangement: Arrangement) -> list[int]:
        count = len(spec["items"])
        placed: dict[int, int] = {}
        for index in range(count):
            values = form_values(form, _field(arrangement, index))
            if not values:
                raise AnswerError("Give each item a position")
            # Positions are 1..n on the page; parse_index wants 0..n-1.
            position = parse_index(values[0].strip(), count + 1)
            if len(values) > 1 or not position:
                raise AnswerError(f"Give each item a position from 1 to {count}")
            if position in placed:
                raise AnswerError("Give each item a different position")
            placed[position] = index
        return [placed[position] for position in sorted(placed)]

    def score(self, spec: Spec, answer: Answer) -> float:
        order = _order(spec, answer)
        place = {index: position for position, index in enumerate(order)}
        kept = sum(1 for index in range(len(order) - 1) if place[index + 1] == place[index] + 1)
        return kept / (len(order) - 1)

    def answer_text(self, spec: Spec, answer: Answer | None) -> str:
        return NOT_ANSWERED if answer is None else _numbered(spec["items"], _order(spec, answer))

    def correct_answer_text(self, spec: Spec) -> str:
        return _numbered(spec["items"], list(range(len(spec["items"]))))

    def presentation(self, spec: Spec, arrangement: Arrangement) -> dict[str, Any]:
        """Shuffled the same way on every view; never already in the right order, which
        would give the answer away."""
        items = spec["items"]
        return {
            "items": [
                {"index": index, "text": items[index], "field": _field(arrangement, index)}
                for index in arrangement.item_order(len(items))
            ],
            "positions": list(range(1, len(items) + 1)),
        }
