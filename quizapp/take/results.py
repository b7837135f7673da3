"""What a practitioner sees after submitting: a summary (score, the questions to look at
again, how sure they were, in words), then feedback on every question."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..models import Attempt, Finding, Question, Response
from ..questions import get_type
from ..questions import scenario as graph
from ..scoring import (
    CERTAINTY_LABELS,
    CERTAINTY_LEVELS,
    DEFAULT_CERTAINTY,
    AttemptScore,
    confidence_sentence,
)
from . import operations
from .layout import arrangement_for


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
    #: For a branching scenario: the path taken, and the best path when revealed.
    scenario: ScenarioReview | None = None


@dataclass(frozen=True)
class PathStep:
    """One decision on a path through a scenario, as the result page explains it."""

    decision: str
    choice: str
    feedback: str
    points: int
    findings: list[Finding]
    #: The decision was made before on this path (a loop back): it earns nothing more.
    repeat: bool = False


@dataclass(frozen=True)
class ScenarioPath:
    steps: list[PathStep]
    ending_title: str
    outcome: str
    points: int


@dataclass(frozen=True)
class ScenarioReview:
    taken: ScenarioPath
    #: None when the result does not reveal right answers (see `reveals`).
    best: ScenarioPath | None


def scenario_path(
    spec: dict[str, Any],
    path: list[list[str]],
    ending: str,
    findings: dict[str, Finding],
    gone_back: list[list[str]] = (),  # type: ignore[assignment]
) -> ScenarioPath:
    """The decisions on `path` with their feedback, marks and findings, and where it ended."""
    nodes = {node["id"]: node for node in spec["nodes"]}
    steps = []
    marks = graph.marked_points(spec, path, gone_back)
    for (decision, alternative), mark in zip(path, marks, strict=True):
        node = nodes[decision]
        chosen = next(a for a in node["alternatives"] if a["id"] == alternative)
        steps.append(
            PathStep(
                decision=node["text"],
                choice=chosen["text"],
                feedback=chosen["feedback"],
                points=mark,
                findings=[findings[key] for key in chosen.get("findings") or [] if key in findings],
                repeat=any(step.decision == node["text"] for step in steps),
            )
        )
    end = nodes[ending]
    return ScenarioPath(steps, end["title"], end["outcome"], sum(s.points for s in steps))


def scenario_review(question: Question, answer: Any, *, reveal: bool) -> ScenarioReview:
    findings = {finding.key: finding for finding in question.version.findings}
    taken = scenario_path(
        question.spec, answer["path"], answer["ending"], findings, answer.get("gone_back", [])
    )
    best = None
    if reveal:
        _points, path, ending = graph.best_path(question.spec)
        best = scenario_path(question.spec, [list(step) for step in path], ending, findings)
    return ScenarioReview(taken, best)


@dataclass(frozen=True)
class CertaintyCount:
    """How the answers given at one level of certainty turned out, counted by question."""

    label: str
    answers: int
    right: int
    partly: int
    wrong: int

    @property
    def outcomes(self) -> str:
        """ "3 right, 1 partly right and 4 wrong", leaving out the noughts."""
        named = ((self.right, "right"), (self.partly, "partly right"), (self.wrong, "wrong"))
        parts = [f"{count} {name}" for count, name in named if count]
        return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


@dataclass(frozen=True)
class AttemptResult:
    score: AttemptScore
    confidence_text: str | None
    questions: list[QuestionResult]
    reflections: list[QuestionResult]
    #: Scored questions not fully right, in order: the summary links to their feedback.
    to_review: list[QuestionResult] = field(default_factory=list)
    #: One entry per certainty level used, most sure first (as the table on the page); empty
    #: when CBM is off.
    certainty_counts: list[CertaintyCount] = field(default_factory=list)
    #: Questions answered "Fairly sure" or "Very sure" and fully right.
    sure_and_right: int = 0
    #: Whether the right answers (and every option's feedback) are shown; see `reveals`.
    reveal: bool = True

    @property
    def to_review_by_stage(self) -> list[tuple[str, list[QuestionResult]]]:
        """The questions to look at again under their part's title, in check order."""
        groups: dict[int, tuple[str, list[QuestionResult]]] = {}
        for item in self.to_review:
            stage = item.question.stage
            groups.setdefault(stage.id, (stage.title, []))[1].append(item)
        return list(groups.values())


