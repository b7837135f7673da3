"""The dashboards' queries use the indexes made for them (issue 8), on both databases.

Migration 0006 added indexes for the dashboard queries. An index nobody's plan uses
costs every write and helps no read, and a query reshaped later can silently stop
using its index, a regression only a big database would show. So this test seeds a
partnership big enough for the choice to matter (`quizapp.bench.seed`: 4,000 people
in 20 agencies, 10 checks, two attempts each, so about 19,000 requirements, 8,000
attempts and 2,000 stored count rows), runs ANALYZE so the planner knows the sizes,
calls the real dashboard query functions, records the SQL they send (a
`before_cursor_execute` listener, so the test follows the code as it changes), and
asks the database how it would run each statement:

- PostgreSQL: `EXPLAIN (FORMAT JSON)`; the indexes are the plan tree's "Index Name"
  entries (index scans, index-only scans and bitmap index scans).
- SQLite: `EXPLAIN QUERY PLAN`; the indexes are named in "USING [COVERING] INDEX name".
  SQLite names a UNIQUE constraint's index `sqlite_autoindex_<table>_<n>`; that is
  mapped back to the constraint's name, the name PostgreSQL gives the index.

What each query must use:

- The stored counts of an agency lead's scope (`queries.status_counts`, the SELECT on
  status_counts): `uq_status_counts_agency_id_team_key_level_check_id`, whose leading
  column is agency_id.
- What changed since the counts' clock, a day ago (`queries.status_counts`, the
  statement with `tally.changed_between`'s UNION): `ix_completions_expires_at` (expiry
  and 30 days before expiry) and `ix_requirements_due_at` (first deadlines).
- Passes by month over every check, over a rolling 3-month period
  (`queries.passes_by_month`, which reads the attempts), for an agency lead and for the
  whole partnership: `ix_attempts_submitted_at`.
- First attempts from the monthly counts (`queries.first_attempt_counts`), for an agency
  lead and narrowed to one team: the month_counts unique index, led by agency_id (the
  whole partnership's may scan them: no index is asked for).
- An agency's overdue page (`queries.overdue_page`, the statement choosing the page's
  keys): `ix_requirements_overdue_order` (migrations 0022 and 0023), which holds the
  agency's requirements in the list's order (deadline, name, check, person), so a page
  can be read from it instead of sorting all of the agency's overdue requirements
  (SQLite does at this size; PostgreSQL reads the agency's rows by it and sorts them
  until the agency is bigger). The overdue list narrowed to one team
  (`queries.overdue_people`): that index or `ix_users_team_id`.
- One check's first attempts and passes by month from the monthly counts:
  `ix_month_counts_check_id_month`; its learning: `ix_attempts_check_id_submitted_at`.
- An agency's learning: its attempts in the period from `ix_users_agency_id` (its
  people) or the attempts' submission-time indexes; either planner may take either.
- Learning then reads those attempts' rows by attempt id: attempt marks' primary key,
  and the responses' unique (attempt, question) index per question.
- An agency's yearly report: the year_counts unique index, led by agency_id.
- The learning cube of a reporting year (`queries.mark_sums` per finding and per
  question, from the yearly learning counts): an agency's from the tables' unique
  indexes, led by agency_id; one check's over the partnership from
  `ix_finding_year_counts_check_id_reporting_year` and its question twin.

Each plan is the planner's own choice at this size: nothing here turns scans off.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from quizapp.bench import seed
from quizapp.dashboards import queries
from quizapp.dashboards.periods import reporting_year, reporting_year_of, rolling
from quizapp.dashboards.scope import Scope
from quizapp.extensions import db
from quizapp.models import Agency, Team, utcnow

#: Big enough that the planner weighs an index against a scan (and, on PostgreSQL, that
#: each table spans many pages); small enough to seed in a few seconds.
PEOPLE = 4_000
AGENCIES = 20
CHECKS = 10

STATUS_COUNTS_INDEX = "uq_status_counts_agency_id_team_key_level_check_id"
EXPIRES_INDEX = "ix_completions_expires_at"
DUE_INDEX = "ix_requirements_due_at"
SUBMITTED_INDEX = "ix_attempts_submitted_at"
CHECK_SUBMITTED_INDEX = "ix_attempts_check_id_submitted_at"
TEAM_INDEX = "ix_users_team_id"
AGENCY_INDEX = "ix_users_agency_id"
OVERDUE_INDEX = "ix_requirements_overdue_order"
#: Attempt marks' primary key (attempt_id, finding_key), as each database names it.
MARKS_KEY = {"pk_attempt_marks", "sqlite_autoindex_attempt_marks_1"}
RESPONSES_KEY = {"uq_responses_attempt_id_question_id"}
YEAR_COUNTS_INDEX = "uq_year_counts_agency_id_team_key_level_check_id_reporting_year"
MONTH_COUNTS_INDEX = "uq_month_counts_agency_id_team_key_level_check_id_month"
MONTH_CHECK_INDEX = "ix_month_counts_check_id_month"
FINDING_COUNTS_INDEX = "uq_finding_year_counts_key"
QUESTION_COUNTS_INDEX = "uq_question_year_counts_key"
FINDING_CHECK_INDEX = "ix_finding_year_counts_check_id_reporting_year"
QUESTION_CHECK_INDEX = "ix_question_year_counts_check_id_reporting_year"


@dataclass(frozen=True)
class Seeded:
    now: datetime
    agency_id: int
    team_id: int


@pytest.fixture
def seeded(app) -> Iterator[Seeded]:
    now = utcnow()
    seed(people=PEOPLE, agencies=AGENCIES, checks=CHECKS, attempts_per_person=2, now=now)
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()
    agency_id = db.session.scalar(sa.select(Agency.id).order_by(Agency.id))
    team_id = db.session.scalar(
        sa.select(Team.id).where(Team.agency_id == agency_id).order_by(Team.id)
    )
    assert agency_id is not None and team_id is not None
    yield Seeded(now=now, agency_id=agency_id, team_id=team_id)
    db.session.rollback()
    if db.engine.dialect.name == "sqlite":
        # The statistics outlive the emptied tables in the session's shared database:
        # drop them, so later tests plan as they would have without this one.
        db.session.execute(sa.text("DELETE FROM sqlite_stat1"))
        db.session.commit()


# ---------------------------------------------------------------------------------------
# Recording the statements the dashboards send, and their plans


@contextmanager
def executed() -> Iterator[list[tuple[str, Any]]]:
    """The (SQL, parameters) of every statement sent while in the block."""
    statements: list[tuple[str, Any]] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        if not executemany:
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def only(statements: list[tuple[str, Any]], pattern: str) -> tuple[str, Any]:
    """The one statement whose SQL matches `pattern`."""
    matching = [s for s in statements if re.search(pattern, s[0])]
    sent = "\n---\n".join(sql for sql, _ in statements)
    assert len(matching) == 1, f"expected one statement matching {pattern!r}, sent:\n{sent}"
    return matching[0]


@dataclass(frozen=True)
class Plan:
    indexes: frozenset[str]
    #: The plan, readable, for failure messages and -s runs.
    text: str


def plan_of(sql: str, parameters: Any) -> Plan:
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        found = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql, parameters).scalar()
        return _postgres_plan(json.loads(found) if isinstance(found, str) else found)
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, parameters).all()
    return _sqlite_plan([(row[0], row[1], row[3]) for row in rows])


def _postgres_plan(explained: list[dict[str, Any]]) -> Plan:
    names: set[str] = set()
    lines: list[str] = []

    def walk(node: dict[str, Any], depth: int) -> None:
        line = node["Node Type"]
        if "Relation Name" in node:
            line += f" on {node['Relation Name']}"
        if "Index Name" in node:
            names.add(node["Index Name"])
            line += f" using {node['Index Name']}"
        lines.append("  " * depth + line)
        for child in node.get("Plans", ()):
            walk(child, depth + 1)

    for entry in explained:
        walk(entry["Plan"], 0)
    return Plan(frozenset(names), "\n".join(lines))


_SQLITE_INDEX = re.compile(r"\bUSING (?:COVERING )?INDEX (\S+)")


def _sqlite_plan(rows: list[tuple[int, int, str]]) -> Plan:
    depth = {0: -1}
    lines, names = [], set()
    for node, parent, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
        match = _SQLITE_INDEX.search(detail)
        if match:
            names.add(_sqlite_index_name(match.group(1)))
    return Plan(frozenset(names), "\n".join(lines))


def _sqlite_index_name(name: str) -> str:
    """An automatic index of a UNIQUE constraint by the constraint's name."""
    if not name.startswith("sqlite_autoindex_"):
        return name
    connection = db.session.connection()
    table = connection.exec_driver_sql(
        "SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name = ?", (name,)
    ).scalar_one()
    columns = [row[2] for row in connection.exec_driver_sql(f'PRAGMA index_info("{name}")').all()]
    for constraint in sa.inspect(connection).get_unique_constraints(table):
        if constraint["column_names"] == columns and constraint["name"]:
            return constraint["name"]
    return name


