"""The "learning in practice" follow-up, some weeks after a pass (docs/follow-up.md).

Three stages make an evaluation: a baseline, the check, and a follow-up weeks later. This
module holds the follow-up's rules and operations; the pages are in follow_up_routes.py
and the invitation goes through the reminders (quizapp/reminders/operations.py).

Weak findings (`weak_findings`). A finding of the passing attempt is weak if, in that
attempt, the person's share of the marks on its scored questions was below the
attempt's pass mark, or any answer on it was wrong (fraction 0) at certainty 3 ("very
sure"): they passed overall, but not on this, or they were confidently wrong about it.

The draw (`draw`). From the check's current published version, only scored questions
that are not branching scenarios (a scenario is too long for five minutes), tagged with a
weak finding; exactly one question per weak finding, and a question tagged with two weak
findings serves both. Questions the pass did not show (by key, so pools give fresh ones)
are preferred. A weak finding with no eligible question is skipped. With no weak
findings there are no questions: the follow-up asks only confidence and practice.

When it is open (`due_follow_ups`). A pass on a check with `follow_up_weeks` is due a
follow-up at its submission plus those weeks, and it stays open until the pass expires,
or a later pass of the check supersedes it (that pass's own follow-up then counts), or 8
weeks after it was due, whichever comes first. Only for active people who have not left,
on checks not retired, and only until the follow-up is submitted. The latest pass is
the completion's attempt, so "superseded" is "not the completion's attempt".

Once a follow-up's row exists (invited, or opened by the person), its own `due_at`
counts, not the check's current setting: changing the weeks, or switching follow-ups
off, neither moves nor closes a follow-up already under way (switching off only stops
new ones, and invitations for rows not yet invited).
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    Attempt,
    BankVersion,
    Check,
    Completion,
    Finding,
    FollowUp,
    FollowUpResponse,
    Question,
    ReminderSend,
    Response,
    User,
    question_findings,
)
from ..questions import get_type

#: How long a follow-up stays open after it is due (unless the pass ends first).
OPEN_FOR = timedelta(weeks=8)
#: The longest follow_up_weeks a check can have (the column's check constraint).
MOST_WEEKS = 52
#: Question types never drawn: a branching scenario takes too long for a follow-up.
NOT_DRAWN = frozenset({"scenario"})
#: How far the query's bounds keep from any exact moment. SQLite compares datetimes as
#: text, and a row written in another ISO form (a "T", an offset, no microseconds) sorts
#: on the wrong side of a bound at the very same moment: at its exact due moment a pass
#: was not due. So every exact comparison is made in Python, on parsed datetimes, and
#: the query only narrows, a day wide of them.
MARGIN = timedelta(days=1)
#: The reminders' kind for the invitation.
KIND = "follow-up"


class AlreadySubmitted(Exception):
    """A submitted follow-up never changes."""


class Incomplete(Exception):
    """Something still needs an answer before the follow-up can be submitted."""

    def __init__(self, questions: list[int], practice: bool) -> None:
        super().__init__("the follow-up is not finished")
        #: Positions (1-based) of the questions not answered.
        self.questions = questions
        #: True if "Have you used this learning...?" is not answered.
        self.practice = practice


# --- Weak findings and the draw: plain data in, plain data out -----------------------


@dataclass(frozen=True)
class MarkedAnswer:
    """One scored answer of the passing attempt, with its question's findings."""

    findings: tuple[str, ...]
    points: int
    fraction: float
    certainty: int | None


def weak_finding_keys(
    answers: Iterable[MarkedAnswer], *, pass_mark: int, order: Sequence[str]
) -> list[str]:
    """The weak findings (see the module's docstring), in `order` (the bank's)."""
    gained: dict[str, float] = defaultdict(float)
    available: dict[str, int] = defaultdict(int)
    confidently_wrong: set[str] = set()
    for answer in answers:
        for key in answer.findings:
            gained[key] += answer.fraction * answer.points
            available[key] += answer.points
            if answer.fraction == 0 and answer.certainty == 3:
                confidently_wrong.add(key)
    weak = {
        key
        for key in available
        if (available[key] and 100 * gained[key] / available[key] < pass_mark)
        or key in confidently_wrong
    }
    return [key for key in order if key in weak]


