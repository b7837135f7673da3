"""True or false: a statement from the review that practitioners often get wrong."""

from __future__ import annotations

from typing import Any

from .base import (
    NOT_ANSWERED,
    Answer,
    AnswerError,
    Arrangement,
    FormData,
    Markdown,
    OptionFeedback,
    QuestionType,
    Spec,
    SpecModel,
    one_value,
)

_VALUES = {"true": True, "false": False}


def _label(value: bool) -> str:
    return "True" if value else "False"


def _checked(answer: object) -> bool:
    if not isinstance(answer, bool):
        raise ValueError(f"answer {answer!r} is not true or false")
    return answer


class TrueFalseSpec(SpecModel):
    answer: bool
    #: Shown to whoever answered "true", right or wrong: each answer has its own reasoning.
    feedback_true: Markdown
    feedback_false: Markdown


class TrueFalse(QuestionType):
    name = "true_false"
    label = "True or false"
    spec_model = TrueFalseSpec

    def parse_answer(self, spec: Spec, form: FormData, arrangement: Arrangement) -> bool:
        value = one_value(form, "answer", "Select true or false")
        if value not in _VALUES:
            raise AnswerError("Select true or false")
        return _VALUES[value]

    def score(self, spec: Spec, answer: Answer) -> float:
        return 1.0 if _checked(answer) == spec["answer"] else 0.0

    def answer_text(self, spec: Spec, answer: Answer | None) -> str:
        return NOT_ANSWERED if answer is None else _label(_checked(answer))

    def correct_answer_text(self, spec: Spec) -> str:
        return _label(spec["answer"])

    def feedback(
        self, spec: Spec, answer: Answer, arrangement: Arrangement | None = None
    ) -> list[OptionFeedback]:
        given = _checked(answer)
        return [
            OptionFeedback(
                text=_label(given),
                chosen=True,
                correct=given == spec["answer"],
                feedback=spec["feedback_true" if given else "feedback_false"],
            )
        ]

    def presentation(self, spec: Spec, arrangement: Arrangement) -> dict[str, Any]:
        return {
            "options": [
                {"index": 0, "value": "true", "text": "True"},
                {"index": 1, "value": "false", "text": "False"},
            ]
        }