# ---------------------------------------------------------------------------------------
# The checks


def plans(call: Callable[[], object], **patterns: str) -> dict[str, Plan]:
    """Run one dashboard query function; the plans of its statements named by pattern."""
    with executed() as statements:
        call()
    return {name: plan_of(*only(statements, pattern)) for name, pattern in patterns.items()}


def test_dashboard_queries_use_their_indexes(seeded: Seeded) -> None:
    agency = Scope(agency_id=seeded.agency_id)
    partnership = Scope(agency_id=None)
    period = rolling(3, seeded.now)
    everyone = queries.Filters(period=period)
    one_team = queries.Filters(period=period, team_id=seeded.team_id)
    # The counts' clock stands at the seeding; a page a day later adds what moved since.
    later = seeded.now + timedelta(days=1)

    found: dict[str, Plan] = {}
    found |= plans(
        lambda: queries.status_counts(agency, everyone, now=later),
        stored=r"\bFROM status_counts\b",
        moved=r"\bUNION\b",
    )
    for name, scope in (("agency", agency), ("partnership", partnership)):
        found |= plans(
            lambda scope=scope: queries.first_attempt_counts(scope, everyone, period),
            **{f"first attempts, {name}": r"\bFROM month_counts\b"},
        )
        found |= plans(
            lambda scope=scope: queries.passes_by_month(scope, everyone, period),
            **{f"passes by month, {name}": r"\bFROM attempts\b"},
        )
    found |= plans(
        lambda: queries.first_attempt_counts(agency, one_team, period),
        **{"first attempts, one team": r"\bFROM month_counts\b"},
    )
    found |= plans(
        lambda: queries.overdue_people(agency, one_team, now=later),
        **{"overdue, one team": r"\bFROM requirements\b"},
    )
    found |= plans(
        lambda: queries.overdue_page(agency, everyone, now=later, page=1),
        **{"overdue page, agency": r"\bLIMIT\b.*\bOFFSET\b"},
    )
    one_check = queries.Filters(period=period, check_id=1)
    found |= plans(
        lambda: queries.first_attempt_counts(partnership, one_check, period),
        **{"first attempts, one check": r"\bFROM month_counts\b"},
    )
    found |= plans(
        lambda: queries.passes_by_month(partnership, one_check, period),
        **{"passes by month, one check": r"\bFROM month_counts\b"},
    )
    # Learning starts from the scope's attempts in the period (an agency's from its
    # people or the period, one check's from the check), then reads their attempt marks
    # or responses by attempt id.
    found |= plans(
        lambda: queries.mark_sums(agency, everyone, period, by=("group", "finding")),
        **{"learning, agency": r"\bJOIN attempt_marks\b"},
    )
    found |= plans(
        lambda: queries.mark_sums(partnership, one_check, period, by=("group", "finding")),
        **{"learning, one check": r"\bJOIN attempt_marks\b"},
    )
    found |= plans(
        lambda: queries.mark_sums(agency, one_check, period, by=("group", "question")),
        **{"learning per question, agency": r"\bJOIN responses\b"},
    )
    year = queries.Filters(period=reporting_year(reporting_year_of(seeded.now)))
    found |= plans(
        lambda: queries.year_figures(agency, year),
        **{"yearly report, agency": r"\bFROM year_counts\b"},
    )
    # The learning cube of a reporting year reads the yearly learning counts: an agency's
    # by its unique index, led by agency_id; one check's by (check_id, reporting_year).
    cube = ("check", "group", "level")
    year_period = year.period
    one_check_year = queries.Filters(period=year_period, check_id=1)
    for name, table, scope, filters in (
        ("finding", "finding_year_counts", agency, year),
        ("question", "question_year_counts", agency, year),
        ("finding", "finding_year_counts", partnership, one_check_year),
        ("question", "question_year_counts", partnership, one_check_year),
    ):
        who = "agency" if scope is agency else "one check"
        found |= plans(
            lambda scope=scope, filters=filters, name=name: queries.mark_sums(
                scope, filters, year_period, by=(*cube, name)
            ),
            **{f"learning cube per {name}, {who}": rf"\bFROM {table}\b"},
        )

    expected = {
        "stored": {STATUS_COUNTS_INDEX},
        "moved": {EXPIRES_INDEX, DUE_INDEX},
        "first attempts, agency": {MONTH_COUNTS_INDEX},
        "passes by month, agency": {SUBMITTED_INDEX},
        "first attempts, partnership": set(),
        "passes by month, partnership": {SUBMITTED_INDEX},
        "first attempts, one team": {MONTH_COUNTS_INDEX},
        "overdue page, agency": {OVERDUE_INDEX},
        "first attempts, one check": {MONTH_CHECK_INDEX},
        "passes by month, one check": {MONTH_CHECK_INDEX},
        "yearly report, agency": {YEAR_COUNTS_INDEX},
        "learning cube per finding, agency": {FINDING_COUNTS_INDEX},
        "learning cube per question, agency": {QUESTION_COUNTS_INDEX},
        "learning cube per finding, one check": {FINDING_CHECK_INDEX},
        "learning cube per question, one check": {QUESTION_CHECK_INDEX},
    }
    # Either way in is an index: from the agency's people, or from the period's attempts
    # (the planners weigh the two about equally at this size); and then the rows of
    # those attempts by attempt id: attempt marks' key, or the responses' (attempt,
    # question) index. Each set must meet the plan's indexes.
    either = {
        # The agency's overdue requirements in order, picking out the team's people; or
        # the team's people, then their requirements (PostgreSQL, at this size).
        "overdue, one team": [{OVERDUE_INDEX, TEAM_INDEX}],
        "learning, agency": [{AGENCY_INDEX, SUBMITTED_INDEX}, MARKS_KEY],
        "learning, one check": [{CHECK_SUBMITTED_INDEX}, MARKS_KEY],
        "learning per question, agency": [{AGENCY_INDEX, CHECK_SUBMITTED_INDEX}, RESPONSES_KEY],
    }
    assert found.keys() == expected.keys() | either.keys()
    for name, plan in found.items():  # shown with pytest -s
        print(f"== {name}: {sorted(plan.indexes)}\n{plan.text}")
    missing = {
        name: sorted(indexes - found[name].indexes)
        for name, indexes in expected.items()
        if not indexes <= found[name].indexes
    }
    missing |= {
        name: sorted(indexes)
        for name, sets in either.items()
        for indexes in sets
        if not indexes & found[name].indexes
    }
    assert not missing, "indexes not in the plans:\n" + "\n\n".join(
        f"{name}: missing {indexes}\n{found[name].text}" for name, indexes in missing.items()
    )
