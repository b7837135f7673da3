"""The monthly counts (MonthCount, migration 0020): the UK month of every attempt, kept in
step with each kind of write, filled by the migration, and read by the completion pages
with the same figures the attempts give; the competency levels and the overdue list
that read the summaries too.

Every test in the suite also ends by comparing all the summaries, these included, with a
recount (tests/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from quizapp.bench import seed
from quizapp.dashboards import queries
from quizapp.dashboards.periods import Period, rolling
from quizapp.dashboards.scope import Scope
from quizapp.extensions import db
from quizapp.models import Agency, Attempt, MonthCount, Team, User, utcnow
from quizapp.models.tally import london_month
from quizapp.models.types import UTCDateTime
from quizapp.workforce import tally
from quizapp.workforce.requirements import update_requirements

LONDON = ZoneInfo("Europe/London")


def _seeded(now=None):
    now = now or utcnow()
    seed(people=150, agencies=3, checks=3, attempts_per_person=2, now=now)
    db.session.commit()
    return now


def _stored() -> dict[tuple, tuple]:
    """The monthly counts as stored, rows of zeros left out."""
    return {
        (r.agency_id, r.team_key, r.level, r.check_id, r.month): (
            r.first_attempts,
            r.first_passed,
            r.people_passing,
        )
        for r in db.session.scalars(sa.select(MonthCount))
        if (r.first_attempts, r.first_passed, r.people_passing) != (0, 0, 0)
    }


def _from_attempts(monkeypatch, call):
    """What `call` returns read straight from the attempts, as if never summarised."""
    with monkeypatch.context() as patch:
        patch.setattr(tally, "as_of", lambda session: None)
        return call()


def test_london_month_is_the_uk_calendar_month_at_every_boundary(app):
    instants = []
    for year in range(2000, 2041):
        for month in range(1, 13):
            start = datetime(year, month, 1, tzinfo=LONDON).astimezone(UTC)
            for step in (-61, -60, -1, 0, 1, 59, 60, 20_000):
                instants.append(start + timedelta(minutes=step))
            instants.append(start - timedelta(microseconds=1))
    probe = sa.Table(
        "london_month_probe", sa.MetaData(), sa.Column("at", UTCDateTime()), prefixes=["TEMPORARY"]
    )
    connection = db.session.connection()
    probe.create(connection)
    connection.execute(probe.insert(), [{"at": at} for at in instants])
    rows = connection.execute(sa.select(probe.c.at, london_month(probe.c.at))).all()
    probe.drop(connection)
    db.session.rollback()
    assert len(rows) == len(instants)
    wrong = [(at, got) for at, got in rows if got != int(f"{at.astimezone(LONDON):%Y%m}")]
    assert wrong == []


def test_the_completion_figures_from_the_months_equal_those_from_the_attempts(app, monkeypatch):
    now = _seeded()
    stored = _stored()
    assert len({key[-1] for key in stored}) > 6  # the seeded attempts span many months
    agency = db.session.scalars(sa.select(Agency).order_by(Agency.id)).first()
    team = db.session.scalars(sa.select(Team).where(Team.agency_id == agency.id)).first()
    agency_scope = Scope(agency_id=agency.id, agency_name=agency.name)
    period = rolling(24, now)
    one_month = Period("1m", "one month", period.months[-3:-2])
    first_check, second_check = sorted({key[3] for key in stored})[:2]
    checked = trends = 0
    for scope in (Scope(agency_id=None), agency_scope):
        for filters in (
            queries.Filters(period=period),
            queries.Filters(period=period, check_id=first_check),
            queries.Filters(period=period, check_id=second_check, level="Level 3"),
            queries.Filters(period=period, team_id=team.id),
        ):
            if scope.partnership and filters.team_id is not None:
                continue
            for span in (period, one_month):
                for by_level in (False, True):
                    for function in (queries.first_attempt_counts, queries.passes_in_period):
                        summed = function(scope, filters, span, by_level=by_level)
                        counted = _from_attempts(
                            monkeypatch,
                            lambda f=function, s=span, b=by_level, sc=scope, fi=filters: f(
                                sc, fi, s, by_level=b
                            ),
                        )
                        assert summed == counted, (function.__name__, scope, filters, span)
                        checked += bool(summed)
            if filters.check_id is not None:
                months = queries.passes_by_month(scope, filters, period)
                trends += bool(months)
                assert months == _from_attempts(
                    monkeypatch,
                    lambda sc=scope, fi=filters: queries.passes_by_month(sc, fi, period),
                )
    assert checked > 20  # most of these views have figures
    assert trends >= 2


def test_each_kind_of_write_keeps_the_months_equal_to_a_recount(app):
    """Submitting an attempt, moving team, changing level, moving agency, leaving, and a
    rolled-back change: after each, the stored months equal a recount."""
    from .test_dashboards import build_world, take

    world = build_world(people_a1=3, people_a2=2, people_b=2)
    assert tally.as_of(db.session) is not None
    assert tally.mismatches(db.session) == {}
    before = sum(v[2] for v in _stored().values())
    import random

    person = db.session.scalars(
        sa.select(User).where(User.team_id == world.team_a1.id).order_by(User.id)
    ).first()
    take(person, world.check, skill=1.0, at=utcnow(), rng=random.Random(3))
    db.session.commit()
    assert tally.mismatches(db.session) == {}
    assert sum(v[2] for v in _stored().values()) > before  # the pass is counted this month

    person.team_id = world.team_a2.id
    update_requirements([person], now=utcnow())
    db.session.commit()
    assert tally.mismatches(db.session) == {}
    mine = {k: v for k, v in _stored().items() if k[1] == world.team_a2.id}
    assert mine

    person.level = "Level 1"
    db.session.commit()
    assert tally.mismatches(db.session) == {}
    assert any(k[2] == "Level 1" for k in _stored())

    person.agency_id, person.team_id = world.agency_b.id, world.team_b.id
    update_requirements([person], now=utcnow())
    db.session.commit()
    assert tally.mismatches(db.session) == {}

    person.left_at = utcnow()
    update_requirements([person], now=utcnow())
    db.session.commit()
    assert tally.mismatches(db.session) == {}
    # Leavers' attempts happened: they stay in the months where the person now is.
    assert any(k[0] == world.agency_b.id and k[2] == "Level 1" for k in _stored())

    stored = _stored()
    other = db.session.scalars(
        sa.select(User).where(User.team_id == world.team_a1.id, User.id != person.id)
    ).first()
    other.level = "Level 9"
    db.session.flush()
    db.session.rollback()
    assert _stored() == stored
    assert tally.mismatches(db.session) == {}


def test_refresh_rebuilds_the_months(app):
    _seeded(utcnow() - timedelta(days=3))
    stored = _stored()
    db.session.execute(sa.delete(MonthCount))
    db.session.commit()
    assert tally.mismatches(db.session) != {}
    result = app.test_cli_runner().invoke(args=["dashboards", "refresh"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _stored() == stored
    assert tally.mismatches(db.session) == {}


def test_upgrading_to_0020_fills_the_months_from_the_attempts(app):
    _seeded()
    stored = _stored()
    assert stored
    db.session.remove()
    downgrade(revision="0019")
    upgrade()
    assert _stored() == stored
    assert tally.mismatches(db.session) == {}


def test_upgrading_a_database_whose_summaries_were_never_built_leaves_them_to_be_built(app):
    from .factories import create_agency, create_user

    create_user(agency=create_agency())
    assert tally.as_of(db.session) is None
    db.session.remove()
    downgrade(revision="0019")
    upgrade()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MonthCount)) == 0


def test_the_levels_offered_are_those_of_people_with_figures(app, monkeypatch):
    now = _seeded()
    agency = db.session.scalars(sa.select(Agency).order_by(Agency.id)).first()
    scopes = (Scope(agency_id=None), Scope(agency_id=agency.id, agency_name=agency.name))
    for scope in scopes:
        levels = queries.level_choices(scope)
        assert len(levels) > 1
        assert levels == _from_attempts(monkeypatch, lambda s=scope: queries.level_choices(s))
    # A level held only by someone with nothing to count (no requirement, no attempt).
    from .factories import create_user

    create_user(agency=agency, level="Level 99")
    assert "Level 99" not in queries.level_choices(scopes[1])
    assert "Level 99" in _from_attempts(monkeypatch, lambda: queries.level_choices(scopes[1]))
    # Once they have a figure, it is offered, in this agency only.
    person = db.session.scalars(
        sa.select(User).where(User.agency_id == agency.id, User.level.is_not(None))
    ).first()
    person.level = "Level 98"
    update_requirements([person], now=now)
    db.session.commit()
    assert "Level 98" in queries.level_choices(scopes[1])
    assert "Level 98" in queries.level_choices(scopes[0])
    other = Scope(agency_id=agency.id + 1, agency_name="other")
    assert "Level 98" not in queries.level_choices(other)


@pytest.mark.parametrize("days", [0, 400, 900])
def test_the_overdue_pages_are_the_overdue_list_in_pieces(app, days):
    now = _seeded() + timedelta(days=days)
    agency = db.session.scalars(sa.select(Agency).order_by(Agency.id)).first()
    scope = Scope(agency_id=agency.id, agency_name=agency.name)
    filters = queries.Filters(period=rolling(12, now))
    everyone = queries.overdue_people(scope, filters, now=now)
    assert list(queries.each_overdue(scope, filters, now=now, chunk=7)) == everyone
    if days:
        assert len(everyone) > 20
    per_page = 9
    pages = max(1, -(-len(everyone) // per_page))
    for number in range(1, pages + 1):
        page = queries.overdue_page(scope, filters, now=now, page=number, per_page=per_page)
        assert page.total == len(everyone)
        assert page.pages == pages
        assert page.rows == everyone[(number - 1) * per_page : number * per_page]
    last = queries.overdue_page(scope, filters, now=now, page=pages + 5, per_page=per_page)
    assert last.page == pages
    team = db.session.scalars(sa.select(Team).where(Team.agency_id == agency.id)).first()
    narrowed = queries.Filters(period=filters.period, team_id=team.id, check_id=1)
    few = queries.overdue_people(scope, narrowed, now=now)
    page = queries.overdue_page(scope, narrowed, now=now, page=1, per_page=per_page)
    assert (page.total, page.rows) == (len(few), few[:per_page])
    attempts = db.session.scalar(sa.select(sa.func.count()).select_from(Attempt))
    assert attempts  # the list's last attempts come from these
