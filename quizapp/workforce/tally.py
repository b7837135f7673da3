"""Keep the dashboards' summaries (quizapp.models.tally) in step with every write, in its
transaction: the status counts (StatusCount), the yearly counts (YearCount), the
monthly counts (MonthCount) and the yearly learning counts per finding and per question
(FindingYearCount, QuestionYearCount).

How: when a flush is about to change a person's requirements, passes, or the agency, team,
level or standing (left, active) that places them, their contribution to the counts is
subtracted as the database holds it then (before the change). At commit, every such
person's contribution is added back as it now stands, and only the net difference is
written, as sorted upserts. So however many flushes, savepoints and rollbacks happen in
between, the counts equal a recount (at `as_of`) after every commit. Writes made without
the ORM say whom they change with `note_people` (a submitted attempt's marks) or end with
`rebuild` (bulk loads, `rebuild_all`).

Statuses are those of quizapp.workforce.status at the clock's `as_of`; the dashboards
correct them to the moment of asking with `status_case` over the few requirements whose
dates fall in between (`changed_between`).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import (
    Assignment,
    Attempt,
    Bank,
    BankVersion,
    Completion,
    Question,
    Requirement,
    Response,
    User,
)
from ..models.tally import (
    COUNTS,
    LEARNING_COUNTS,
    MONTH_COUNTS,
    NO_LEVEL,
    NO_TEAM_KEY,
    WHOLE_ATTEMPT,
    YEAR_COUNTS,
    AttemptMarks,
    FindingYearCount,
    MonthCount,
    QuestionYearCount,
    StatusCount,
    StatusCountsClock,
    YearCount,
    london_month,
)
from ..models.types import UTCDateTime, utcnow
from ..statistics.items import WRONG_FRACTION
from . import deadlines
from .status import EXPIRING_SOON

#: session.info key of the transaction's pending changes.
_PENDING = "quizapp.workforce.tally"
#: User attributes that place a person in the counts.
_PLACING = ("agency_id", "agency", "team_id", "team", "level", "left_at", "active")
#: Status names as the counts' columns spell them (required is the fifth count).
STATUSES = ("complete", "expiring", "due", "overdue")


def status_case(now: datetime, *, name: str = "now") -> sa.Case[Any]:
    """quizapp.workforce.status.status_of as SQL, at `now`, on Requirement outer-joined
    Completion. `name` names the bind parameters, so two moments fit in one statement."""
    now_p = sa.bindparam(f"{name}_at", now, type_=UTCDateTime())
    soon_p = sa.bindparam(f"{name}_soon", now + EXPIRING_SOON, type_=UTCDateTime())
    expires = Completion.expires_at
    return sa.case(
        (sa.and_(expires > now_p, expires <= soon_p), "expiring"),
        (expires > soon_p, "complete"),
        (deadline() <= now_p, "overdue"),
        else_="due",
    )


def deadline() -> sa.ColumnElement[datetime]:
    """The date to (re)pass by: the first deadline, or the expiry of the pass if later.
    Stored on the requirement (quizapp.workforce.deadlines keeps it in step), so it
    needs no pass joined."""
    return Requirement.deadline_at


def requirements_joined(select: sa.Select[Any]) -> sa.Select[Any]:
    """Requirements with their person and, where there is one, their pass."""
    return (
        select.select_from(Requirement)
        .join(User, User.id == Requirement.user_id)
        .outerjoin(
            Completion,
            sa.and_(
                Completion.user_id == Requirement.user_id,
                Completion.check_id == Requirement.check_id,
            ),
        )
    )


def current_people() -> list[sa.ColumnElement[bool]]:
    """People who count: in an agency, not left, account active."""
    return [User.agency_id.is_not(None), User.left_at.is_(None), User.active.is_(True)]


def _place_columns(*more: Any) -> list[Any]:
    """Where a person is counted (agency, team key, level), then `more` key columns."""
    return [
        User.agency_id.label("agency_id"),
        sa.func.coalesce(User.team_id, NO_TEAM_KEY).label("team_key"),
        sa.func.coalesce(User.level, NO_LEVEL).label("level"),
        *more,
    ]


def status_sums(status: sa.Case[Any]) -> list[Any]:
    """How many rows have each status: one labelled SUM per name in STATUSES."""
    return [sa.func.sum(sa.case((status == name, 1), else_=0)).label(name) for name in STATUSES]


def contributions(as_of: datetime, user_ids: Iterable[int] | None = None) -> sa.Select[Any]:
    """The counts at `as_of` of these people (None: everyone), one row per key."""
    keys = _place_columns(Requirement.check_id.label("check_id"))
    statement = requirements_joined(
        sa.select(*keys, sa.func.count().label("required"), *status_sums(status_case(as_of)))
    ).where(*current_people())
    if user_ids is not None:
        statement = statement.where(Requirement.user_id.in_(sorted(user_ids)))
    return statement.group_by(*keys)


def year_contributions(
    as_of: datetime | None = None, user_ids: Iterable[int] | None = None
) -> sa.Select[Any]:
    """The yearly counts of these people's submitted attempts (None: everyone's), counted
    where each person is now, leavers included (their attempts happened). `as_of` is
    not used: submitted attempts don't change with the clock."""
    del as_of
    return _whole_attempt_counts(
        AttemptMarks.reporting_year.label("reporting_year"),
        [
            sa.func.count(sa.distinct(AttemptMarks.user_id)).label("people"),
            sa.func.sum(AttemptMarks.marks).label("marks"),
            sa.func.sum(AttemptMarks.points).label("points"),
            sa.func.sum(AttemptMarks.wrong).label("wrong"),
            sa.func.sum(AttemptMarks.confidently_wrong).label("confidently_wrong"),
            *_people_counts(
                AttemptMarks.user_id,
                wrong=AttemptMarks.wrong > 0,
                sure=AttemptMarks.confidently_wrong > 0,
                unsure=AttemptMarks.wrong > AttemptMarks.confidently_wrong,
            ),
        ],
        user_ids,
    )