@dataclass(frozen=True)
class Candidate:
    """A question of the current version, as the draw sees it."""

    id: int
    key: str
    findings: tuple[str, ...]


def draw(
    candidates: Sequence[Candidate], weak: Sequence[str], *, shown: set[str], seed: int
) -> list[int]:
    """One question per weak finding, in the order of `weak`: a question already drawn
    for an earlier finding covers a later one it is also tagged with. Among a finding's
    questions, those not in `shown` (keys) come first; the seed picks among equals.
    Candidates must already be eligible (scored, not a scenario)."""
    rng = random.Random(seed)
    chosen: list[Candidate] = []
    for key in weak:
        if any(key in question.findings for question in chosen):
            continue
        tagged = [q for q in candidates if key in q.findings and q not in chosen]
        fresh = [q for q in tagged if q.key not in shown]
        pool = fresh or tagged
        if pool:
            chosen.append(pool[rng.randrange(len(pool))])
    return [question.id for question in chosen]


# --- Reading the database ------------------------------------------------------------


@dataclass(frozen=True)
class VersionFacts:
    """What the rules need of a published version, as plain data: two queries, and safe
    to keep for a run (a published version never changes)."""

    #: Finding keys in bank order.
    findings: list[str]
    #: Question id -> (key, type, points, finding keys).
    questions: dict[int, tuple[str, str, int, tuple[str, ...]]]

    @property
    def candidates(self) -> list[Candidate]:
        """The questions a follow-up may draw: scored, not scenarios, in bank order."""
        return [
            Candidate(question_id, key, findings)
            for question_id, (key, kind, _, findings) in self.questions.items()
            if get_type(kind).scored and kind not in NOT_DRAWN
        ]

    def shown_keys(self, question_ids: Sequence[int] | None) -> set[str]:
        """The keys of the questions an attempt of this version showed: its own list, or
        every question when it kept none."""
        shown = self.questions if question_ids is None else question_ids
        return {self.questions[question_id][0] for question_id in shown}


#: A run's facts by version id (the reminders keep one for a run); pages pass none.
Cache = dict[int, VersionFacts]


def facts_of(version_id: int, cache: Cache | None = None) -> VersionFacts:
    if cache is not None and version_id in cache:
        return cache[version_id]
    findings = db.session.execute(
        sa.select(Finding.id, Finding.key)
        .where(Finding.version_id == version_id)
        .order_by(Finding.position)
    ).all()
    key_of = dict(findings)
    tagged: dict[int, list[str]] = defaultdict(list)
    for question_id, finding_id in db.session.execute(
        sa.select(question_findings.c.question_id, question_findings.c.finding_id)
        .join(Finding, Finding.id == question_findings.c.finding_id)
        .where(Finding.version_id == version_id)
        .order_by(Finding.position)
    ):
        tagged[question_id].append(key_of[finding_id])
    questions = {
        question_id: (key, kind, points, tuple(tagged[question_id]))
        for question_id, key, kind, points in db.session.execute(
            sa.select(Question.id, Question.key, Question.type, Question.points)
            .where(Question.version_id == version_id)
            .order_by(Question.position)
        )
    }
    facts = VersionFacts([key for _, key in findings], questions)
    if cache is not None:
        cache[version_id] = facts
    return facts


def weak_findings(attempt: Attempt, cache: Cache | None = None) -> list[str]:
    """The passing attempt's weak findings, from its stored responses."""
    facts = facts_of(attempt.bank_version_id, cache)
    answers = []
    for question_id, fraction, certainty in db.session.execute(
        sa.select(Response.question_id, Response.fraction, Response.certainty).where(
            Response.attempt_id == attempt.id
        )
    ):
        _, kind, points, findings = facts.questions[question_id]
        if get_type(kind).scored and fraction is not None:
            answers.append(MarkedAnswer(findings, points, fraction, certainty))
    return weak_finding_keys(answers, pass_mark=attempt.pass_mark, order=facts.findings)


def version_for(check: Check) -> BankVersion | None:
    """The check's current published version, as a new attempt gets it. (Imported here:
    the take package's queries import this module for "Your checks".)"""
    from ..take.operations import version_for as current

    return current(check)


