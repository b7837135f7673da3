"""What a practitioner sees after submitting: figures, then feedback on every question."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..models import Attempt, Finding, Question, Response
from ..questions import get_type
from ..scoring import CERTAINTY_LABELS, AttemptScore, confidence_sentence
from . import operations


@dataclass(frozen=True)
class QuestionResult:
    number: int
    question: Question
    response: Response | None
    scored: bool
    outcome: str  # "correct", "partly correct", "incorrect", or "reflection"
    answer_text: str
    correct_answer_text: str | None
    answer_feedback: Any
    findings: list[Finding]
    certainty_label: str | None


@dataclass(frozen=True)
class AttemptResult:
    score: AttemptScore
    confidence_text: str | None
    questions: list[QuestionResult]
    reflections: list[QuestionResult]


def outcome_of(fraction: float | None) -> str:
    if fraction is None:
        return "incorrect"
    if fraction >= 1:
        return "correct"
    return "partly correct" if fraction > 0 else "incorrect"


def build_result(attempt: Attempt) -> AttemptResult:
    answered = operations.responses_by_question(attempt)
    questions: list[QuestionResult] = []
    reflections: list[QuestionResult] = []
    for number, question in enumerate(attempt.bank_version.questions, start=1):
        qtype = get_type(question.type)
        response = answered.get(question.id)
        answer = response.answer if response is not None else None
        item = QuestionResult(
            number=number,
            question=question,
            response=response,
            scored=qtype.scored,
            outcome=outcome_of(response.fraction if response else None)
            if qtype.scored
            else "reflection",
            answer_text=qtype.answer_text(question.spec, answer)
            if response is not None
            else "Not answered",
            correct_answer_text=qtype.correct_answer_text(question.spec),
            answer_feedback=qtype.feedback(question.spec, answer) if response is not None else [],
            findings=list(question.findings),
            certainty_label=CERTAINTY_LABELS.get(response.certainty)
            if response is not None and response.certainty
            else None,
        )
        (questions if qtype.scored else reflections).append(item)
    score = operations.score_attempt(attempt)
    return AttemptResult(
        score=score,
        confidence_text=confidence_sentence(score),
        questions=questions,
        reflections=reflections,
    )