def _people_counts(
    user_id: Any,
    *,
    wrong: sa.ColumnElement[bool],
    sure: sa.ColumnElement[bool],
    unsure: sa.ColumnElement[bool],
) -> list[Any]:
    """Distinct people giving any wrong answer, any "very sure" and any not, per row
    (wrong_people, sure_people, unsure_people), from conditions on each counted row.
    quizapp.dashboards.queries counts the same from each person's sums (sums > 0): as
    no summed value is negative, a person's sum is above 0 exactly when one of their
    rows is, so the two agree."""
    return [
        sa.func.count(sa.distinct(sa.case((condition, user_id)))).label(name)
        for name, condition in (
            ("wrong_people", wrong),
            ("sure_people", sure),
            ("unsure_people", unsure),
        )
    ]


def finding_contributions(
    as_of: datetime | None = None, user_ids: Iterable[int] | None = None
) -> sa.Select[Any]:
    """The yearly learning counts per finding of these people's submitted attempts (None:
    everyone's), from the attempts' marks per finding, counted where each person is now,
    leavers included. `as_of` is not used."""
    del as_of
    marks = AttemptMarks
    keys = _place_columns(
        marks.check_id.label("check_id"),
        marks.reporting_year.label("reporting_year"),
        marks.bank_key.label("bank_key"),
        marks.finding_key.label("finding_key"),
    )
    statement = (
        sa.select(
            *keys,
            sa.func.count(sa.distinct(marks.user_id)).label("people"),
            sa.func.sum(marks.marks).label("marks"),
            sa.func.sum(marks.points).label("points"),
            sa.func.sum(marks.wrong).label("wrong"),
            sa.func.sum(marks.confidently_wrong).label("confidently_wrong"),
            *_people_counts(
                marks.user_id,
                wrong=marks.wrong > 0,
                sure=marks.confidently_wrong > 0,
                unsure=marks.wrong > marks.confidently_wrong,
            ),
        )
        .select_from(marks)
        .join(User, User.id == marks.user_id)
        .where(User.agency_id.is_not(None), marks.finding_key != WHOLE_ATTEMPT)
    )
    if user_ids is not None:
        statement = statement.where(marks.user_id.in_(sorted(user_ids)))
    return statement.group_by(*keys)


