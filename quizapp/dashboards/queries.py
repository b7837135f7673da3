"""Every query behind the dashboards, written once, and the figures built from them.

Each page runs a fixed handful of aggregate statements (GROUP BY in the database,
never a row per person or per response into Python), so the number of statements does
not grow with agencies, people or attempts. Every statement is narrowed to the lead's
scope in SQL (`Scope.condition`). Completion status follows the rules of
quizapp.workforce.status, written as a CASE on `now` and `soon` bind parameters.

Definitions (shown on the pages too):
- People required: current people (not left, account active) with a requirement.
- Complete: holding a pass that expires in more than 30 days; expiring soon: within 30
  days; completion = complete + expiring soon, out of people required.
- First-attempt pass rate: first attempts (attempt number 1, so one per person and
  check) submitted in the period, and how many passed.
- Learning: over every submitted attempt in the period (first or not), the marks gained
  on the questions that test a finding out of the marks available, and of the wrong
  answers (a fraction of 0) the share given at certainty 3, "very sure".
- Attempt-based figures keep people who have since left (the attempts happened) and
  count them in the agency and team they belong to now.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    Agency,
    Attempt,
    Bank,
    BankVersion,
    Check,
    Finding,
    Question,
    Requirement,
    Response,
    Team,
    User,
    question_findings,
)
from ..models.tally import (
    COUNTS,
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
)
from ..models.types import UTCDateTime
from ..statistics.items import WRONG_FRACTION
from ..workforce import tally
from .periods import LONDON, Month, Period, reporting_year, reporting_year_of
from .scope import Scope

#: Label of the group of an agency's people who belong to no team.
NO_TEAM = "No team"


# ---------------------------------------------------------------------------------------
# Filters and the choices offered for them


@dataclass(frozen=True)
class Filters:
    period: Period
    check_id: int | None = None
    #: Partnership view only; an agency lead's scope is already one agency.
    agency_id: int | None = None
    team_id: int | None = None
    #: A competency level of people (User.level), e.g. "Level 3".
    level: str | None = None


@dataclass(frozen=True)
class Choices:
    checks: list[tuple[int, str]]
    #: Empty in an agency lead's scope.
    agencies: list[tuple[int, str]]
    #: Teams in scope; in the partnership view labelled "Agency: Team".
    teams: list[tuple[int, str]]
    levels: list[str]
    #: Agency id -> its sector (SECTORS); empty in an agency lead's scope.
    sectors: dict[int, str] = field(default_factory=dict)

    def group_labels(self, scope: Scope) -> dict[Any, str]:
        if scope.partnership:
            return dict(self.agencies)
        return {**dict(self.teams), None: NO_TEAM}


def choices(scope: Scope) -> Choices:
    """What the filters offer: only what is in scope. Five statements (four for an agency),
    none over every person."""
    checks = [
        (row.id, row.title)
        for row in db.session.execute(sa.select(Check.id, Check.title).order_by(Check.title))
    ]
    agencies: list[tuple[int, str]] = []
    sectors: dict[int, str] = {}
    if scope.partnership:
        rows = db.session.execute(
            sa.select(Agency.id, Agency.name, Agency.sector).order_by(Agency.name)
        ).all()
        agencies = [(row.id, row.name) for row in rows]
        sectors = {row.id: row.sector for row in rows}
        team_rows = db.session.execute(
            sa.select(Team.id, Team.name, Agency.name.label("agency"))
            .join(Agency, Agency.id == Team.agency_id)
            .order_by(Agency.name, Team.name)
        )
        teams = [(row.id, f"{row.agency}: {row.name}") for row in team_rows]
    else:
        teams = [
            (row.id, row.name)
            for row in db.session.execute(
                sa.select(Team.id, Team.name)
                .where(Team.agency_id == scope.agency_id)
                .order_by(Team.name)
            )
        ]
    return Choices(
        checks=checks, agencies=agencies, teams=teams, levels=level_choices(scope), sectors=sectors
    )


def level_choices(scope: Scope) -> list[str]:
    """The competency levels of the people in scope who have a figure to show: required
    to take a check now (StatusCount), or with an attempt (YearCount). Read from the
    summaries, hundreds of rows, not every person; a level held only by people with
    neither has nothing to filter, so it is not offered. If the summaries were never
    built, from the people themselves."""
    if tally.as_of(db.session) is None:
        return list(
            db.session.scalars(
                sa.select(User.level)
                .where(scope.condition(), User.level.is_not(None))
                .distinct()
                .order_by(User.level)
            )
        )
    held = []
    for table, counted in ((StatusCount, StatusCount.required), (YearCount, YearCount.people)):
        statement = sa.select(table.level).where(counted > 0, table.level != NO_LEVEL)
        if scope.agency_id is not None:
            statement = statement.where(table.agency_id == scope.agency_id)
        held.append(statement)
    union = sa.union(*held).subquery()
    return list(db.session.scalars(sa.select(union.c.level).order_by(union.c.level)))


def _people_conditions(scope: Scope, filters: Filters) -> list[sa.ColumnElement[bool]]:
    """Scope first, always; then the filters, which can only narrow it."""
    return [
        scope.condition(),
        *_filter_conditions(filters, User.agency_id, User.team_id, User.level),
    ]


def _filter_conditions(
    filters: Filters, agency: Any, team: Any, level: Any
) -> list[sa.ColumnElement[bool]]:
    conditions = []
    if filters.agency_id is not None:
        conditions.append(agency == filters.agency_id)
    if filters.team_id is not None:
        conditions.append(team == filters.team_id)
    if filters.level is not None:
        conditions.append(level == filters.level)
    return conditions


@dataclass
class StatusCounts:
    required: int = 0
    complete: int = 0
    expiring: int = 0
    due: int = 0
    overdue: int = 0

    @property
    def held(self) -> int:
        return self.complete + self.expiring

    def add(self, other: StatusCounts) -> None:
        self.required += other.required
        self.complete += other.complete
        self.expiring += other.expiring
        self.due += other.due
        self.overdue += other.overdue


STATUSES = tally.STATUSES


def status_counts(
    scope: Scope, filters: Filters, *, now: datetime, by_level: bool = False
) -> dict[tuple[Any, ...], StatusCounts]:
    """(group, check id) -> counts of people required and of each status; with
    `by_level`, (group, level, check id), NO_LEVEL for people with none. Three
    statements: the counts' clock, the stored counts (hundreds of rows), and what the
    clock moving on to `now` changed (the requirements with a date in between)."""
    as_of = tally.as_of(db.session)
    if as_of is None:  # never built: count from the requirements themselves
        return _counted(
            db.session.execute(_status_statement(scope, filters, now=now, by_level=by_level)),
            scope=scope,
            by_level=by_level,
        )
    group = _stored_group(scope, StatusCount)
    levels = [StatusCount.level.label("level")] if by_level else []
    stored = sa.select(
        group,
        *levels,
        StatusCount.check_id,
        *(sa.func.sum(getattr(StatusCount, name)).label(name) for name in COUNTS),
        # Read with the counts, in the same statement: a refresh committing between
        # the two reads can't pair new counts with the old moment.
        sa.select(StatusCountsClock.as_of).scalar_subquery().label("as_of"),
    ).group_by(group, *levels, StatusCount.check_id)
    for condition in _stored_conditions(scope, filters):
        stored = stored.where(condition)
    rows = db.session.execute(stored).all()
    counts = _counted(rows, scope=scope, by_level=by_level)
    if rows:
        as_of = rows[0].as_of
    moved = _moved_statement(scope, filters, as_of=as_of, now=now, by_level=by_level)
    for key, change in _counted(db.session.execute(moved), scope=scope, by_level=by_level).items():
        each = counts.setdefault(key, StatusCounts())
        for name in STATUSES:
            setattr(each, name, getattr(each, name) + getattr(change, name))
    return {key: value for key, value in counts.items() if value.required}


def _stored_group(scope: Scope, table: Any) -> Any:
    """A summary's column for the scope's rows: agency, or team key."""
    return (table.agency_id if scope.partnership else table.team_key).label("grp")


def _group_key(scope: Scope, value: Any) -> Any:
    """A group as the pages key it: a summary's team key for no team becomes None, as
    a person's team id would be."""
    return None if not scope.partnership and value == NO_TEAM_KEY else value


