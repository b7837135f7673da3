"""Synthetic data at partnership and national scale, for benchmarks.

`flask --app quizapp bench seed --people N --agencies A --checks C --attempts-per-person K`
adds agencies, teams, people, checks on the shipped HS bank, assignments, requirements,
attempts with responses (plausible right and wrong answers and certainties) and
completions, with bulk inserts: the driver's executemany on SQLite, COPY on PostgreSQL.
Never for a live database: every person it makes has the same unusable password.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import click
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from flask import current_app
from flask.cli import AppGroup

from .extensions import db
from .models import (
    LATEST_LAYOUT,
    Agency,
    Assignment,
    Attempt,
    Check,
    Completion,
    Finding,
    Question,
    Requirement,
    Response,
    Team,
    User,
    UserRole,
    assignment_agencies,
    question_findings,
)
from .models.tally import AttemptMarks, StatusCount
from .questions import get_type
from .scoring import cbm_mark
from .statistics import attempt_marks
from .workforce import tally

bench_cli = AppGroup("bench", help="Synthetic data for benchmarks (never on a live database).")

SECTORS = (
    "local-authority",
    "police",
    "health",
    "health",
    "education",
    "education",
    "probation",
    "housing",
    "voluntary",
    "other",
)
JOB_ROLES = (
    "Social worker",
    "Police constable",
    "Health visitor",
    "Midwife",
    "GP",
    "Class teacher",
    "Designated safeguarding lead",
    "Probation officer",
    "Housing officer",
    "Family support worker",
)
LEVELS = ("Level 1", "Level 2", "Level 3", "Level 4", "DSL", "Tier 1", "Tier 2")
#: Never matches a password: these people can't sign in.
UNUSABLE_PASSWORD = "!"


@dataclass(frozen=True)
class _Item:
    """A scored question with one right and one wrong answer, their fractions and points."""

    question_id: int
    #: Place in the version's question order, and the pool the question belongs to.
    position: int
    pool: str | None
    points: int
    right: Any
    right_fraction: float
    wrong: Any
    wrong_fraction: float
    #: Keys of the findings the question tests, so skill can vary by finding.
    findings: tuple[str, ...] = ()


@dataclass(frozen=True)
class JSON:
    """A value for a JSON column: written as JSON text whatever its Python type."""

    value: Any


class BulkWriter:
    """Insert many rows fast: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self) -> None:
        self.connection = db.session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"

    def _value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return value if self.postgres else value.astimezone(UTC).replace(tzinfo=None)
        if isinstance(value, JSON):
            return json.dumps(value.value)
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return value

    def insert(self, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        count = 0
        raw = self.connection.connection.driver_connection
        if self.postgres:
            names = ", ".join(f'"{c}"' for c in columns)
            with (
                raw.cursor() as cursor,
                cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
            ):
                for row in rows:
                    copy.write_row([self._value(v) for v in row])
                    count += 1
            return count
        marks = ", ".join("?" for _ in columns)
        sql = f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({marks})'
        cursor = raw.cursor()
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(tuple(self._value(v) for v in row))
            if len(batch) >= 20_000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
        cursor.close()
        return count

    def update(
        self, table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """UPDATE table SET columns... WHERE id = the row's last value."""
        raw = self.connection.connection.driver_connection
        mark = "%s" if self.postgres else "?"
        assignments = ", ".join(f"{c} = {mark}" for c in columns)
        sql = f'UPDATE "{table.name}" SET {assignments} WHERE id = {mark}'
        cursor = raw.cursor()
        cursor.executemany(sql, [tuple(self._value(v) for v in row) for row in rows])
        cursor.close()

    def next_id(self, table: sa.Table) -> int:
        return (self.connection.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0) + 1

    def reset_sequences(self, tables: Sequence[sa.Table]) -> None:
        if not self.postgres:
            return
        for table in tables:
            if "id" not in table.c:
                continue
            self.connection.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'),"
                    f' (SELECT COALESCE(MAX(id), 1) FROM "{table.name}"))'
                )
            )


