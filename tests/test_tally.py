"""The status counts the dashboards read: kept in step with the writes, and right at any
moment however far the clock has moved since they were taken.

Every test in the suite also ends by comparing the counts with a recount
(tests/conftest.py), so each write path the suite exercises is checked too."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from quizapp.bench import seed
from quizapp.dashboards import queries
from quizapp.dashboards.periods import rolling
from quizapp.dashboards.scope import Scope
from quizapp.extensions import db
from quizapp.models import Agency, StatusCount, StatusCountsClock, Team, User, utcnow
from quizapp.workforce import tally
from quizapp.workforce.requirements import update_requirements


def _seeded(now=None):
    now = now or utcnow()
    seed(people=120, agencies=3, checks=3, attempts_per_person=2, now=now)
    db.session.commit()
    return now


def _from_requirements(scope, filters, now):
    """What the counts must say: counted straight from the requirements at `now`."""
    return queries._counted(
        db.session.execute(queries._status_statement(scope, filters, now=now)), scope=scope
    )


def _as_dict(counts):
    return {key: vars(value) for key, value in counts.items()}


@pytest.mark.parametrize("days", [-400, -31, -1, 0, 1, 29, 30, 31, 200, 400, 800, 1200])
def test_counts_are_right_at_any_moment_after_or_before_the_clock(app, days):
    as_of = _seeded()
    assert tally.as_of(db.session) == as_of
    now = as_of + timedelta(days=days, minutes=7)
    agency = db.session.scalars(sa.select(Agency).order_by(Agency.id)).first()
    team = db.session.scalars(sa.select(Team).where(Team.agency_id == agency.id)).first()
    period = rolling(12, now)
    views = [
        (Scope(agency_id=None), queries.Filters(period=period)),
        (Scope(agency_id=None), queries.Filters(period=period, check_id=2, level="Level 3")),
        (Scope(agency_id=agency.id, agency_name=agency.name), queries.Filters(period=period)),
        (
            Scope(agency_id=agency.id, agency_name=agency.name),
            queries.Filters(period=period, team_id=team.id),
        ),
    ]
    for scope, filters in views:
        expected = _as_dict(_from_requirements(scope, filters, now))
        assert expected  # the seeded partnership has people required in every view
        assert _as_dict(queries.status_counts(scope, filters, now=now)) == expected
    statuses = queries.status_counts(Scope(agency_id=None), views[0][1], now=now).values()
    # The moments chosen move people between statuses, so the correction is exercised.
    if days >= 800:
        assert sum(c.overdue for c in statuses) > 0


def test_the_clock_moving_changes_status_without_any_write(app):
    as_of = _seeded()
    scope, filters = Scope(agency_id=None), queries.Filters(period=rolling(12, as_of))
    before = queries.status_counts(scope, filters, now=as_of)
    # The seeder's passes last 36 months: long after, every held pass has expired.
    later = queries.status_counts(scope, filters, now=as_of + timedelta(days=4 * 366))
    assert sum(c.complete + c.expiring for c in before.values()) > 0
    assert sum(c.complete + c.expiring for c in later.values()) == 0
    assert sum(c.required for c in later.values()) == sum(c.required for c in before.values())
    stored = db.session.scalar(sa.select(sa.func.sum(StatusCount.complete)))
    assert stored == sum(c.complete for c in before.values())  # nothing was written


def test_people_moving_team_leaving_and_changing_level_move_their_counts(app):
    now = _seeded()
    person = db.session.scalars(
        sa.select(User).where(User.team_id.is_not(None), User.level.is_not(None))
    ).first()
    old_team = person.team_id
    new_team = db.session.scalars(
        sa.select(Team.id).where(Team.agency_id == person.agency_id, Team.id != old_team)
    ).first()
    mine = sum(row.required for row in db.session.execute(tally.contributions(now, [person.id])))
    assert mine > 0
    before = {team: _required(team) for team in (old_team, new_team)}

    person.team_id = new_team
    update_requirements([person], now=now)
    db.session.commit()
    assert _required(old_team) == before[old_team] - mine
    assert _required(new_team) == before[new_team] + mine
    assert tally.mismatches(db.session) == {}

    person.level = "Level 1"
    db.session.commit()
    assert tally.mismatches(db.session) == {}

    total = _required()
    person.left_at = now
    update_requirements([person], now=now)
    db.session.commit()
    assert _required() == total - mine
    assert tally.mismatches(db.session) == {}


def _required(team_id=None):
    statement = sa.select(sa.func.coalesce(sa.func.sum(StatusCount.required), 0))
    if team_id is not None:
        statement = statement.where(StatusCount.team_key == team_id)
    return db.session.scalar(statement)


def test_a_rolled_back_savepoint_leaves_the_counts_as_committed(app):
    now = _seeded()
    total = _required()
    person = db.session.scalars(sa.select(User).where(User.team_id.is_not(None))).first()
    nested = db.session.begin_nested()
    person.left_at = now
    update_requirements([person], now=now)
    nested.rollback()
    db.session.commit()
    assert _required() == total
    assert tally.mismatches(db.session) == {}


def test_a_rolled_back_transaction_writes_nothing_and_forgets_its_changes(app):
    now = _seeded()
    stored = db.session.execute(sa.select(*StatusCount.__table__.c)).all()
    person = db.session.scalars(sa.select(User).where(User.team_id.is_not(None))).first()
    person.left_at = now
    update_requirements([person], now=now)
    db.session.rollback()
    assert tally._PENDING not in db.session.info
    assert db.session.execute(sa.select(*StatusCount.__table__.c)).all() == stored


def test_refresh_moves_the_clock_and_verify_finds_a_wrong_count(app):
    _seeded(utcnow() - timedelta(days=3))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["dashboards", "refresh"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    as_of = db.session.scalar(sa.select(StatusCountsClock.as_of))
    assert utcnow() - as_of < timedelta(minutes=5)
    result = runner.invoke(args=["dashboards", "verify"])
    matched = "The dashboards' summaries match a recount."
    assert (result.exit_code, result.output.strip()) == (0, matched)

    row = db.session.scalars(sa.select(StatusCount).where(StatusCount.required > 0)).first()
    db.session.execute(
        sa.update(StatusCount)
        .where(StatusCount.id == row.id)
        .values(due=StatusCount.due + 1, required=StatusCount.required + 1)
    )
    db.session.commit()
    result = runner.invoke(args=["dashboards", "verify"])
    assert result.exit_code == 1
    assert f"status_counts ({row.agency_id}, {row.team_key}, " in result.output
    runner.invoke(args=["dashboards", "refresh"])  # leave them right for the suite's check


def test_counts_are_built_by_the_first_change_and_read_straight_until_then(app):
    from .factories import check_for, create_agency, create_user, import_hs_bank

    check = check_for(import_hs_bank())
    agency = create_agency(name="Police")
    people = [create_user(email=f"p{n}@example.org", agency=agency) for n in range(3)]
    db.session.commit()
    assert tally.as_of(db.session) is None
    now = utcnow()
    scope, filters = Scope(agency_id=None), queries.Filters(period=rolling(12, now))
    assert queries.status_counts(scope, filters, now=now) == {}

    from quizapp.workforce.operations import create_assignment

    create_assignment(check=check, all_agencies=True, due_days=30, now=now)
    db.session.commit()
    assert tally.as_of(db.session) is not None
    counts = queries.status_counts(scope, filters, now=now)
    assert {key: (c.required, c.due) for key, c in counts.items()} == {
        (agency.id, check.id): (len(people), len(people))
    }


def test_two_transactions_changing_one_person_at_once_keep_the_counts_right(app):
    """The second waits for the first (PostgreSQL), or fails rather than count from a
    stale read (SQLite, one writer at a time): never a wrong count."""
    import threading

    from sqlalchemy.exc import OperationalError

    now = _seeded()
    person_id = db.session.scalar(
        sa.select(User.id).where(User.team_id.is_not(None)).order_by(User.id)
    )
    db.session.commit()
    outcome: list[object] = []

    def leave() -> None:
        with app.app_context():  # its own session, as another request would have
            try:
                person = db.session.get(User, person_id)
                person.left_at = now
                update_requirements([person], now=now)
                db.session.commit()
                outcome.append("committed")
            except OperationalError as error:  # SQLite: the database was locked
                db.session.rollback()
                outcome.append(error)

    person = db.session.get(User, person_id)
    person.level = "Level 1"
    db.session.flush()  # holds the person (and, on SQLite, the write lock)
    thread = threading.Thread(target=leave)
    thread.start()
    thread.join(timeout=1)
    assert thread.is_alive() or db.engine.dialect.name == "sqlite"
    db.session.commit()
    thread.join(timeout=60)
    assert not thread.is_alive()
    if db.engine.dialect.name == "postgresql":
        assert outcome == ["committed"]
    assert tally.mismatches(db.session) == {}