def shown_keys(attempt: Attempt, cache: Cache | None = None) -> set[str]:
    """The keys of the questions the pass showed."""
    return facts_of(attempt.bank_version_id, cache).shown_keys(attempt.question_ids)


@dataclass(frozen=True)
class DueFollowUp:
    """A pass whose follow-up is open now and not submitted."""

    attempt_id: int
    user_id: int
    name: str
    email: str
    #: Whose switches say whether the invitation goes (reminders.operations.switches).
    agency_id: int | None
    check_id: int
    check_title: str
    due_at: datetime
    #: When it closes: the pass's expiry or 8 weeks after due, whichever is first.
    closes_at: datetime
    #: The row, if the invitation or the person has made it.
    follow_up_id: int | None
    #: False when the check's follow-ups are now off (only a row already made is open).
    switched_on: bool = True


def due_follow_ups(
    now: datetime, *, user_id: int | None = None, attempt_id: int | None = None
) -> list[DueFollowUp]:
    """Every follow-up open now and not submitted (see the module's docstring), of one
    person or of everyone: one query, filtered exactly in Python."""
    query = (
        sa.select(
            Attempt.id,
            User.id,
            User.name,
            User.email,
            User.agency_id,
            Check.id,
            Check.title,
            Check.follow_up_weeks,
            Completion.passed_at,
            Completion.expires_at,
            FollowUp.id,
            FollowUp.due_at,
        )
        .select_from(Completion)
        .join(Attempt, Attempt.id == Completion.attempt_id)
        .join(User, User.id == Completion.user_id)
        .join(Check, Check.id == Completion.check_id)
        .outerjoin(FollowUp, FollowUp.attempt_id == Attempt.id)
        .where(
            sa.or_(Check.follow_up_weeks.is_not(None), FollowUp.id.is_not(None)),
            Check.retired_at.is_(None),
            User.active.is_(True),
            User.left_at.is_(None),
            Attempt.submitted_at.is_not(None),
            Attempt.passed.is_(True),
            FollowUp.submitted_at.is_(None),
            # Coarse bounds for the index, MARGIN wide; the exact rule is below.
            Completion.expires_at > now - MARGIN,
            Completion.passed_at <= now - timedelta(weeks=1) + MARGIN,
            Completion.passed_at > now - timedelta(weeks=MOST_WEEKS) - OPEN_FOR - MARGIN,
        )
        .order_by(Completion.passed_at, Attempt.id)
    )
    if user_id is not None:
        query = query.where(Completion.user_id == user_id)
    if attempt_id is not None:
        query = query.where(Attempt.id == attempt_id)
    found = []
    for row in db.session.execute(query):
        (
            a_id,
            u_id,
            name,
            email,
            agency,
            c_id,
            title,
            weeks,
            passed_at,
            expires_at,
            f_id,
            f_due,
        ) = row
        # A row keeps the due date it was made with (see the module's docstring).
        due = f_due if f_due is not None else passed_at + timedelta(weeks=weeks)
        closes = min(expires_at, due + OPEN_FOR)
        if due <= now < closes:
            found.append(
                DueFollowUp(
                    a_id,
                    u_id,
                    name,
                    email,
                    agency,
                    c_id,
                    title,
                    due,
                    closes,
                    f_id,
                    weeks is not None,
                )
            )
    return found


def not_invited(now: datetime) -> list[DueFollowUp]:
    """The open follow-ups whose invitation has not been sent (no ReminderSend row)."""
    due = due_follow_ups(now)
    if not due:
        return []
    sent = set(
        db.session.scalars(
            sa.select(ReminderSend.period).where(
                ReminderSend.kind == KIND,
                ReminderSend.user_id.in_({item.user_id for item in due}),
            )
        )
    )
    return [item for item in due if item.switched_on and str(item.attempt_id) not in sent]


# --- Operations (flush, never commit) --------------------------------------------------


