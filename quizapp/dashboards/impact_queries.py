"""The statements behind the impact figures: five aggregate statements per check and
reporting year (GROUP BY in the database, the same SQL on SQLite and PostgreSQL), each
narrowed to the lead's scope in SQL as every dashboard query is.

Who is counted (docs/dashboards.md, "Impact"): the attempts at the check submitted in the
reporting year. Confidence ratings hang off those attempts (follow-up ratings off the pass
the follow-up followed), so the year of an attempt is the year of its ratings. The
follow-up figures are about the passes of the year. Marks at the check and at follow-up
compare the same people on the same finding: the check's marks on a finding count only
passes whose submitted follow-up asked about that finding, so a rise or fall is theirs.

Every result is keyed by group (agency, or team for an agency's lead) and, for figures
of one finding, by the finding's key (stable across bank versions).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import (
    Attempt,
    BankVersion,
    Check,
    ConfidenceRating,
    Finding,
    FollowUp,
    FollowUpResponse,
    Question,
    Reaction,
    Response,
    User,
    question_findings,
)
from ..statistics.items import WRONG_FRACTION
from .periods import Period
from .scope import Scope

#: The reaction statements, as the columns of Reaction name them, and as people read them.
REACTIONS = (
    ("relevant", "The check was relevant to my role"),
    ("clear", "The questions were clear"),
    ("will_change", "I will change something in my practice"),
)


def _attempts_in(
    scope: Scope, check_id: int | None, period: Period
) -> list[sa.ColumnElement[bool]]:
    """Attempts in scope submitted in the period; at one check, or every check (None)."""
    conditions = [
        scope.condition(),
        Attempt.submitted_at >= period.start,
        Attempt.submitted_at < period.end,
    ]
    if check_id is not None:
        conditions.append(Attempt.check_id == check_id)
    return conditions


def _distinct_people(condition: Any) -> Any:
    return sa.func.count(sa.distinct(sa.case((condition, Attempt.user_id))))


@dataclass(frozen=True)
class Ratings:
    """Ratings given (skips left out), their sum, and the distinct people giving them."""

    count: int
    total: float
    people: int


def confidence_ratings(
    scope: Scope, check_id: int | None, period: Period
) -> dict[tuple[int, Any, str, str], Ratings]:
    """(check, group, finding key, moment) -> the ratings given. One statement."""
    group = scope.group_column().label("grp")
    check = Attempt.check_id.label("check_id")
    rated = ConfidenceRating.rating.is_not(None)
    statement = (
        sa.select(
            check,
            group,
            ConfidenceRating.finding_key,
            ConfidenceRating.moment,
            sa.func.count(ConfidenceRating.rating).label("count"),
            sa.func.coalesce(sa.func.sum(ConfidenceRating.rating), 0).label("total"),
            _distinct_people(rated).label("people"),
        )
        .select_from(ConfidenceRating)
        .join(Attempt, Attempt.id == ConfidenceRating.attempt_id)
        .join(User, User.id == Attempt.user_id)
        .where(*_attempts_in(scope, check_id, period))
        .group_by(check, group, ConfidenceRating.finding_key, ConfidenceRating.moment)
    )
    return {
        (row.check_id, row.grp, row.finding_key, row.moment): Ratings(
            int(row.count), float(row.total), int(row.people)
        )
        for row in db.session.execute(statement)
    }


@dataclass(frozen=True)
class Cohort:
    """People who passed in the year, those who submitted a follow-up, and of those
    answering "Have you used this learning in your practice since?", those saying yes."""

    passed: int
    followed: int
    used_answered: int
    used_yes: int
    used_other: int


def cohort(scope: Scope, check_id: int | None, period: Period) -> dict[tuple[int, Any], Cohort]:
    """(check, group) -> the passes of the year and their follow-ups. One statement."""
    group = scope.group_column().label("grp")
    check = Attempt.check_id.label("check_id")
    submitted = FollowUp.submitted_at.is_not(None)
    answered = sa.and_(submitted, FollowUp.used_in_practice.is_not(None))
    statement = (
        sa.select(
            check,
            group,
            sa.func.count(sa.distinct(Attempt.user_id)).label("passed"),
            _distinct_people(submitted).label("followed"),
            _distinct_people(answered).label("used_answered"),
            _distinct_people(sa.and_(answered, FollowUp.used_in_practice == "yes")).label(
                "used_yes"
            ),
            _distinct_people(sa.and_(answered, FollowUp.used_in_practice != "yes")).label(
                "used_other"
            ),
        )
        .select_from(Attempt)
        .join(User, User.id == Attempt.user_id)
        .outerjoin(FollowUp, FollowUp.attempt_id == Attempt.id)
        .where(*_attempts_in(scope, check_id, period), Attempt.passed.is_(True))
        .group_by(check, group)
    )
    return {
        (row.check_id, row.grp): Cohort(
            int(row.passed),
            int(row.followed),
            int(row.used_answered),
            int(row.used_yes),
            int(row.used_other),
        )
        for row in db.session.execute(statement)
    }


def reactions(
    scope: Scope, check_id: int | None, period: Period
) -> dict[tuple[int, Any, str], Ratings]:
    """(check, group, statement) -> the agreement given with each reaction statement. One
    statement."""
    group = scope.group_column().label("grp")
    check = Attempt.check_id.label("check_id")
    columns = []
    for name, _ in REACTIONS:
        column = getattr(Reaction, name)
        columns += [
            sa.func.count(column).label(f"{name}_count"),
            sa.func.coalesce(sa.func.sum(column), 0).label(f"{name}_total"),
            _distinct_people(column.is_not(None)).label(f"{name}_people"),
        ]
    statement = (
        sa.select(check, group, *columns)
        .select_from(Reaction)
        .join(Attempt, Attempt.id == Reaction.attempt_id)
        .join(User, User.id == Attempt.user_id)
        .where(*_attempts_in(scope, check_id, period))
        .group_by(check, group)
    )
    result = {}
    for row in db.session.execute(statement):
        for name, _ in REACTIONS:
            result[(row.check_id, row.grp, name)] = Ratings(
                int(getattr(row, f"{name}_count")),
                float(getattr(row, f"{name}_total")),
                int(getattr(row, f"{name}_people")),
            )
    return result


@dataclass(frozen=True)
class Marks:
    """Marks on a finding's questions, and of the answers, those wrong and "very sure"."""

    people: int
    marks: float
    points: float
    answers: int
    confidently_wrong: int
    #: Distinct people with a confidently wrong answer, and with any other answer: the
    #: share's part and its complement.
    sure_people: int
    other_people: int