def _stored_conditions(
    scope: Scope, filters: Filters, table: Any = StatusCount
) -> list[sa.ColumnElement[bool]]:
    """_people_conditions on a summary table (the status counts unless told), and the
    check filter."""
    conditions = _filter_conditions(filters, table.agency_id, table.team_key, table.level)
    if scope.agency_id is not None:
        conditions.append(table.agency_id == scope.agency_id)
    if filters.check_id is not None:
        conditions.append(table.check_id == filters.check_id)
    return conditions


def _level_columns(by_level: bool) -> list[Any]:
    """A person's level as the summaries key it (NO_LEVEL for none), when asked for."""
    return [sa.func.coalesce(User.level, NO_LEVEL).label("level")] if by_level else []


def _status_statement(
    scope: Scope, filters: Filters, *, now: datetime, by_level: bool = False
) -> sa.Select[Any]:
    """Status counts straight from the requirements, at `now`."""
    group = scope.group_column().label("grp")
    levels = _level_columns(by_level)
    statement = tally.requirements_joined(
        sa.select(
            group,
            *levels,
            Requirement.check_id,
            sa.func.count().label("required"),
            *tally.status_sums(tally.status_case(now)),
        )
    ).where(*_people_conditions(scope, filters), *tally.current_people())
    if filters.check_id is not None:
        statement = statement.where(Requirement.check_id == filters.check_id)
    return statement.group_by(group, *levels, Requirement.check_id)


def _moved_statement(
    scope: Scope, filters: Filters, *, as_of: datetime, now: datetime, by_level: bool = False
) -> sa.Select[Any]:
    """Per group and check, each status at `now` less the same at `as_of`, over the
    requirements with a date between the two (no other status can differ)."""
    group = scope.group_column().label("grp")
    levels = _level_columns(by_level)
    then, later = tally.status_case(as_of, name="then"), tally.status_case(now)
    statement = tally.requirements_joined(
        sa.select(
            group,
            *levels,
            Requirement.check_id,
            sa.literal(0).label("required"),
            *(
                (
                    sa.func.sum(sa.case((later == name, 1), else_=0))
                    - sa.func.sum(sa.case((then == name, 1), else_=0))
                ).label(name)
                for name in STATUSES
            ),
        )
    ).where(
        *_people_conditions(scope, filters),
        *tally.current_people(),
        Requirement.id.in_(tally.changed_between(as_of, now)),
    )
    if filters.check_id is not None:
        statement = statement.where(Requirement.check_id == filters.check_id)
    return statement.group_by(group, *levels, Requirement.check_id)