def question_contributions(
    as_of: datetime | None = None, user_ids: Iterable[int] | None = None
) -> sa.Select[Any]:
    """The yearly learning counts per question of these people's submitted attempts (None:
    everyone's), from their scored responses (those quizapp.dashboards.queries
    `_response_sums` counts: a fraction, a question worth points), counted where each
    person is now, leavers included. The attempt's person, check and reporting year come
    from its whole-attempt marks row, written with the submission from these same
    responses: an attempt has one exactly when it has a scored response, and an attempt
    being submitted has none until its marks are recorded. `as_of` is not used."""
    del as_of
    marks = AttemptMarks
    wrong = Response.fraction <= WRONG_FRACTION
    sure = sa.and_(wrong, Response.certainty == 3)
    unsure = sa.and_(wrong, sa.func.coalesce(Response.certainty, 0) != 3)
    keys = _place_columns(
        marks.check_id.label("check_id"),
        marks.reporting_year.label("reporting_year"),
        Bank.key.label("bank_key"),
        Question.key.label("question_key"),
    )
    statement = (
        sa.select(
            *keys,
            sa.func.count(sa.distinct(marks.user_id)).label("people"),
            sa.func.coalesce(sa.func.sum(Response.mark), 0.0).label("marks"),
            sa.func.sum(Question.points).label("points"),
            sa.func.sum(sa.case((wrong, 1), else_=0)).label("wrong"),
            sa.func.sum(sa.case((sure, 1), else_=0)).label("confidently_wrong"),
            *_people_counts(marks.user_id, wrong=wrong, sure=sure, unsure=unsure),
        )
        .select_from(marks)
        .join(User, User.id == marks.user_id)
        .join(Response, Response.attempt_id == marks.attempt_id)
        .join(Question, Question.id == Response.question_id)
        .join(BankVersion, BankVersion.id == Question.version_id)
        .join(Bank, Bank.id == BankVersion.bank_id)
        .where(
            User.agency_id.is_not(None),
            marks.finding_key == WHOLE_ATTEMPT,
            Response.fraction.is_not(None),
            Question.points > 0,
        )
    )
    if user_ids is not None:
        statement = statement.where(marks.user_id.in_(sorted(user_ids)))
    return statement.group_by(*keys)


def month_contributions(
    as_of: datetime | None = None, user_ids: Iterable[int] | None = None
) -> sa.Select[Any]:
    """The monthly counts of these people's submitted attempts (None: everyone's), over
    the same attempts as year_contributions (those with marks) and counted where each
    person is now, leavers included. `as_of` is not used."""
    del as_of
    return _whole_attempt_counts(
        london_month(AttemptMarks.submitted_at).label("month"), [], user_ids
    )


