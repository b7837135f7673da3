"""Reflection: free text for the practitioner's own practice; never marked.

Reflection answers are kept for the practitioner (and, where the check says so, their
lead); the question's general feedback gives points to consider afterwards.
"""

from __future__ import annotations

from typing import Any

from .base import (
    MAX_TEXT_ANSWER,
    NOT_ANSWERED,
    Answer,
    AnswerError,
    Arrangement,
    FormData,
    QuestionType,
    Spec,
    SpecModel,
)


class ReflectionSpec(SpecModel):
    """No fields of its own: prompt, hint and feedback are common to every type."""


class Reflection(QuestionType):
    name = "reflection"
    label = "Reflection"
    scored = False
    spec_model = ReflectionSpec

    def parse_answer(self, spec: Spec, form: FormData, arrangement: Arrangement) -> str:
        values = [value for value in form.getlist("answer") if isinstance(value, str)]
        if len(values) > 1:
            raise AnswerError("Enter your answer in one box")
        # Browsers send CRLF; NUL cannot be stored in PostgreSQL text and is never typed.
        text = (values[0] if values else "").replace("\r\n", "\n").replace("\x00", "").strip()
        if len(text) > MAX_TEXT_ANSWER:
            raise AnswerError(f"Your answer must be {MAX_TEXT_ANSWER:,} characters or fewer")
        return text

    def score(self, spec: Spec, answer: Answer) -> float:
        """Raises TypeError: callers check `scored` first, so reaching here is a bug."""
        raise TypeError("reflection questions are not scored")

    def answer_text(self, spec: Spec, answer: Answer | None) -> str:
        return answer if isinstance(answer, str) and answer.strip() else NOT_ANSWERED

    def correct_answer_text(self, spec: Spec) -> None:
        return None

    def presentation(self, spec: Spec, arrangement: Arrangement) -> dict[str, Any]:
        return {"max_length": MAX_TEXT_ANSWER}