def _items(version_id: int) -> tuple[list[_Item], list[tuple[int, int]]]:
    """Scored questions with a right and a wrong answer each; and the reflections'
    positions and ids."""
    items: list[_Item] = []
    reflections: list[tuple[int, int]] = []
    findings_of: dict[int, list[str]] = {}
    for question_id, key in db.session.execute(
        sa.select(question_findings.c.question_id, Finding.key)
        .join(Finding, Finding.id == question_findings.c.finding_id)
        .where(Finding.version_id == version_id)
        .order_by(Finding.position)
    ):
        findings_of.setdefault(question_id, []).append(key)
    for question in db.session.scalars(
        sa.select(Question).where(Question.version_id == version_id).order_by(Question.position)
    ):
        qtype = get_type(question.type)
        if not qtype.scored:
            reflections.append((question.position, question.id))
            continue
        spec = question.spec
        if question.type == "single":
            right = next(i for i, o in enumerate(spec["options"]) if o["correct"])
            wrong = next(i for i, o in enumerate(spec["options"]) if not o["correct"])
        elif question.type == "multiple":
            right = [i for i, o in enumerate(spec["options"]) if o["correct"]]
            wrong = [next(i for i, o in enumerate(spec["options"]) if not o["correct"])]
        elif question.type == "true_false":
            right, wrong = spec["answer"], not spec["answer"]
        else:
            right = list(range(len(spec["items"])))
            wrong = list(reversed(right))
        items.append(
            _Item(
                question.id,
                question.position,
                spec.get("pool"),
                question.points,
                right,
                qtype.score(spec, right),
                wrong,
                qtype.score(spec, wrong),
                tuple(findings_of.get(question.id, ())),
            )
        )
    return items, reflections


def _draw(items: list[_Item], pools: dict[str, list[_Item]], rng: random.Random) -> list[_Item]:
    """One variant of each pool, as an attempt draws them; every other question."""
    chosen = {pool: rng.choice(members) for pool, members in sorted(pools.items())}
    return [item for item in items if item.pool is None or chosen[item.pool] is item]


@dataclass(frozen=True)
class Person:
    """A practitioner to add in bulk."""

    email: str
    name: str
    agency_id: int | None
    team_id: int | None
    job_role: str
    level: str | None
    joined_at: datetime


def insert_people(writer: BulkWriter, people: Iterable[Person]) -> range:
    """Add these people as practitioners, with ids in order from the next free one; returns
    the ids. Their accounts are confirmed but have no usable password: nobody signs in as
    them."""
    first = writer.next_id(User.__table__)
    count = writer.insert(
        User.__table__,
        ("id", "email", "name", "password_hash", "session_token", "agency_id", "team_id",
         "job_role", "level", "active", "created_at", "email_confirmed_at"),
        (
            (uid, p.email, p.name, UNUSABLE_PASSWORD, uuid.uuid4().hex, p.agency_id, p.team_id,
             p.job_role, p.level, True, p.joined_at, p.joined_at)
            for uid, p in enumerate(people, start=first)
        ),
    )  # fmt: skip
    ids = range(first, first + count)
    writer.insert(UserRole.__table__, ("user_id", "role"), ((u, "practitioner") for u in ids))
    writer.reset_sequences([User.__table__])
    return ids


@dataclass(frozen=True)
class Written:
    """What an attempt written by AttemptWriter came to."""

    id: int
    percent: float
    passed: bool