def _whole_attempt_counts(
    span: sa.ColumnElement[Any],
    columns: list[sa.ColumnElement[Any]],
    user_ids: Iterable[int] | None,
) -> sa.Select[Any]:
    """Per place, check and `span` (a reporting year or a month) of the whole attempts:
    `columns`, then first attempts, first attempts passed and people passing."""
    passed = Attempt.passed.is_(True)
    first = Attempt.number == 1
    keys = _place_columns(AttemptMarks.check_id.label("check_id"), span)
    statement = (
        sa.select(
            *keys,
            *columns,
            sa.func.sum(sa.case((first, 1), else_=0)).label("first_attempts"),
            sa.func.sum(sa.case((sa.and_(first, passed), 1), else_=0)).label("first_passed"),
            sa.func.count(sa.distinct(sa.case((passed, AttemptMarks.user_id)))).label(
                "people_passing"
            ),
        )
        .select_from(AttemptMarks)
        .join(Attempt, Attempt.id == AttemptMarks.attempt_id)
        .join(User, User.id == AttemptMarks.user_id)
        .where(User.agency_id.is_not(None), AttemptMarks.finding_key == WHOLE_ATTEMPT)
    )
    if user_ids is not None:
        statement = statement.where(AttemptMarks.user_id.in_(sorted(user_ids)))
    return statement.group_by(*keys)


@dataclass(frozen=True)
class Summary:
    table: sa.Table
    keys: tuple[str, ...]
    counts: tuple[str, ...]
    #: (as_of, user ids or None for everyone) -> rows of keys and counts.
    contributions: Callable[..., sa.Select[Any]]


SUMMARIES = (
    Summary(
        StatusCount.__table__,
        ("agency_id", "team_key", "level", "check_id"),
        COUNTS,
        contributions,
    ),
    Summary(
        YearCount.__table__,
        ("agency_id", "team_key", "level", "check_id", "reporting_year"),
        YEAR_COUNTS,
        year_contributions,
    ),
    Summary(
        MonthCount.__table__,
        ("agency_id", "team_key", "level", "check_id", "month"),
        MONTH_COUNTS,
        month_contributions,
    ),
    Summary(
        FindingYearCount.__table__,
        ("agency_id", "team_key", "level", "check_id", "reporting_year", "bank_key", "finding_key"),
        LEARNING_COUNTS,
        finding_contributions,
    ),
    Summary(
        QuestionYearCount.__table__,
        (
            "agency_id",
            "team_key",
            "level",
            "check_id",
            "reporting_year",
            "bank_key",
            "question_key",
        ),
        LEARNING_COUNTS,
        question_contributions,
    ),
)


@dataclass
class _Pending:
    as_of: datetime
    #: People whose contribution before this transaction's changes was subtracted.
    people: set[int] = field(default_factory=set)
    #: (summary index, key) -> counts to add.
    delta: dict[tuple[int, tuple[Any, ...]], Counter[str]] = field(default_factory=dict)

    def add(self, session: Session, people: set[int], sign: int) -> None:
        for index, summary in enumerate(SUMMARIES):
            for row in session.execute(summary.contributions(self.as_of, people)):
                key = tuple(getattr(row, name) for name in summary.keys)
                counts = self.delta.setdefault((index, key), Counter())
                for name in summary.counts:
                    counts[name] += sign * (getattr(row, name) or 0)


def _user_ids(obj: Any) -> set[int | None]:
    """The person (as stored and as changed) a requirement or pass belongs to."""
    history = inspect(obj).attrs.user_id.history
    ids: set[int | None] = {*history.deleted, *history.added, *history.unchanged}
    if obj.user_id is None and "user" in inspect(obj).dict and obj.user is not None:
        ids.add(obj.user.id)
    return ids


def _people_changing(session: Session) -> set[int]:
    ids: set[int | None] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Requirement | Completion):
            ids |= _user_ids(obj)
        elif isinstance(obj, Assignment) and obj in session.deleted:
            # Its requirements go by the database's cascade, unseen by the session.
            ids.update(
                session.scalars(
                    sa.select(Requirement.user_id).where(Requirement.assignment_id == obj.id)
                )
            )
        elif isinstance(obj, User) and obj not in session.new:
            state = inspect(obj)
            if obj in session.deleted or any(
                state.attrs[name].history.has_changes() for name in _PLACING
            ):
                ids.add(obj.id)
    ids.discard(None)
    return ids  # type: ignore[return-value]