def _counted(
    rows: Iterable[Any], *, scope: Scope, by_level: bool = False
) -> dict[tuple[Any, ...], StatusCounts]:
    """Rows of (grp, [level,] check_id, required, statuses...) as counts."""
    counts = {}
    for row in rows:
        group = _group_key(scope, row.grp)
        key = (group, row.level, row.check_id) if by_level else (group, row.check_id)
        counts[key] = StatusCounts(
            required=int(row.required or 0),
            complete=int(row.complete or 0),
            expiring=int(row.expiring or 0),
            due=int(row.due or 0),
            overdue=int(row.overdue or 0),
        )
    return counts


@dataclass
class PassCounts:
    attempted: int = 0
    passed: int = 0

    def add(self, other: PassCounts) -> None:
        self.attempted += other.attempted
        self.passed += other.passed


def first_attempt_counts(
    scope: Scope, filters: Filters, period: Period, *, by_level: bool = False
) -> dict[tuple[Any, ...], PassCounts]:
    """(group, check id) -> first attempts submitted in the period, and passes among them;
    with `by_level`, (group, level, check id). Attempt number 1 is unique per person and
    check, so each is a distinct person, and the months add up: one statement over the
    monthly counts (MonthCount), or over the attempts if the summaries were never built."""
    if tally.as_of(db.session) is not None:
        rows = _month_sums(
            scope, filters, period, ("first_attempts", "first_passed"), by_level=by_level
        )
        return {
            key: PassCounts(int(row.first_attempts), int(row.first_passed or 0))
            for key, row in rows
            if row.first_attempts
        }
    group = scope.group_column().label("grp")
    levels = _level_columns(by_level)
    statement = (
        sa.select(
            group,
            *levels,
            Attempt.check_id,
            sa.func.count().label("attempted"),
            sa.func.sum(sa.case((Attempt.passed.is_(True), 1), else_=0)).label("passed"),
        )
        .join(User, User.id == Attempt.user_id)
        .where(
            *_people_conditions(scope, filters),
            Attempt.number == 1,
            Attempt.submitted_at >= period.start,
            Attempt.submitted_at < period.end,
        )
        .group_by(group, *levels, Attempt.check_id)
    )
    if filters.check_id is not None:
        statement = statement.where(Attempt.check_id == filters.check_id)
    return {
        (row.grp, *([row.level] if by_level else []), row.check_id): PassCounts(
            row.attempted, int(row.passed or 0)
        )
        for row in db.session.execute(statement)
    }


def month_key(month: Month) -> int:
    """A month as MonthCount.month holds it: year * 100 + month, in UK time."""
    start = month.start.astimezone(LONDON)
    return start.year * 100 + start.month


def _month_sums(
    scope: Scope, filters: Filters, period: Period, names: Sequence[str], *, by_level: bool
) -> list[tuple[tuple[Any, ...], Any]]:
    """(group, [level,] check id) and the sums of these MonthCount columns over the
    period's months: one statement."""
    group = _stored_group(scope, MonthCount)
    levels = [MonthCount.level.label("level")] if by_level else []
    statement = (
        sa.select(
            group,
            *levels,
            MonthCount.check_id,
            *(sa.func.sum(getattr(MonthCount, name)).label(name) for name in names),
        )
        .where(
            MonthCount.month.in_([month_key(m) for m in period.months]),
            *_stored_conditions(scope, filters, MonthCount),
        )
        .group_by(group, *levels, MonthCount.check_id)
    )
    return [
        (
            (_group_key(scope, row.grp), *([row.level] if by_level else []), row.check_id),
            row,
        )
        for row in db.session.execute(statement)
    ]


def passes_by_month(scope: Scope, filters: Filters, period: Period) -> dict[int, tuple[int, int]]:
    """Month index -> (passes, distinct people passing): a person passing a check counts
    once per month and check, whatever their attempts. One statement. For one check (what
    the completion page's trend asks), passes and people are the same number, the sum of
    the monthly counts (MonthCount). Over every check, distinct people can't be summed
    from per-check rows, so it reads the attempts: the month is a CASE on the period's
    month boundaries (UK time), the same SQL on every database."""
    if filters.check_id is not None and tally.as_of(db.session) is not None:
        keys = {month_key(m): index for index, m in enumerate(period.months)}
        rows = db.session.execute(
            sa.select(MonthCount.month, sa.func.sum(MonthCount.people_passing).label("people"))
            .where(
                MonthCount.month.in_(list(keys)), *_stored_conditions(scope, filters, MonthCount)
            )
            .group_by(MonthCount.month)
        )
        return {keys[row.month]: (int(row.people), int(row.people)) for row in rows if row.people}
    month = sa.case(
        *(
            (
                sa.and_(Attempt.submitted_at >= m.start, Attempt.submitted_at < m.end),
                index,
            )
            for index, m in enumerate(period.months)
        ),
        else_=-1,
    ).label("month")
    passes = (
        sa.select(month, Attempt.user_id, Attempt.check_id)
        .join(User, User.id == Attempt.user_id)
        .where(
            *_people_conditions(scope, filters),
            Attempt.passed.is_(True),
            Attempt.submitted_at >= period.start,
            Attempt.submitted_at < period.end,
        )
        .distinct()
    )
    if filters.check_id is not None:
        passes = passes.where(Attempt.check_id == filters.check_id)
    passes_sq = passes.subquery("passes")
    rows = db.session.execute(
        sa.select(
            passes_sq.c.month,
            sa.func.count().label("passes"),
            sa.func.count(sa.distinct(passes_sq.c.user_id)).label("people"),
        ).group_by(passes_sq.c.month)
    )
    return {row.month: (row.passes, row.people) for row in rows if row.month >= 0}