@dataclass
class AttemptWriter:
    """Submitted attempts with their responses, answered right with a chance that may
    vary by question (by the person's skill, their agency, the question's findings), and
    each person's latest pass as a completion. Shared by `bench seed` and the demo.

    Rows wait in memory and go in rounds (first attempts, then second...), each inserted
    in progress and then submitted, as the app does: a person has at most one attempt per
    check in progress. Call `finish` once at the end."""

    writer: BulkWriter
    version_id: int
    rng: random.Random
    pass_mark: int = 80
    refresh_months: int = 36
    #: People whose requirement asks again sooner or later than `refresh_months` (the
    #: demo's schools: 24 months), so their completion expires when the app's would.
    refresh_of: dict[int, int] = field(default_factory=dict)
    items: list[_Item] = field(init=False)
    reflections: list[tuple[int, int]] = field(init=False)
    pools: dict[str, list[_Item]] = field(init=False)
    max_score: int = field(init=False)
    counts: dict[str, int] = field(init=False)
    _next_id: int = field(init=False)
    _numbers: dict[tuple[int, int], int] = field(init=False, default_factory=dict)
    _completions: dict[tuple[int, int], tuple[int, datetime]] = field(
        init=False, default_factory=dict
    )
    _attempts: list[tuple[Any, ...]] = field(init=False, default_factory=list)
    _responses: list[tuple[Any, ...]] = field(init=False, default_factory=list)
    _results: list[tuple[Any, ...]] = field(init=False, default_factory=list)

    ATTEMPT_COLUMNS = ("id", "user_id", "check_id", "bank_version_id", "number", "seed",
                       "layout", "question_ids", "pass_mark", "certainty",
                       "started_at")  # fmt: skip
    RESULT_COLUMNS = ("submitted_at", "score", "max_score", "percent", "passed", "cbm_percent")
    RESPONSE_COLUMNS = ("attempt_id", "question_id", "answer", "certainty", "fraction", "mark",
                        "cbm_mark", "saved_at")  # fmt: skip

    def __post_init__(self) -> None:
        self.items, self.reflections = _items(self.version_id)
        self.pools = {}
        for item in self.items:
            if item.pool:
                self.pools.setdefault(item.pool, []).append(item)
        # Variants of a pool are worth the same: every attempt has the same marks available.
        self.max_score = sum(
            item.points for item in _draw(self.items, self.pools, random.Random(0))
        )
        self.counts = {"attempts": 0, "responses": 0, "completions": 0}
        self._next_id = self.writer.next_id(Attempt.__table__)

    def add(
        self,
        *,
        user_id: int,
        check_id: int,
        submitted_at: datetime,
        chance: Callable[[_Item], float],
        minutes: int = 15,
    ) -> Written:
        """One attempt, each question right with probability chance(question)."""
        rng = self.rng
        attempt_id = self._next_id
        self._next_id += 1
        key = (user_id, check_id)
        self._numbers[key] = number = self._numbers.get(key, 0) + 1
        score = cbm = 0.0
        drawn = _draw(self.items, self.pools, rng)
        for item in drawn:
            right = rng.random() < chance(item)
            certainty = rng.choice((2, 3, 3)) if right else rng.choice((1, 2, 3))
            fraction = item.right_fraction if right else item.wrong_fraction
            mark = fraction * item.points
            cbm_value = cbm_mark(fraction, certainty) * item.points
            score += mark
            cbm += cbm_value
            self._responses.append(
                (attempt_id, item.question_id, JSON(item.right if right else item.wrong),
                 certainty, fraction, mark, cbm_value, submitted_at)
            )  # fmt: skip
        for _, question_id in self.reflections:
            self._responses.append(
                (attempt_id, question_id, JSON(""), None, None, None, None, submitted_at)
            )
        percent = round(100 * score / self.max_score, 2)
        passed = percent >= self.pass_mark
        shown = sorted([(item.position, item.question_id) for item in drawn] + self.reflections)
        self._attempts.append(
            (attempt_id, user_id, check_id, self.version_id, number, rng.randrange(1, 2**31 - 1),
             LATEST_LAYOUT, JSON([question_id for _, question_id in shown]), self.pass_mark,
             True, submitted_at - timedelta(minutes=minutes))
        )  # fmt: skip
        cbm_percent = round(100 * cbm / self.max_score, 2)
        self._results.append(
            (submitted_at, score, self.max_score, percent, passed, cbm_percent, attempt_id)
        )
        latest = self._completions.get(key)
        if passed and (latest is None or latest[1] < submitted_at):
            self._completions[key] = (attempt_id, submitted_at)
        if len(self._responses) >= 200_000:
            self.flush()
        return Written(attempt_id, percent, passed)

    def flush(self) -> None:
        tables = Attempt.__table__, Response.__table__
        rounds: dict[int, list[int]] = {}
        for index, row in enumerate(self._attempts):
            rounds.setdefault(row[4], []).append(index)
        responses_of: dict[int, list[tuple[Any, ...]]] = {}
        for row in self._responses:
            responses_of.setdefault(row[0], []).append(row)
        for number in sorted(rounds):
            indexes = rounds[number]
            self.counts["attempts"] += self.writer.insert(
                tables[0], self.ATTEMPT_COLUMNS, [self._attempts[i] for i in indexes]
            )
            self.counts["responses"] += self.writer.insert(
                tables[1],
                self.RESPONSE_COLUMNS,
                (r for i in indexes for r in responses_of[self._attempts[i][0]]),
            )
            self.writer.update(tables[0], self.RESULT_COLUMNS, [self._results[i] for i in indexes])
        self._attempts.clear()
        self._responses.clear()
        self._results.clear()

    def _refresh(self, user_id: int) -> int:
        return self.refresh_of.get(user_id, self.refresh_months)

    def finish(self) -> None:
        """Write what waits, then each person's latest pass as their completion. The
        attempts were given their ids here, so PostgreSQL's sequences are moved past them:
        an attempt started in the app afterwards (the demo's) must not reuse one."""
        self.flush()
        self.counts["completions"] = self.writer.insert(
            Completion.__table__,
            ("user_id", "check_id", "attempt_id", "passed_at", "expires_at"),
            (
                (uid, cid, aid, at, at + relativedelta(months=self._refresh(uid)))
                for (uid, cid), (aid, at) in self._completions.items()
            ),
        )
        self.writer.reset_sequences([Attempt.__table__, Response.__table__, Completion.__table__])