def _clock(session: Session, *, build: bool) -> datetime | None:
    """The counts' as_of, locked against a refresh until this transaction ends. With
    `build`, counts that were never built are built now, at this moment."""
    as_of = session.execute(
        sa.select(StatusCountsClock.as_of)
        .where(StatusCountsClock.id == 1)
        .with_for_update(read=True)
    ).scalar()
    if as_of is not None or not build:
        return as_of
    now = utcnow()
    inserted = session.execute(
        _upsert(session, StatusCountsClock.__table__)
        .values(id=1, as_of=now)
        .on_conflict_do_nothing(index_elements=["id"])
    )
    if inserted.rowcount == 1:
        _insert_all(session, now)
        return now
    return _clock(session, build=False)  # built meanwhile by another transaction


def _insert_all(session: Session, as_of: datetime) -> None:
    for summary in SUMMARIES:
        rows = summary.contributions(as_of).subquery()
        names = [*summary.keys, *summary.counts]
        session.execute(
            sa.insert(summary.table).from_select(
                names, sa.select(*(rows.c[name] for name in names))
            )
        )


def _upsert(session: Session, table: sa.Table) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


@event.listens_for(Session, "before_flush")
def _subtract_before_changes(session: Session, *_: Any) -> None:
    with session.no_autoflush:
        ids = _people_changing(session)
    if ids:
        note_people(session, ids)


@event.listens_for(Session, "after_flush")
def _note_new_people(session: Session, *_: Any) -> None:
    """People created in this flush had nothing to subtract: count them at commit. (A
    requirement or pass whose person already existed was seen before the flush.)"""
    new = {
        obj.user_id
        for obj in session.new
        if isinstance(obj, Requirement | Completion) and obj.user_id is not None
    }
    if new:
        with session.no_autoflush:
            _pending(session).people |= new


@event.listens_for(Session, "before_commit")
def _add_after_changes(session: Session) -> None:
    session.flush()  # commit flushes after this event: the changes must be in first
    if _PENDING not in session.info:
        return
    pending: _Pending = session.info.pop(_PENDING)
    pending.add(session, pending.people, +1)
    for index, summary in enumerate(SUMMARIES):
        rows = [
            dict(zip(summary.keys, key, strict=True))
            | {name: counts[name] for name in summary.counts}
            for (which, key), counts in sorted(pending.delta.items(), key=_order)
            if which == index and any(counts.values())
        ]
        if not rows:
            continue
        insert = _upsert(session, summary.table)
        session.execute(
            insert.on_conflict_do_update(
                index_elements=list(summary.keys),
                set_={
                    name: summary.table.c[name] + insert.excluded[name] for name in summary.counts
                },
            ),
            rows,
        )


def _order(item: tuple[tuple[int, tuple[Any, ...]], Counter[str]]) -> tuple[Any, ...]:
    """Rows in key order, so concurrent transactions lock them in the same order."""
    (which, key), _ = item
    return (which, *key)


def note_people(session: Session, user_ids: Iterable[int]) -> None:
    """Before a write the session can't see (core SQL) changes these people's figures:
    take their contribution as it stands now, and count them again at commit."""
    ids = set(user_ids)
    with session.no_autoflush:
        pending: _Pending | None = session.info.get(_PENDING)
        if pending is not None:
            ids -= pending.people
        if not ids:
            return
        _hold(session, ids)
        pending = _pending(session)
        pending.add(session, ids, -1)
    pending.people |= ids


def _pending(session: Session) -> _Pending:
    """This transaction's pending changes, started (and the clock read) on first use."""
    pending: _Pending | None = session.info.get(_PENDING)
    if pending is None:
        as_of = _clock(session, build=True)
        assert as_of is not None
        pending = session.info[_PENDING] = _Pending(as_of)
    return pending


