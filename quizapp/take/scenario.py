"""Taking a branching scenario: one decision per page, each recorded once as it is made.

The page for a scenario question shows where the practitioner's path has got to: the
feedback on their latest choice, the story since, and the next decision (or the ending).
Each choice is a ScenarioChoice row; the form carries the sequence number it was shown
for, so a refresh, a double post or two tabs record a decision once (the unique
constraint settles a race). When the path reaches an ending, the scenario's Response is
written (its path, ending and mark), so check answers, submission and scoring treat it
as any other question. Going back, where the check allows it, withdraws the latest
choice and keeps it on record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Attempt, Question, Response, ScenarioChoice
from ..questions import scenario as graph
from ..questions.base import Arrangement
from . import operations
from .outline import QuestionInfo


class ChoiceRefused(ValueError):
    """The choice can't be made here; `message` is shown beside the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Offered:
    """An alternative as the page offers it: its form value and text."""

    index: int
    value: str
    text: str


@dataclass(frozen=True)
class Page:
    """Where an attempt's path through a scenario has got to."""

    #: Every event in order: choices (withdrawn ones included) and goings back.
    choices: list[ScenarioChoice]
    #: The choices on the path (not withdrawn), in order.
    path: list[ScenarioChoice]
    position: graph.Position
    #: The alternatives offered at the current decision, in the order shown.
    offered: list[Offered]

    @property
    def sequence(self) -> int:
        """The number the next choice will have: the page's form posts it back."""
        return len(self.choices) + 1

    @property
    def latest(self) -> ScenarioChoice | None:
        """The choice whose feedback the page shows: none straight after going back."""
        if not self.path or self.choices[-1].action == "went-back":
            return None
        return self.path[-1]

    def just_chosen(self, sequence: str | None) -> bool:
        """Whether the page follows the choice just made (so its feedback is announced and
        takes the focus), not a return to the page later."""
        latest = self.latest
        return latest is not None and sequence == str(latest.sequence)

    @property
    def ended(self) -> bool:
        return self.position.ended

    @property
    def decision(self) -> Any:
        return None if self.position.ended else self.position.node

    @property
    def ending(self) -> Any:
        return self.position.node if self.position.ended else None


def choices_for(attempt: Attempt, question: Question | QuestionInfo) -> list[ScenarioChoice]:
    return list(
        db.session.scalars(
            sa.select(ScenarioChoice)
            .where(
                ScenarioChoice.attempt_id == attempt.id,
                ScenarioChoice.question_id == question.id,
            )
            .order_by(ScenarioChoice.sequence)
        )
    )


def on_path(choices: list[ScenarioChoice]) -> list[ScenarioChoice]:
    return [c for c in choices if c.action == "chose" and c.withdrawn_at is None]


def _pairs(path: list[ScenarioChoice]) -> list[tuple[str, str]]:
    return [(choice.node_key, choice.alternative_key) for choice in path]


def _node_arrangement(arrangement: Arrangement, sequence: int) -> Arrangement:
    """Alternatives are shuffled per decision page, each with its own opaque values."""
    return Arrangement((arrangement.seed << 8) ^ sequence, arrangement.key)


def page_for(attempt: Attempt, question: Question | QuestionInfo, arrangement: Arrangement) -> Page:
    return page_of(question.spec, choices_for(attempt, question), arrangement)


def page_of(spec: dict[str, Any], choices: list[ScenarioChoice], arrangement: Arrangement) -> Page:
    """The page for a path of choices, stored or not (an author's preview keeps its path
    in the session, as unsaved ScenarioChoice objects)."""
    path = on_path(choices)
    position = graph.position(spec, _pairs(path))
    offered: list[Offered] = []
    if not position.ended:
        alternatives = position.alternatives
        layout = _node_arrangement(arrangement, len(choices) + 1)
        order = layout.option_order(len(alternatives))
        offered = [
            Offered(index, layout.value(index), alternatives[index]["text"]) for index in order
        ]
    return Page(choices, path, position, offered)


def choose(
    attempt: Attempt,
    question: Question | QuestionInfo,
    arrangement: Arrangement,
    *,
    sequence: int,
    value: str | None,
    certainty: int | None,
    now: datetime,
) -> ScenarioChoice | None:
    """Record the choice posted for decision `sequence`. None if that decision was already
    recorded (a refresh or a second post): nothing changes. Raises ChoiceRefused for a
    choice that is not on offer."""
    page = page_for(attempt, question, arrangement)
    if sequence != page.sequence or page.decision is None:
        return None
    alternative = offered_alternative(page, arrangement, value)
    pairs = [*_pairs(page.path), (page.decision["id"], alternative["id"])]
    choice = _made(attempt, question, pairs, sequence, certainty, now=now)
    db.session.add(choice)
    db.session.flush()
    path = [*page.path, choice]
    reached = graph.position(question.spec, _pairs(path))
    if reached.ended:
        gone_back = [c for c in page.choices if c.action == "chose" and c.withdrawn_at]
        _record_response(attempt, question, path, reached.node["id"], gone_back, now=now)
    return choice