def passes_in_period(
    scope: Scope, filters: Filters, period: Period, *, by_level: bool = False
) -> dict[tuple[Any, ...], int]:
    """(group, check id) -> people who passed the check in the period; with `by_level`,
    (group, level, check id). One statement. A month's figure is its monthly counts
    (MonthCount); over several months a person passing in two of them is one person, which
    month rows can't tell, so it reads the attempts (year_figures reads a reporting year's
    from YearCount)."""
    if len(period.months) == 1 and tally.as_of(db.session) is not None:
        return {
            key: int(row.people_passing)
            for key, row in _month_sums(
                scope, filters, period, ("people_passing",), by_level=by_level
            )
            if row.people_passing
        }
    group = scope.group_column().label("grp")
    levels = _level_columns(by_level)
    statement = (
        sa.select(group, *levels, Attempt.check_id, sa.func.count(sa.distinct(Attempt.user_id)))
        .join(User, User.id == Attempt.user_id)
        .where(
            *_people_conditions(scope, filters),
            Attempt.passed.is_(True),
            Attempt.submitted_at >= period.start,
            Attempt.submitted_at < period.end,
        )
        .group_by(group, *levels, Attempt.check_id)
    )
    if filters.check_id is not None:
        statement = statement.where(Attempt.check_id == filters.check_id)
    return {tuple(row[:-1]): row[-1] for row in db.session.execute(statement)}


# ---------------------------------------------------------------------------------------
# Learning: marks and certainty over responses


@dataclass
class MarkSums:
    people: int = 0
    marks: float = 0.0
    points: float = 0.0
    wrong: int = 0
    confidently_wrong: int = 0
    #: Distinct people who gave the wrong answers: the base of the "very sure" share.
    wrong_people: int = 0
    #: Distinct people who gave a wrong answer "very sure", and one not "very sure": the
    #: share's numerator and its complement.
    sure_people: int = 0
    unsure_people: int = 0

    def add(self, other: MarkSums) -> None:
        self.people += other.people
        self.marks += other.marks
        self.points += other.points
        self.wrong += other.wrong
        self.confidently_wrong += other.confidently_wrong
        self.wrong_people += other.wrong_people
        self.sure_people += other.sure_people
        self.unsure_people += other.unsure_people


def mark_sums(
    scope: Scope,
    filters: Filters,
    period: Period,
    *,
    by: Sequence[str],
    finding: tuple[str, str] | None = None,
) -> dict[tuple[Any, ...], MarkSums]:
    """Sums over scored responses in attempts submitted in the period, grouped `by` any of
    "group", "level", "check", "finding" (bank key, finding key) and "question" (bank key,
    question key). One statement. Findings and questions are matched across bank versions by key.

    `people` is distinct people per group; since every person is in one agency and one
    team, the people of a scope's groups add up to its total. Without "question", the
    sums come from the attempts' recorded marks (AttemptMarks), a row per attempt and
    finding rather than per response. What the yearly learning counts hold (a reporting
    year, per check and item) comes from them instead (_stored_learning)."""
    stored = _stored_learning(scope, filters, period, by=by, finding=finding)
    if stored is not None:
        return stored
    if "question" in by:
        return _response_sums(scope, filters, period, by=by, finding=finding)
    per_finding = "finding" in by or finding is not None
    scoped = _scoped_attempts(scope, filters, period)
    available: dict[str, list[Any]] = {
        "group": [scoped.c.grp],
        "level": [scoped.c.level],
        "check": [scoped.c.check_id],
        "finding": [
            AttemptMarks.bank_key.label("bank_key"),
            AttemptMarks.finding_key.label("finding_key"),
        ],
    }
    columns: list[Any] = [column for name in by for column in available[name]]
    per_person = (
        sa.select(
            *columns,
            scoped.c.user_id,
            sa.func.sum(AttemptMarks.marks).label("marks"),
            sa.func.sum(AttemptMarks.points).label("points"),
            sa.func.sum(AttemptMarks.wrong).label("wrong"),
            sa.func.sum(AttemptMarks.confidently_wrong).label("sure"),
            sa.func.sum(AttemptMarks.wrong - AttemptMarks.confidently_wrong).label("unsure"),
        )
        .select_from(scoped)
        .join(AttemptMarks, AttemptMarks.attempt_id == scoped.c.attempt_id)
        .where(
            AttemptMarks.finding_key != WHOLE_ATTEMPT
            if per_finding
            else AttemptMarks.finding_key == WHOLE_ATTEMPT
        )
    )
    if finding is not None:
        per_person = per_person.where(
            AttemptMarks.bank_key == finding[0], AttemptMarks.finding_key == finding[1]
        )
    return _people_sums(per_person.group_by(*columns, scoped.c.user_id), columns)