def _hold(session: Session, ids: set[int]) -> None:
    """Hold these people until commit, so that of two transactions changing the same
    person, the second waits and then reads what the first committed. PostgreSQL: row
    locks, in id order (no deadlock between two such waits). SQLite: a write, which
    takes its single write lock now (its reads until a write see no lock at all)."""
    people = User.id.in_(sorted(ids))
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            sa.update(User)
            .where(people)
            .values(level=User.level)
            .execution_options(synchronize_session=False)
        )
    else:
        session.execute(sa.select(User.id).where(people).order_by(User.id).with_for_update()).all()


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def rebuild(session: Session, *, now: datetime) -> None:
    """Set right any stored deadline a write without the ORM left wrong, recount
    everything at `now` and move the clock there: after changes made without the ORM,
    and regularly (`flask dashboards refresh`) so that few dates lie between
    the clock and the moment a page asks. Blocks writers to the counts until commit."""
    session.flush()
    session.info.pop(_PENDING, None)
    deadlines.refresh(session)  # the statuses are counted from them
    session.execute(
        _upsert(session, StatusCountsClock.__table__)
        .values(id=1, as_of=now)
        .on_conflict_do_update(index_elements=["id"], set_={"as_of": now})
    )
    for summary in SUMMARIES:
        session.execute(sa.delete(summary.table))
    _insert_all(session, now)


def as_of(session: Session) -> datetime | None:
    """When the counts' statuses were taken; None if they were never built."""
    return session.execute(
        sa.select(StatusCountsClock.as_of).where(StatusCountsClock.id == 1)
    ).scalar()


def changed_between(first: datetime, second: datetime) -> sa.Select[Any]:
    """Ids of the requirements whose status may differ between two moments: a date it
    turns on (expiry, 30 days before expiry, the first deadline) lies between them."""
    low, high = min(first, second), max(first, second)

    def between(column: Any, start: datetime, end: datetime) -> sa.ColumnElement[bool]:
        return sa.and_(
            column > sa.literal(start, UTCDateTime()), column <= sa.literal(end, UTCDateTime())
        )

    with_pass = sa.select(Requirement.id).join(
        Completion,
        sa.and_(
            Completion.user_id == Requirement.user_id,
            Completion.check_id == Requirement.check_id,
        ),
    )
    return sa.union(
        with_pass.where(between(Completion.expires_at, low, high)),
        with_pass.where(between(Completion.expires_at, low + EXPIRING_SOON, high + EXPIRING_SOON)),
        sa.select(Requirement.id).where(between(Requirement.due_at, low, high)),
    )


def mismatches(session: Session) -> dict[tuple[str, tuple[Any, ...]], tuple[dict, dict]]:
    """(table, key) of stored counts differing from a recount: (stored, recounted), and
    ("requirements", (id,)) of stored overdue keys (quizapp.workforce.deadlines)
    differing from what they copy: (stored, right). Empty when all are right (counts
    never built are not compared). Sums of marks may differ by float rounding only."""
    wrong: dict[tuple[str, tuple[Any, ...]], tuple[dict, dict]] = {
        ("requirements", (requirement_id,)): keys
        for requirement_id, keys in deadlines.mismatches(session).items()
    }
    when = as_of(session)
    if when is None:
        return wrong
    for summary in SUMMARIES:
        zero = dict.fromkeys(summary.counts, 0)

        def read(statement: sa.Select[Any], summary: Summary = summary) -> dict:
            return {
                tuple(getattr(r, k) for k in summary.keys): {
                    n: getattr(r, n) or 0 for n in summary.counts
                }
                for r in session.execute(statement)
            }

        recount = read(summary.contributions(when))
        stored = read(sa.select(*summary.table.c))
        for key in stored.keys() | recount.keys():
            mine, theirs = stored.get(key, zero), recount.get(key, zero)
            if any(not math.isclose(mine[n], theirs[n], abs_tol=1e-6) for n in summary.counts):
                wrong[(summary.table.name, key)] = (mine, theirs)
    return wrong