def outcome_of(fraction: float | None) -> str:
    if fraction is None:
        return "incorrect"
    if fraction >= 1:
        return "correct"
    return "partly correct" if fraction > 0 else "incorrect"


def reveals(attempt: Attempt, *, may_try_again: bool) -> bool:
    """Whether a result shows the right answers: after a pass, when no attempt remains, or
    when the check's authors chose to (`after_fail: answers`). Otherwise a failed result
    shows which answers were wrong and the feedback that explains why, so that the next
    attempt measures what was learnt rather than what was read on this page."""
    return bool(attempt.passed) or not may_try_again or attempt.check.after_fail == "answers"


def build_result(attempt: Attempt, *, reveal: bool = True) -> AttemptResult:
    answered = operations.responses_by_question(attempt)
    stored = {question.id: question for question in attempt.bank_version.questions}
    questions: list[QuestionResult] = []
    reflections: list[QuestionResult] = []
    for info in operations.questions_of(attempt):
        question = stored[info.id]
        qtype = get_type(question.type)
        response = answered.get(question.id)
        answer = response.answer if response is not None else None
        feedback = (
            qtype.feedback(question.spec, answer, arrangement_for(attempt, question))
            if response is not None and reveal and question.type != "scenario"
            else []
        )
        item = QuestionResult(
            number=info.number,
            question=question,
            response=response,
            scored=qtype.scored,
            outcome=outcome_of(response.fraction if response else None)
            if qtype.scored
            else "reflection",
            answer_text=qtype.answer_text(question.spec, answer)
            if response is not None
            else "Not answered",
            correct_answer_text=qtype.correct_answer_text(question.spec) if reveal else None,
            answer_feedback=feedback,
            findings=list(question.findings),
            certainty_label=CERTAINTY_LABELS.get(response.certainty)
            if response is not None and response.certainty
            else None,
            scenario=scenario_review(question, answer, reveal=reveal)
            if question.type == "scenario" and response is not None
            else None,
        )
        (questions if qtype.scored else reflections).append(item)
    score = operations.score_attempt(attempt)
    return AttemptResult(
        score=score,
        confidence_text=confidence_sentence(score),
        questions=questions,
        reflections=reflections,
        to_review=[item for item in questions if item.outcome != "correct"],
        certainty_counts=certainty_counts(questions) if attempt.certainty else [],
        sure_and_right=sum(
            1 for item in questions if item.outcome == "correct" and _certainty(item) in (2, 3)
        )
        if attempt.certainty
        else 0,
        reveal=reveal,
    )


def _certainty(item: QuestionResult) -> int:
    """As scored: no certainty given counts as "Not sure"."""
    if item.response is None or not item.response.certainty:
        return DEFAULT_CERTAINTY
    return item.response.certainty


def certainty_counts(questions: list[QuestionResult]) -> list[CertaintyCount]:
    """Right, partly right and wrong answers at each certainty level, most sure first."""
    counts = []
    for level in reversed(CERTAINTY_LEVELS):
        at_level = [item for item in questions if _certainty(item) == level]
        if not at_level:
            continue
        outcomes = [item.outcome for item in at_level]
        counts.append(
            CertaintyCount(
                label=CERTAINTY_LABELS[level],
                answers=len(at_level),
                right=outcomes.count("correct"),
                partly=outcomes.count("partly correct"),
                wrong=outcomes.count("incorrect"),
            )
        )
    return counts