def _mark_columns(answer: Any, question: Any) -> list[Any]:
    sure = sa.and_(answer.fraction <= WRONG_FRACTION, answer.certainty == 3)
    return [
        sa.func.count(sa.distinct(Attempt.user_id)).label("people"),
        sa.func.coalesce(sa.func.sum(answer.mark), 0.0).label("marks"),
        sa.func.coalesce(sa.func.sum(question.points), 0).label("points"),
        sa.func.count().label("answers"),
        sa.func.sum(sa.case((sure, 1), else_=0)).label("confidently_wrong"),
        _distinct_people(sure).label("sure_people"),
        _distinct_people(sa.not_(sure)).label("other_people"),
    ]


def _marks(rows: Iterable[Any]) -> dict[tuple[int, Any, str], Marks]:
    return {
        (row.check_id, row.grp, row.finding_key): Marks(
            int(row.people),
            float(row.marks or 0),
            float(row.points or 0),
            int(row.answers),
            int(row.confidently_wrong or 0),
            int(row.sure_people),
            int(row.other_people),
        )
        for row in rows
    }


def follow_up_marks(
    scope: Scope, check_id: int | None, period: Period
) -> dict[tuple[int, Any, str], Marks]:
    """(check, group, finding key) -> marks in the submitted follow-ups of the year's passes on
    the questions testing each finding. One statement."""
    group = scope.group_column().label("grp")
    check = Attempt.check_id.label("check_id")
    statement = (
        sa.select(
            check,
            group,
            Finding.key.label("finding_key"),
            *_mark_columns(FollowUpResponse, Question),
        )
        .select_from(FollowUpResponse)
        .join(FollowUp, FollowUp.id == FollowUpResponse.follow_up_id)
        .join(Attempt, Attempt.id == FollowUp.attempt_id)
        .join(User, User.id == Attempt.user_id)
        .join(Question, Question.id == FollowUpResponse.question_id)
        .join(question_findings, question_findings.c.question_id == Question.id)
        .join(Finding, Finding.id == question_findings.c.finding_id)
        .where(
            *_attempts_in(scope, check_id, period),
            Attempt.passed.is_(True),
            FollowUp.submitted_at.is_not(None),
            FollowUpResponse.fraction.is_not(None),
            Question.points > 0,
        )
        .group_by(check, group, Finding.key)
    )
    return _marks(db.session.execute(statement))