def seed(
    *,
    people: int,
    agencies: int,
    checks: int,
    attempts_per_person: float,
    now: datetime,
    rng_seed: int = 2026,
) -> dict[str, int]:
    """Add the synthetic partnership; returns row counts per table."""
    from .banks import content_hash, load_bank_paths
    from .banks.importer import import_bank, latest_published
    from .demo import BANKS_DIR, DEMO_BANK, demo_check

    rng = random.Random(rng_seed)
    for _path, result in load_bank_paths([BANKS_DIR]):
        assert result.bank is not None, result.errors
        if result.bank.id != DEMO_BANK:
            continue  # the partnership measured takes the HS check (and copies of it)
        import_bank(result.bank.to_data(), content_hash(result.bank), now=now)
    db.session.flush()
    base_check = demo_check()
    assert base_check is not None
    version = latest_published(base_check.bank)
    assert version is not None
    writer = BulkWriter()
    counts: dict[str, int] = {}
    tables = {
        m.__tablename__: m.__table__
        for m in (
            Agency,
            Team,
            User,
            UserRole,
            Check,
            Assignment,
            Requirement,
            Attempt,
            Response,
            Completion,
        )
    }

    agency_id0 = writer.next_id(tables["agencies"])
    agency_ids = list(range(agency_id0, agency_id0 + agencies))
    counts["agencies"] = writer.insert(
        tables["agencies"],
        ("id", "name", "sector", "statutory_partner", "created_at"),
        (
            (aid, f"Bench agency {aid}", SECTORS[i % len(SECTORS)], i < 3, now)
            for i, aid in enumerate(agency_ids)
        ),
    )
    team_id0 = writer.next_id(tables["teams"])
    teams = {aid: [team_id0 + i * 3 + t for t in range(3)] for i, aid in enumerate(agency_ids)}
    counts["teams"] = writer.insert(
        tables["teams"],
        ("id", "agency_id", "name"),
        ((tid, aid, f"Team {n + 1}") for aid, tids in teams.items() for n, tid in enumerate(tids)),
    )

    check_id0 = writer.next_id(tables["checks"])
    check_ids = list(range(check_id0, check_id0 + checks))
    title_of = {cid: f"Bench check {n + 1}" for n, cid in enumerate(check_ids)}
    counts["checks"] = writer.insert(
        tables["checks"],
        ("id", "title", "bank_id", "pass_mark", "certainty", "refresh_months", "created_at"),
        ((cid, title_of[cid], base_check.bank_id, 80, True, 36, now) for cid in check_ids),
    )
    # Each check is assigned to about half of the agencies, 60 days after joining.
    assignment_id0 = writer.next_id(tables["assignments"])
    assigned: dict[int, list[tuple[int, int]]] = {aid: [] for aid in agency_ids}
    assignment_rows, link_rows = [], []
    for n, cid in enumerate(check_ids):
        assignment_id = assignment_id0 + n
        assignment_rows.append(
            (assignment_id, cid, False, [], [], 60, 36, now - timedelta(days=400))
        )
        for aid in agency_ids:
            if rng.random() < 0.5:
                link_rows.append((assignment_id, aid))
                assigned[aid].append((cid, assignment_id))
    counts["assignments"] = writer.insert(
        tables["assignments"],
        (
            "id",
            "check_id",
            "all_agencies",
            "job_roles",
            "levels",
            "due_days",
            "refresh_months",
            "created_at",
        ),
        assignment_rows,
    )
    writer.insert(assignment_agencies, ("assignment_id", "agency_id"), link_rows)

    user_id0 = writer.next_id(tables["users"])
    agency_of = {
        uid: agency_ids[(uid - user_id0) % agencies] for uid in range(user_id0, user_id0 + people)
    }
    user_ids = insert_people(
        writer,
        (
            Person(
                email=f"person{uid}@bench.invalid",
                name=f"Person {uid}",
                agency_id=aid,
                team_id=rng.choice(teams[aid]),
                job_role=rng.choice(JOB_ROLES),
                level=rng.choice(LEVELS),
                joined_at=now - timedelta(days=500),
            )
            for uid, aid in agency_of.items()
        ),
    )
    assert list(user_ids) == list(agency_of)
    counts["users"] = len(user_ids)

    requirement_rows = []
    required: dict[int, list[int]] = {}
    for uid in user_ids:
        for cid, assignment_id in assigned[agency_of[uid]]:
            since = now - timedelta(days=400)
            due = since + timedelta(days=60)
            # The overdue keys as they stand before passes: tally.rebuild below moves
            # deadlines to each pass's expiry where later (deadlines.refresh).
            requirement_rows.append(
                (uid, cid, assignment_id, since, due, due, agency_of[uid], f"Person {uid}",
                 title_of[cid], 36)
            )  # fmt: skip
            required.setdefault(uid, []).append(cid)
    counts["requirements"] = writer.insert(
        tables["requirements"],
        ("user_id", "check_id", "assignment_id", "required_since", "due_at", "deadline_at",
         "agency_id", "person_name", "check_title", "refresh_months"),
        requirement_rows,
    )  # fmt: skip

    attempts = AttemptWriter(writer, version.id, rng)
    for uid in user_ids:
        skill = 0.45 + 0.5 * rng.random()
        choices = required.get(uid) or check_ids
        count = int(attempts_per_person) + (rng.random() < attempts_per_person % 1)
        for _ in range(count):
            attempts.add(
                user_id=uid,
                check_id=rng.choice(choices),
                submitted_at=now
                - timedelta(days=rng.randint(1, 1000), minutes=rng.randint(0, 1440)),
                chance=lambda _item, skill=skill: skill,
            )
    attempts.finish()
    counts.update(attempts.counts)
    writer.reset_sequences(list(tables.values()))
    attempt_marks.record(db.session, None)
    counts["attempt_marks"] = db.session.scalar(
        sa.select(sa.func.count()).select_from(AttemptMarks)
    )
    tally.rebuild(db.session, now=now)
    counts["status_counts"] = db.session.scalar(sa.select(sa.func.count(StatusCount.id))) or 0
    return counts


