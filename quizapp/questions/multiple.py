"""Multiple choice: every right option must be found, and wrong ones cost marks.

Marking: each right option chosen earns 1/k (k right options), each wrong option chosen
loses 1/m (m wrong options), floored at 0. Choosing everything therefore scores 0, so
the only way to full marks is to tell right from wrong, which is what is being checked.
"""

from __future__ import annotations

from typing import Any

from .base import (
    NOT_ANSWERED,
    Answer,
    AnswerError,
    Arrangement,
    ChoiceSpec,
    FormData,
    OptionFeedback,
    QuestionType,
    Spec,
    check_index,
    chosen_option,
    form_values,
    option_feedback,
    option_presentation,
    option_rules,
    shown_order,
)


def _chosen(spec: Spec, answer: Answer) -> list[int]:
    if not isinstance(answer, list) or not answer:
        raise ValueError(f"answer {answer!r} is not a non-empty list of option indexes")
    count = len(spec["options"])
    return sorted({check_index(index, count) for index in answer})


class MultipleChoice(QuestionType):
    name = "multiple"
    label = "Multiple choice"
    spec_model = ChoiceSpec

    def validate(self, spec: Spec) -> list[tuple[str, str]]:
        return option_rules(spec, single=False)

    def parse_answer(self, spec: Spec, form: FormData, arrangement: Arrangement) -> list[int]:
        values = form_values(form, "answer")
        if not values:
            raise AnswerError("Select at least one option")
        indexes = {chosen_option(value, spec, arrangement) for value in values}
        if None in indexes:
            raise AnswerError("Select options from the list")
        return sorted(index for index in indexes if index is not None)

    def score(self, spec: Spec, answer: Answer) -> float:
        options = spec["options"]
        chosen = _chosen(spec, answer)
        right = sum(1 for option in options if option["correct"])
        wrong = len(options) - right
        right_chosen = sum(1 for index in chosen if options[index]["correct"])
        wrong_chosen = len(chosen) - right_chosen
        fraction = right_chosen / right - (wrong_chosen / wrong if wrong else 0.0)
        return min(1.0, max(0.0, fraction))

    def answer_text(self, spec: Spec, answer: Answer | None) -> str:
        if answer is None:
            return NOT_ANSWERED
        return "; ".join(spec["options"][index]["text"] for index in _chosen(spec, answer))

    def correct_answer_text(self, spec: Spec) -> str:
        return "; ".join(option["text"] for option in spec["options"] if option["correct"])

    def feedback(
        self, spec: Spec, answer: Answer, arrangement: Arrangement | None = None
    ) -> list[OptionFeedback]:
        order = shown_order(spec, arrangement) if arrangement else None
        return option_feedback(spec, set(_chosen(spec, answer)), order)

    def presentation(self, spec: Spec, arrangement: Arrangement) -> dict[str, Any]:
        return option_presentation(spec, arrangement)