def offered_alternative(page: Page, arrangement: Arrangement, value: str | None) -> Any:
    """The alternative a posted value stands for on this page; ChoiceRefused if none."""
    layout = _node_arrangement(arrangement, page.sequence)
    count = len(page.position.alternatives)
    index = layout.index_of(value, count) if value and page.decision is not None else None
    if index is None:
        raise ChoiceRefused("Select what you would do")
    return page.position.alternatives[index]


def go_back(
    attempt: Attempt, question: Question | QuestionInfo, *, sequence: int, now: datetime
) -> bool:
    """Withdraw the latest choice (checks that allow going back). `sequence` is the page's,
    so a repeated post withdraws one choice, not two. True if a choice was withdrawn."""
    choices = choices_for(attempt, question)
    path = on_path(choices)
    if sequence != len(choices) + 1 or not path:
        return False
    latest = path[-1]
    latest.withdrawn_at = now
    # The going back is an event of its own, so the page that posted it is now stale and
    # a repeated post withdraws nothing more.
    db.session.add(
        ScenarioChoice(
            attempt_id=attempt.id,
            question_id=question.id,
            sequence=sequence,
            action="went-back",
            node_key=latest.node_key,
            alternative_key=latest.alternative_key,
            points=0,
            certainty=None,
            chosen_at=now,
        )
    )
    db.session.execute(
        sa.delete(Response).where(
            Response.attempt_id == attempt.id, Response.question_id == question.id
        )
    )
    db.session.flush()
    return True


def record_path(
    attempt: Attempt,
    question: Question | QuestionInfo,
    path: list[tuple[str, str, int | None]],
    *,
    now: datetime,
) -> None:
    """Record a whole path at once ((decision, alternative, certainty) per choice, as the
    pages would have): for synthetic attempts (the demo, benchmarks), not for practitioners."""
    made: list[ScenarioChoice] = []
    for sequence, (_decision, _alternative, certainty) in enumerate(path, start=1):
        pairs = [(d, a) for d, a, _c in path[:sequence]]
        choice = _made(attempt, question, pairs, sequence, certainty, now=now)
        db.session.add(choice)
        made.append(choice)
    reached = graph.position(question.spec, _pairs(made))
    if not reached.ended:
        raise ValueError("a recorded path must reach an ending")
    db.session.flush()
    _record_response(attempt, question, made, reached.node["id"], now=now)


def _made(
    attempt: Attempt,
    question: Question | QuestionInfo,
    pairs: list[tuple[str, str]],
    sequence: int,
    certainty: int | None,
    *,
    now: datetime,
) -> ScenarioChoice:
    """The event for the last choice of `pairs` (the path up to and including it), with
    its points as marked on that path (nothing for a decision made before on it)."""
    decision, alternative = pairs[-1]
    return ScenarioChoice(
        attempt_id=attempt.id,
        question_id=question.id,
        sequence=sequence,
        action="chose",
        node_key=decision,
        alternative_key=alternative,
        points=graph.marked_points(question.spec, pairs)[-1],
        certainty=certainty if attempt.certainty else None,
        chosen_at=now,
    )


def _record_response(
    attempt: Attempt,
    question: Question | QuestionInfo,
    path: list[ScenarioChoice],
    ending: str,
    gone_back: list[ScenarioChoice] = (),  # type: ignore[assignment]
    *,
    now: datetime,
) -> None:
    """The scenario's answer: its path and ending, and any choices gone back on (which cap
    the marks of their decision: questions/scenario.py `marked_points`)."""
    answer: dict[str, Any] = {"path": [list(pair) for pair in _pairs(path)], "ending": ending}
    if gone_back:
        answer["gone_back"] = [list(pair) for pair in _pairs(gone_back)]
    operations.save_answer(
        attempt, question, answer, path_certainty(path) if attempt.certainty else None, now=now
    )


def chosen(spec: dict[str, Any], choice: ScenarioChoice) -> tuple[dict[str, Any], dict[str, Any]]:
    """The decision node and the alternative a recorded choice stands for."""
    node = next(node for node in spec["nodes"] if node["id"] == choice.node_key)
    alternative = next(a for a in node["alternatives"] if a["id"] == choice.alternative_key)
    return node, alternative


def path_certainty(path: list[ScenarioChoice]) -> int | None:
    """The scenario's certainty for certainty-based marks: the mean of the certainty given
    at each decision, rounded half up (None if none was given)."""
    given = [choice.certainty for choice in path if choice.certainty]
    if not given:
        return None
    return int(sum(given) / len(given) + 0.5)
