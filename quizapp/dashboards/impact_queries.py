"""The statements behind the impact figures: five aggregate statements per check and
reporting year (GROUP BY in the database, the same SQL on SQLite and PostgreSQL), each
narrowed to the lead's scope in SQL as every dashboard query is.

Who is counted (docs/dashboards.md, "Impact"): the attempts at the check submitted in the
reporting year. Confidence ratings hang off those attempts (follow-up ratings off the pass
the follow-up followed), so the year of an attempt is the year of its ratings. Confidence
is paired: before and after are over the same people (those rating a finding both times,
their latest such attempt), and a follow-up rating counts only once its follow-up is
submitted. The follow-up figures are about the follow-ups offered on the passes of the
year. Marks at the check and at follow-up compare the same people on the same finding:
the check's marks on a finding count only passes whose submitted follow-up asked about
that finding, which it does only for findings the person was weak on, so a rise is
partly regression to the mean, not evidence of retention.

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
    Bank,
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


@dataclass(frozen=True)
class Paired:
    """Confidence in one finding, paired: the people who rated it both before and after
    the check (their latest such attempt in the period), the sums of those two ratings,
    and of those same attempts, the ones whose submitted follow-up rated it again."""

    people: int
    before: float
    after: float
    follow_up_people: int
    follow_up: float


def confidence_ratings(
    scope: Scope, check_id: int | None, period: Period
) -> dict[tuple[int, Any, str], Paired]:
    """(check, group, finding key) -> paired confidence. One statement.

    Ratings are saved as they are given, so a follow-up rating counts only when its
    follow-up was submitted; and a mean before and a mean after of different people
    would compare different people, so both are over the same attempts, one a person."""
    group = scope.group_column().label("grp")
    rating = ConfidenceRating.rating

    def at(moment: str, *also: Any) -> Any:
        return sa.func.max(sa.case((sa.and_(ConfidenceRating.moment == moment, *also), rating)))

    per_attempt = (
        sa.select(
            Attempt.check_id.label("check_id"),
            group,
            Attempt.user_id.label("user_id"),
            ConfidenceRating.finding_key.label("finding_key"),
            at("before").label("before"),
            at("after").label("after"),
            at("follow-up", FollowUp.submitted_at.is_not(None)).label("follow_up"),
            sa.func.row_number()
            .over(
                partition_by=(Attempt.check_id, Attempt.user_id, ConfidenceRating.finding_key),
                order_by=(Attempt.submitted_at.desc(), Attempt.id.desc()),
            )
            .label("latest"),
        )
        .select_from(ConfidenceRating)
        .join(Attempt, Attempt.id == ConfidenceRating.attempt_id)
        .join(User, User.id == Attempt.user_id)
        .outerjoin(FollowUp, FollowUp.attempt_id == Attempt.id)
        .where(*_attempts_in(scope, check_id, period), rating.is_not(None))
        .group_by(
            Attempt.check_id,
            scope.group_column(),
            Attempt.user_id,
            Attempt.id,
            Attempt.submitted_at,
            ConfidenceRating.finding_key,
        )
        # Only attempts rated both before and after are numbered: the latest of those.
        .having(at("before").is_not(None), at("after").is_not(None))
        .subquery()
    )
    statement = (
        sa.select(
            per_attempt.c.check_id,
            per_attempt.c.grp,
            per_attempt.c.finding_key,
            sa.func.count().label("people"),
            sa.func.sum(per_attempt.c.before).label("before"),
            sa.func.sum(per_attempt.c.after).label("after"),
            sa.func.count(per_attempt.c.follow_up).label("follow_up_people"),
            sa.func.coalesce(sa.func.sum(per_attempt.c.follow_up), 0).label("follow_up"),
        )
        .where(per_attempt.c.latest == 1)
        .group_by(per_attempt.c.check_id, per_attempt.c.grp, per_attempt.c.finding_key)
    )
    return {
        (row.check_id, row.grp, row.finding_key): Paired(
            int(row.people),
            float(row.before),
            float(row.after),
            int(row.follow_up_people),
            float(row.follow_up),
        )
        for row in db.session.execute(statement)
    }


@dataclass(frozen=True)
class Cohort:
    """Of the passes of the year, the people offered a follow-up (its row exists: the
    invitation, or the person opening it, makes it), those who submitted it, and of those
    answering "Have you used this learning in your practice since?", those saying yes."""

    offered: int
    followed: int
    used_answered: int
    used_yes: int
    used_other: int


def cohort(scope: Scope, check_id: int | None, period: Period) -> dict[tuple[int, Any], Cohort]:
    """(check, group) -> the follow-ups offered on the passes of the year. One statement.

    Offered is "has a FollowUp row": the row is made when the invitation goes (or the
    person opens the follow-up), and follow_up.py's due rule (due, not superseded, not
    expired) is applied in Python, not in SQL, so passes not yet due, or never offered,
    are not counted as not answering."""
    group = scope.group_column().label("grp")
    check = Attempt.check_id.label("check_id")
    submitted = FollowUp.submitted_at.is_not(None)
    answered = sa.and_(submitted, FollowUp.used_in_practice.is_not(None))
    statement = (
        sa.select(
            check,
            group,
            sa.func.count(sa.distinct(Attempt.user_id)).label("offered"),
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
        .join(FollowUp, FollowUp.attempt_id == Attempt.id)
        .where(*_attempts_in(scope, check_id, period), Attempt.passed.is_(True))
        .group_by(check, group)
    )
    return {
        (row.check_id, row.grp): Cohort(
            int(row.offered),
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
    #: Wrong answers, and of them those given "very sure" (as Learning landed counts).
    wrong: int
    confidently_wrong: int
    #: Distinct people with a wrong answer; of them, with one given "very sure", and
    #: with one not: the share's whole, its part and its complement.
    wrong_people: int
    sure_people: int
    other_people: int


def _mark_columns(answer: Any, question: Any) -> list[Any]:
    wrong = answer.fraction <= WRONG_FRACTION
    sure = sa.and_(wrong, answer.certainty == 3)
    return [
        sa.func.count(sa.distinct(Attempt.user_id)).label("people"),
        sa.func.coalesce(sa.func.sum(answer.mark), 0.0).label("marks"),
        sa.func.coalesce(sa.func.sum(question.points), 0).label("points"),
        sa.func.count().label("answers"),
        sa.func.sum(sa.case((wrong, 1), else_=0)).label("wrong"),
        sa.func.sum(sa.case((sure, 1), else_=0)).label("confidently_wrong"),
        _distinct_people(wrong).label("wrong_people"),
        _distinct_people(sure).label("sure_people"),
        _distinct_people(sa.and_(wrong, sa.not_(sure))).label("other_people"),
    ]


def _marks(rows: Iterable[Any]) -> dict[tuple[int, Any, str], Marks]:
    return {
        (row.check_id, row.grp, row.finding_key): Marks(
            int(row.people),
            float(row.marks or 0),
            float(row.points or 0),
            int(row.answers),
            int(row.wrong or 0),
            int(row.confidently_wrong or 0),
            int(row.wrong_people),
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
    #: The bank's key, for the finding's drill-down on Learning landed.
    bank_key: str = ""


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
            Bank.key.label("bank_key"),
        )
        .join(Bank, Bank.id == Check.bank_id)
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
                ImpactFinding(row.key, row.kind, row.text, row.confidence, row.bank_key)
            )
    return found
