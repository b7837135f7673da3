"""Single choice: one right option among plausible alternatives."""

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
    one_value,
    option_feedback,
    option_presentation,
    option_rules,
    shown_order,
)


class SingleChoice(QuestionType):
    name = "single"
    label = "Single choice"
    spec_model = ChoiceSpec

    def validate(self, spec: Spec) -> list[tuple[str, str]]:
        return option_rules(spec, single=True)

    def parse_answer(self, spec: Spec, form: FormData, arrangement: Arrangement) -> int:
        value = one_value(form, "answer", "Select an answer")
        index = chosen_option(value, spec, arrangement)
        if index is None:
            raise AnswerError("Select one of the options")
        return index

    def score(self, spec: Spec, answer: Answer) -> float:
        index = check_index(answer, len(spec["options"]))
        return 1.0 if spec["options"][index]["correct"] else 0.0

    def answer_text(self, spec: Spec, answer: Answer | None) -> str:
        if answer is None:
            return NOT_ANSWERED
        return str(spec["options"][check_index(answer, len(spec["options"]))]["text"])

    def correct_answer_text(self, spec: Spec) -> str:
        return next(str(option["text"]) for option in spec["options"] if option["correct"])

    def feedback(
        self, spec: Spec, answer: Answer, arrangement: Arrangement | None = None
    ) -> list[OptionFeedback]:
        order = shown_order(spec, arrangement) if arrangement else None
        return option_feedback(spec, {check_index(answer, len(spec["options"]))}, order)

    def presentation(self, spec: Spec, arrangement: Arrangement) -> dict[str, Any]:
        return option_presentation(spec, arrangement)