def open_follow_up(
    due: DueFollowUp, *, now: datetime, invited: bool = False, cache: Cache | None = None
) -> FollowUp:
    """The follow-up's row, made (with its draw) if it does not exist yet. `invited`:
    the invitation has just gone, so invited_at is set. Two requests making it at once:
    the unique constraint keeps one, and the other reads it."""
    existing = db.session.scalar(sa.select(FollowUp).where(FollowUp.attempt_id == due.attempt_id))
    if existing is None:
        attempt = db.session.get(Attempt, due.attempt_id)
        assert attempt is not None
        version = version_for(attempt.check) or attempt.bank_version
        seed = secrets.randbits(31)
        weak = weak_findings(attempt, cache)
        follow_up = FollowUp(
            attempt_id=attempt.id,
            user_id=attempt.user_id,
            check_id=attempt.check_id,
            bank_version_id=version.id,
            due_at=due.due_at,
            invited_at=now if invited else None,
            created_at=now,
            seed=seed,
            weak_findings=weak,
            question_ids=draw(
                facts_of(version.id, cache).candidates,
                weak,
                shown=shown_keys(attempt, cache),
                seed=seed,
            ),
        )
        try:
            with db.session.begin_nested():
                db.session.add(follow_up)
            return follow_up
        except IntegrityError:
            existing = db.session.scalar(
                sa.select(FollowUp).where(FollowUp.attempt_id == due.attempt_id)
            )
            assert existing is not None
    if invited and existing.invited_at is None and not existing.is_submitted:
        existing.invited_at = now
        db.session.flush()
    return existing


def questions_of(follow_up: FollowUp) -> list[Question]:
    """The drawn questions, in the order shown."""
    by_id = {
        q.id: q
        for q in db.session.scalars(
            sa.select(Question).where(Question.id.in_(follow_up.question_ids))
        )
    }
    return [by_id[question_id] for question_id in follow_up.question_ids]


def responses_of(follow_up: FollowUp) -> dict[int, FollowUpResponse]:
    rows = db.session.scalars(
        sa.select(FollowUpResponse).where(FollowUpResponse.follow_up_id == follow_up.id)
    )
    return {response.question_id: response for response in rows}


def save_answer(
    follow_up: FollowUp, question: Question, answer: Any, certainty: int | None, *, now: datetime
) -> FollowUpResponse:
    """Keep (or replace) one answer, marked as in a check (fraction x points)."""
    if follow_up.is_submitted:
        raise AlreadySubmitted
    if question.id not in follow_up.question_ids:
        raise ValueError("question was not drawn for this follow-up")
    fraction = float(get_type(question.type).score(question.spec, answer))
    response = responses_of(follow_up).get(question.id)
    if response is None:
        response = FollowUpResponse(follow_up=follow_up, question_id=question.id)
        db.session.add(response)
    response.answer = answer
    response.certainty = certainty
    response.fraction = fraction
    response.mark = fraction * question.points
    response.saved_at = now
    db.session.flush()
    return response


def save_practice(follow_up: FollowUp, used: str, example: str | None) -> None:
    if follow_up.is_submitted:
        raise AlreadySubmitted
    follow_up.used_in_practice = used
    follow_up.practice_example = (example or "").strip() or None
    db.session.flush()


@dataclass(frozen=True)
class Marks:
    score: float
    max_score: int
    #: None when there were no questions.
    percent: float | None


def marks_of(points: Mapping[int, int], marks: Mapping[int, float]) -> Marks:
    """Totals over the drawn questions (question id -> points, and -> mark gained)."""
    max_score = sum(points.values())
    score = sum(marks.get(question_id, 0.0) for question_id in points)
    percent = round(100 * score / max_score, 2) if max_score else None
    return Marks(score, max_score, percent)


def submit(follow_up: FollowUp, *, now: datetime) -> bool:
    """Score and submit once: True if this call submitted it. Refuses (Incomplete) while
    a question or the practice question is unanswered."""
    if follow_up.is_submitted:
        return False
    questions = questions_of(follow_up)
    answered = responses_of(follow_up)
    missing = [i + 1 for i, q in enumerate(questions) if q.id not in answered]
    if missing or follow_up.used_in_practice is None:
        raise Incomplete(missing, follow_up.used_in_practice is None)
    totals = marks_of(
        {q.id: q.points for q in questions},
        {q_id: r.mark or 0.0 for q_id, r in answered.items()},
    )
    updated = db.session.execute(
        sa.update(FollowUp)
        .where(FollowUp.id == follow_up.id, FollowUp.submitted_at.is_(None))
        .values(
            submitted_at=now,
            score=totals.score,
            max_score=totals.max_score,
            percent=totals.percent,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(follow_up)
    return updated.rowcount == 1