def _stored_learning(
    scope: Scope,
    filters: Filters,
    period: Period,
    *,
    by: Sequence[str],
    finding: tuple[str, str] | None = None,
) -> dict[tuple[Any, ...], MarkSums] | None:
    """mark_sums from the yearly counts (YearCount for whole attempts, FindingYearCount,
    QuestionYearCount), or None when they can't give it: never built, a period other
    than a reporting year, or a grouping whose people can't be added up from their rows.
    Rows of different places hold different people, so their sums add up to distinct
    people; rows of different checks or items may hold the same person, so "check" must
    be in `by`, and so must the item ("finding", "question"), unless one finding is
    asked for or whole attempts are. One statement over a few hundred rows per check;
    whether the counts were built is asked only when it finds no row (built counts
    with nothing in scope, or never built), so a page sends no more statements than
    it did reading the attempts."""
    if "check" not in by:
        return None
    year = reporting_year_of(period.start)
    if period.months != reporting_year(year).months:
        return None
    table: Any
    if "question" in by:
        if finding is not None or "finding" in by:
            return None
        table, item = (
            QuestionYearCount,
            [QuestionYearCount.bank_key, QuestionYearCount.question_key],
        )
    elif "finding" in by or finding is not None:
        table, item = FindingYearCount, [FindingYearCount.bank_key, FindingYearCount.finding_key]
    else:
        table, item = YearCount, []
    available: dict[str, list[Any]] = {
        "group": [_stored_group(scope, table)],
        "level": [table.level.label("level")],
        "check": [table.check_id],
        "finding": item,
        "question": item,
    }
    columns = [column for name in by for column in available[name]]
    statement = (
        sa.select(*columns, *(sa.func.sum(getattr(table, name)).label(name) for name in SUMMED))
        .where(table.reporting_year == year, *_stored_conditions(scope, filters, table))
        .group_by(*columns)
    )
    if finding is not None:
        statement = statement.where(
            FindingYearCount.bank_key == finding[0], FindingYearCount.finding_key == finding[1]
        )
    group_at = (
        [name for name in by for _ in available[name]].index("group") if "group" in by else None
    )
    found = _mark_sums(statement, len(columns))
    if not found and tally.as_of(db.session) is None:
        return None
    sums = {}
    for key, value in found.items():
        if not value.people:
            continue  # a row left at zeros by people moving away
        if group_at is not None:
            key = (*key[:group_at], _group_key(scope, key[group_at]), *key[group_at + 1 :])
        sums[key] = value
    return sums


def _scoped_attempts(scope: Scope, filters: Filters, period: Period) -> Any:
    """The scope's attempts submitted in the period (of the check, if one is chosen), with
    their person's group and level as the pages key them: where every learning statement
    starts, so the work follows the attempts in scope, not every attempt's rows.
    Materialized: PostgreSQL would otherwise fold it into the statement and may plan
    from all the responses instead (3.3 s for an agency at a million people)."""
    attempts = (
        sa.select(
            Attempt.id.label("attempt_id"),
            Attempt.user_id.label("user_id"),
            Attempt.check_id.label("check_id"),
            scope.group_column().label("grp"),
            sa.func.coalesce(User.level, NO_LEVEL).label("level"),
        )
        .join(User, User.id == Attempt.user_id)
        .where(
            *_people_conditions(scope, filters),
            Attempt.submitted_at >= period.start,
            Attempt.submitted_at < period.end,
        )
    )
    if filters.check_id is not None:
        attempts = attempts.where(Attempt.check_id == filters.check_id)
    return attempts.cte("scoped").prefix_with("MATERIALIZED")


#: What _people_statement sums, after its keys.
SUMMED = (
    "people",
    "marks",
    "points",
    "wrong",
    "confidently_wrong",
    "wrong_people",
    "sure_people",
    "unsure_people",
)


def _people_sums(
    per_person: sa.Select[Any], columns: Sequence[Any]
) -> dict[tuple[Any, ...], MarkSums]:
    return _mark_sums(_people_statement(per_person, columns), len(columns))


def _people_statement(per_person: sa.Select[Any], columns: Sequence[Any]) -> sa.Select[Any]:
    """The sums per key (`columns`) from rows of a person's sums per key (columns,
    user_id, marks, points, wrong, sure, unsure): a person is one row per key, so people
    are counted by counting rows, without COUNT(DISTINCT)."""
    rows = per_person.subquery("per_person")
    keys = [rows.c[column.name] for column in columns]
    statement = sa.select(
        *keys,
        sa.func.count().label("people"),
        sa.func.coalesce(sa.func.sum(rows.c.marks), 0.0).label("marks"),
        sa.func.coalesce(sa.func.sum(rows.c.points), 0).label("points"),
        sa.func.sum(rows.c.wrong).label("wrong"),
        sa.func.sum(rows.c.sure).label("confidently_wrong"),
        sa.func.sum(sa.case((rows.c.wrong > 0, 1), else_=0)).label("wrong_people"),
        sa.func.sum(sa.case((rows.c.sure > 0, 1), else_=0)).label("sure_people"),
        sa.func.sum(sa.case((rows.c.unsure > 0, 1), else_=0)).label("unsure_people"),
    )
    if keys:
        statement = statement.group_by(*keys)
    return statement