def check_marks(
    scope: Scope, check_id: int | None, period: Period
) -> dict[tuple[int, Any, str], Marks]:
    """(check, group, finding key) -> marks at the check on each finding's questions, in the
    passes whose submitted follow-up asked about that finding (the same people as
    follow_up_marks). One statement."""
    group = scope.group_column().label("grp")
    check = Attempt.check_id.label("check_id")
    asked_q = aliased(Question)
    asked_link = question_findings.alias("asked_link")
    asked_finding = aliased(Finding)
    asked = (
        sa.select(sa.literal(1))
        .select_from(FollowUpResponse)
        .join(FollowUp, FollowUp.id == FollowUpResponse.follow_up_id)
        .join(asked_q, asked_q.id == FollowUpResponse.question_id)
        .join(asked_link, asked_link.c.question_id == asked_q.id)
        .join(asked_finding, asked_finding.id == asked_link.c.finding_id)
        .where(
            FollowUp.attempt_id == Attempt.id,
            FollowUp.submitted_at.is_not(None),
            asked_finding.key == Finding.key,
        )
    )
    statement = (
        sa.select(
            check, group, Finding.key.label("finding_key"), *_mark_columns(Response, Question)
        )
        .select_from(Response)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .join(User, User.id == Attempt.user_id)
        .join(Question, Question.id == Response.question_id)
        .join(question_findings, question_findings.c.question_id == Question.id)
        .join(Finding, Finding.id == question_findings.c.finding_id)
        .where(
            *_attempts_in(scope, check_id, period),
            Attempt.passed.is_(True),
            Response.fraction.is_not(None),
            Question.points > 0,
            asked.exists(),
        )
        .group_by(check, group, Finding.key)
    )
    return _marks(db.session.execute(statement))


@dataclass(frozen=True)
class ImpactFinding:
    key: str
    kind: str
    #: Markdown.
    text: str
    #: Completes "How confident are you ...?"; None when the bank gives no phrasing.
    confidence: str | None


def check_findings(check_ids: Iterable[int]) -> dict[int, tuple[int | None, list[ImpactFinding]]]:
    """Check -> its follow-up weeks, and its bank's findings as the latest published version
    words them, in that version's order. One statement."""
    ids = sorted(set(check_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(
            Check.id.label("check_id"),
            Check.follow_up_weeks,
            Finding.key,
            Finding.kind,
            Finding.text,
            Finding.confidence,
            BankVersion.number,
        )
        .join(BankVersion, BankVersion.bank_id == Check.bank_id)
        .join(Finding, Finding.version_id == BankVersion.id)
        .where(Check.id.in_(ids), BankVersion.status == "published")
        .order_by(Check.id, BankVersion.number.desc(), Finding.position)
    ).all()
    latest: dict[int, int] = {}
    found: dict[int, tuple[int | None, list[ImpactFinding]]] = {}
    for row in rows:
        if latest.setdefault(row.check_id, row.number) == row.number:
            found.setdefault(row.check_id, (row.follow_up_weeks, []))[1].append(
                ImpactFinding(row.key, row.kind, row.text, row.confidence)
            )
    return found