@bench_cli.command("seed")
@click.option("--people", type=click.IntRange(1, 2_000_000), default=10_000, show_default=True)
@click.option("--agencies", type=click.IntRange(1, 1000), default=60, show_default=True)
@click.option("--checks", type=click.IntRange(1, 200), default=20, show_default=True)
@click.option("--attempts-per-person", type=click.FloatRange(0, 20), default=2.0, show_default=True)
@click.option("--yes", is_flag=True, help="Don't ask before writing to a non-SQLite database.")
def seed_command(
    people: int, agencies: int, checks: int, attempts_per_person: float, yes: bool
) -> None:
    """Fill the configured database with a synthetic partnership."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("bench seed refuses to run with QUIZAPP_ENV=production")
    if not url.startswith("sqlite") and not yes:
        click.confirm(f"Write synthetic data into {url}?", abort=True)
    started = time.perf_counter()
    counts = seed(
        people=people,
        agencies=agencies,
        checks=checks,
        attempts_per_person=attempts_per_person,
        now=datetime.now(UTC),
    )
    db.session.commit()
    seconds = time.perf_counter() - started
    click.echo(" ".join(f"{name}={count}" for name, count in counts.items()))
    click.echo(json.dumps({"bench": "seed", "seconds": round(seconds, 2), **counts}))