def _mark_sums(statement: sa.Select[Any], keys: int) -> dict[tuple[Any, ...], MarkSums]:
    result: dict[tuple[Any, ...], MarkSums] = {}
    for row in db.session.execute(statement):
        result[tuple(row[:keys])] = MarkSums(
            people=int(row.people or 0),
            marks=float(row.marks or 0.0),
            points=float(row.points or 0),
            wrong=int(row.wrong or 0),
            confidently_wrong=int(row.confidently_wrong or 0),
            wrong_people=int(row.wrong_people or 0),
            sure_people=int(row.sure_people or 0),
            unsure_people=int(row.unsure_people or 0),
        )
    return result


def _response_sums(
    scope: Scope,
    filters: Filters,
    period: Period,
    *,
    by: Sequence[str],
    finding: tuple[str, str] | None = None,
) -> dict[tuple[Any, ...], MarkSums]:
    """mark_sums from the responses themselves: per question needs them.

    Three steps, so the work follows the attempts in scope rather than all responses:
    the scope's attempts submitted in the period (from the check and submission time,
    or the scope's people), their responses by attempt id (the responses' unique index
    on attempt and question), and a row per person and key (questions and banks are
    small, joined by hash). Each person's row holds their sums and counts of wrong,
    "very sure" wrong and other wrong answers, so the distinct-people counts are plain
    counts of rows: no COUNT(DISTINCT) over responses."""
    needs_finding = "finding" in by or finding is not None
    scoped = _scoped_attempts(scope, filters, period)
    # The scored questions with the key they are counted under (a finding's, with
    # findings), and a number for each key (its smallest question or finding id), so
    # the rows grouped per person carry a number, not two strings.
    item = Finding if "finding" in by else Question
    keyed = (
        sa.select(
            Question.id.label("question_id"),
            Question.points.label("points"),
            Bank.key.label("bank_key"),
            item.key.label("item_key"),
            sa.func.min(item.id).over(partition_by=(Bank.key, item.key)).label("key_id"),
        )
        .join(BankVersion, BankVersion.id == Question.version_id)
        .join(Bank, Bank.id == BankVersion.bank_id)
        .where(Question.points > 0)
    )
    if needs_finding:
        keyed = keyed.join(question_findings, question_findings.c.question_id == Question.id).join(
            Finding, Finding.id == question_findings.c.finding_id
        )
    if finding is not None:
        keyed = keyed.where(Bank.key == finding[0], Finding.key == finding[1])
    keys = keyed.cte("question_keys").prefix_with("MATERIALIZED")
    item_name = "finding" if "finding" in by else "question"
    available: dict[str, list[Any]] = {
        "group": [scoped.c.grp],
        "level": [scoped.c.level],
        "check": [scoped.c.check_id],
        item_name: [keys.c.key_id],
    }
    columns: list[Any] = [column for name in by for column in available[name]]
    wrong = Response.fraction <= WRONG_FRACTION
    sure = sa.and_(wrong, Response.certainty == 3)
    unsure = sa.and_(wrong, sa.func.coalesce(Response.certainty, 0) != 3)
    per_person = (
        sa.select(
            *columns,
            scoped.c.user_id,
            sa.func.sum(Response.mark).label("marks"),
            sa.func.sum(keys.c.points).label("points"),
            sa.func.sum(sa.case((wrong, 1), else_=0)).label("wrong"),
            sa.func.sum(sa.case((sure, 1), else_=0)).label("sure"),
            sa.func.sum(sa.case((unsure, 1), else_=0)).label("unsure"),
        )
        .select_from(scoped)
        .join(Response, Response.attempt_id == scoped.c.attempt_id)
        # "+ 0": SQLite must not reach the responses from the keys (a probe per attempt
        # and question of every bank version) but the keys from each response.
        .join(keys, keys.c.question_id == Response.question_id + 0)
        .where(Response.fraction.is_not(None))
        .group_by(*columns, scoped.c.user_id)
    )
    sums = _people_statement(per_person, columns)
    if item_name not in by:
        return _mark_sums(sums, len(columns))
    # The key's number back to its bank key and key, on the few summed rows.
    sums_sq = sums.subquery("sums")
    labels = sa.select(keys.c.key_id, keys.c.bank_key, keys.c.item_key).distinct().subquery()
    named: list[Any] = []
    for name in by:
        if name == item_name:
            named += [labels.c.bank_key, labels.c.item_key.label(f"{item_name}_key")]
        else:
            named += [sums_sq.c[column.name] for column in available[name]]
    statement = sa.select(*named, *(sums_sq.c[name] for name in SUMMED)).join(
        labels, labels.c.key_id == sums_sq.c.key_id
    )
    return _mark_sums(statement, len(named))


@dataclass(frozen=True)
class FindingLabel:
    bank_key: str
    bank_title: str
    key: str
    kind: str
    text: str


def finding_labels() -> dict[tuple[str, str], FindingLabel]:
    """(bank key, finding key) -> the finding as its latest published version words it.
    One statement."""
    rows = db.session.execute(
        sa.select(
            Bank.key.label("bank_key"),
            Bank.title.label("bank_title"),
            Finding.key,
            Finding.kind,
            Finding.text,
        )
        .join(BankVersion, BankVersion.id == Finding.version_id)
        .join(Bank, Bank.id == BankVersion.bank_id)
        .where(BankVersion.status == "published")
        .order_by(Bank.title, BankVersion.number, Finding.position)
    )
    labels: dict[tuple[str, str], FindingLabel] = {}
    for row in rows:  # later versions overwrite earlier ones
        labels[(row.bank_key, row.key)] = FindingLabel(
            row.bank_key, row.bank_title, row.key, row.kind, row.text
        )
    return labels


def question_prompts(bank_keys: Iterable[str]) -> dict[tuple[str, str], tuple[str, int]]:
    """(bank key, question key) -> (prompt, position) in the latest published version that
    has the question. One statement."""
    keys = sorted(set(bank_keys))
    if not keys:
        return {}
    rows = db.session.execute(
        sa.select(Bank.key.label("bank_key"), Question.key, Question.spec, Question.position)
        .join(BankVersion, BankVersion.id == Question.version_id)
        .join(Bank, Bank.id == BankVersion.bank_id)
        .where(Bank.key.in_(keys), BankVersion.status == "published")
        .order_by(BankVersion.number)
    )
    return {
        (row.bank_key, row.key): (str(row.spec.get("prompt", row.key)), row.position)
        for row in rows
    }


def question_finding_keys() -> dict[tuple[str, str], list[tuple[str, str]]]:
    """(bank key, question key) -> the (bank key, finding key) of the findings it tests in
    the latest published version that has it. One statement."""
    rows = db.session.execute(
        sa.select(
            Bank.key.label("bank_key"),
            Question.key.label("question_key"),
            BankVersion.number,
            Finding.key,
        )
        .select_from(Question)
        .join(question_findings, question_findings.c.question_id == Question.id)
        .join(Finding, Finding.id == question_findings.c.finding_id)
        .join(BankVersion, BankVersion.id == Question.version_id)
        .join(Bank, Bank.id == BankVersion.bank_id)
        .where(BankVersion.status == "published")
        .order_by(BankVersion.number.desc(), Finding.position)
    )
    found: dict[tuple[str, str], list[tuple[str, str]]] = {}
    version: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (row.bank_key, row.question_key)
        if version.setdefault(key, row.number) != row.number:
            continue  # an older version of the question
        found.setdefault(key, []).append((row.bank_key, row.key))
    return found


@dataclass(frozen=True)
class OverdueRow:
    user_id: int
    name: str
    email: str
    team: str
    check: str
    due: datetime
    #: When they last started or submitted an attempt at the check, if ever.
    last_attempt: datetime | None

    def days_overdue(self, now: datetime) -> int:
        """Whole days since the due date, in UK time (0 on the day it fell due)."""
        return (now.astimezone(LONDON).date() - self.due.astimezone(LONDON).date()).days


@dataclass(frozen=True)
class OverduePage:
    rows: list[OverdueRow]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _overdue_keys(scope: Scope, filters: Filters, now: datetime) -> sa.Select[Any]:
    """The agency's overdue requirements with what they are listed by: the deadline, the
    person's name and the check's title, as the requirement stores them (copies kept in
    step by quizapp.workforce.deadlines), so that ix_requirements_overdue_order gives
    the agency's overdue requirements in the list's order. The scope is the agency the
    requirement stores too: the same as the person's, and asking the person's as well
    would have PostgreSQL count the agency's share twice (it takes the two conditions
    as independent), expect a few dozen rows, and sort them all rather than read the
    first hundred in order. The person is still joined for the team and level filters
    and whether they count."""
    if not scope.named:
        raise PermissionError("named status is for an agency's own lead only")
    assert scope.agency_id is not None
    statement = (
        sa.select(
            Requirement.id.label("requirement_id"),
            Requirement.user_id.label("user_id"),
            Requirement.person_name.label("name"),
            Requirement.check_title.label("check"),
            tally.deadline().label("due"),
        )
        .select_from(Requirement)
        .join(User, User.id == Requirement.user_id)
        .where(
            Requirement.agency_id == scope.agency_id,
            *_filter_conditions(filters, Requirement.agency_id, User.team_id, User.level),
            *tally.current_people(),
            *_overdue(now),
        )
    )
    if filters.check_id is not None:
        statement = statement.where(Requirement.check_id == filters.check_id)
    return statement


def _overdue_details(keys: Any) -> sa.Select[Any]:
    """These overdue requirements (a subquery of _overdue_keys) with the person's email
    and team and their last attempt at the check, in list order: what is shown of each,
    read only for the rows listed. The person's own agency is asked again here, on these
    rows only: should the requirement's copy of it ever be wrong, a row would go missing
    rather than show someone of another agency."""
    last_attempt = (
        sa.select(sa.func.max(sa.func.coalesce(Attempt.submitted_at, Attempt.started_at)))
        .where(Attempt.user_id == keys.c.user_id, Attempt.check_id == Requirement.check_id)
        .scalar_subquery()
    )
    return (
        sa.select(
            keys.c.user_id,
            keys.c.name,
            User.email.label("email"),
            Team.name.label("team"),
            keys.c.check,
            sa.type_coerce(keys.c.due, UTCDateTime()).label("due"),
            sa.type_coerce(last_attempt, UTCDateTime()).label("last_attempt"),
        )
        .select_from(keys)
        .join(Requirement, Requirement.id == keys.c.requirement_id)
        .join(
            User,
            sa.and_(User.id == keys.c.user_id, User.agency_id == Requirement.agency_id),
        )
        .outerjoin(Team, Team.id == User.team_id)
        .order_by(*_overdue_order(keys))
    )


def _overdue_order(keys: Any) -> list[Any]:
    """Oldest deadline first, then by name, check and person."""
    return [keys.c.due, keys.c.name, keys.c.check, keys.c.user_id]


def _overdue(now: datetime) -> list[sa.ColumnElement[bool]]:
    """status_of(...) == OVERDUE as a condition on the requirement alone, which the
    database can estimate and read from an index: its stored deadline (the later of the
    first deadline and the pass's expiry) has passed. That is the first deadline having
    passed with no pass that holds now: a person has at most one pass of a check."""
    at = sa.bindparam("overdue_at", now, type_=UTCDateTime())
    return [tally.deadline() <= at]


def _overdue_row(row: Any) -> OverdueRow:
    return OverdueRow(
        row.user_id, row.name, row.email, row.team or "", row.check, row.due, row.last_attempt
    )


def overdue_people(scope: Scope, filters: Filters, *, now: datetime) -> list[OverdueRow]:
    """Every overdue requirement of the agency's current people, oldest deadline first.
    One statement. Agency leads only: the only place a dashboard names anyone."""
    return list(each_overdue(scope, filters, now=now))


def each_overdue(
    scope: Scope, filters: Filters, *, now: datetime, chunk: int = 1000
) -> Iterator[OverdueRow]:
    """overdue_people one row at a time, read from the database `chunk` rows at a time
    (a server-side cursor on PostgreSQL), for a CSV written as it is read."""
    keys = _overdue_keys(scope, filters, now).subquery("overdue")
    result = db.session.execute(_overdue_details(keys).execution_options(yield_per=chunk))
    for row in result:
        yield _overdue_row(row)


def overdue_page(
    scope: Scope, filters: Filters, *, now: datetime, page: int, per_page: int = 100
) -> OverduePage:
    """One page of overdue_people. The total is the overdue count of the status counts
    (status_counts: the same requirements, counted from the summaries); the page's rows
    are chosen by their keys alone (deadline, name, check) and only those rows are read
    in full, with their last attempts."""
    total = sum(count.overdue for count in status_counts(scope, filters, now=now).values())
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    keys = _overdue_keys(scope, filters, now).subquery("all_overdue")
    chosen = (
        sa.select(keys)
        .order_by(*_overdue_order(keys))
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).subquery("overdue")
    rows = [_overdue_row(row) for row in db.session.execute(_overdue_details(chosen))]
    return OverduePage(rows, page, per_page, total)


YearFigures = tuple[
    dict[tuple[Any, ...], PassCounts], dict[tuple[Any, ...], int], dict[tuple[Any, ...], MarkSums]
]


def year_figures(scope: Scope, filters: Filters, *, by_level: bool = False) -> YearFigures:
    """For a reporting year (filters.period), per group and check (and level, with
    `by_level`): first attempts and passes among them, people passing, and mark sums. One
    statement over the yearly counts (YearCount); straight from the attempts if the
    summaries were never built."""
    period = filters.period
    if tally.as_of(db.session) is None:
        by = ("group", "level", "check") if by_level else ("group", "check")
        return (
            first_attempt_counts(scope, filters, period, by_level=by_level),
            passes_in_period(scope, filters, period, by_level=by_level),
            mark_sums(scope, filters, period, by=by),
        )
    group = _stored_group(scope, YearCount)
    levels = [YearCount.level.label("level")] if by_level else []
    statement = (
        sa.select(
            group,
            *levels,
            YearCount.check_id,
            *(sa.func.sum(getattr(YearCount, name)).label(name) for name in YEAR_COUNTS),
        )
        .where(YearCount.reporting_year == reporting_year_of(period.start))
        .group_by(group, *levels, YearCount.check_id)
    )
    if scope.agency_id is not None:
        statement = statement.where(YearCount.agency_id == scope.agency_id)
    if filters.check_id is not None:
        statement = statement.where(YearCount.check_id == filters.check_id)
    first: dict[tuple[Any, int], PassCounts] = {}
    passed: dict[tuple[Any, int], int] = {}
    sums: dict[tuple[Any, ...], MarkSums] = {}
    for row in db.session.execute(statement):
        group_key = _group_key(scope, row.grp)
        key = (group_key, row.level, row.check_id) if by_level else (group_key, row.check_id)
        if row.first_attempts:
            first[key] = PassCounts(int(row.first_attempts), int(row.first_passed))
        if row.people_passing:
            passed[key] = int(row.people_passing)
        if row.people:
            sums[key] = MarkSums(
                people=int(row.people),
                marks=float(row.marks),
                points=float(row.points),
                wrong=int(row.wrong),
                confidently_wrong=int(row.confidently_wrong),
                wrong_people=int(row.wrong_people),
                sure_people=int(row.sure_people),
                unsure_people=int(row.unsure_people),
            )
    return first, passed, sums
