"""The yearly learning counts (FindingYearCount, QuestionYearCount and YearCount's sure
and unsure people, migration 0021): the learning cube's figures per finding, question and
whole attempt for a reporting year, kept in step with each kind of write, rebuilt by a
refresh, filled by the migration, and read by the learning pages with the same figures
the attempts give.

Every test in the suite also ends by comparing all the summaries, these included, with a
recount (tests/conftest.py)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from sqlalchemy import event

from quizapp.bench import seed
from quizapp.dashboards import pages, queries
from quizapp.dashboards.periods import reporting_year, reporting_year_of, rolling
from quizapp.dashboards.scope import Scope
from quizapp.extensions import db
from quizapp.models import (
    Agency,
    AttemptMarks,
    FindingYearCount,
    QuestionYearCount,
    StatusCountsClock,
    Team,
    User,
    YearCount,
    utcnow,
)
from quizapp.models.tally import LEARNING_COUNTS, WHOLE_ATTEMPT
from quizapp.workforce import tally
from quizapp.workforce.requirements import update_requirements

#: The learning cube's three groupings (pages.learning_cubes).
CUBE = ("check", "group", "level")
TABLES = (FindingYearCount, QuestionYearCount)
#: What the learning cube asks of mark_sums: per finding, whole attempts, per question.
LEARNING_BY = ((*CUBE, "finding"), CUBE, (*CUBE, "question"))


def _seeded(now=None):
    now = now or utcnow()
    seed(people=150, agencies=3, checks=3, attempts_per_person=2, now=now)
    db.session.commit()
    return now


def _stored() -> dict[tuple, tuple]:
    """The learning counts as stored (marks rounded: sums may differ in the last bits by
    the order of adding), rows of zeros left out."""
    stored = {}
    for table in TABLES:
        item = table.finding_key if table is FindingYearCount else table.question_key
        for row in db.session.execute(sa.select(table, item.label("item"))):
            r = row[0]
            counts = tuple(
                round(getattr(r, name), 6) if name in ("marks", "points") else getattr(r, name)
                for name in LEARNING_COUNTS
            )
            if any(counts):
                key = (r.agency_id, r.team_key, r.level, r.check_id, r.reporting_year)
                stored[(table.__tablename__, *key, r.bank_key, row.item)] = counts
    for r in db.session.scalars(sa.select(YearCount)):
        if r.people:
            key = (r.agency_id, r.team_key, r.level, r.check_id, r.reporting_year)
            stored[("year_counts", *key)] = (r.sure_people, r.unsure_people)
    return stored


def _from_attempts(monkeypatch, call):
    """What `call` returns read straight from the attempts, as if never summarised (the
    learning counts are asked first, and the clock only when they hold nothing)."""
    with monkeypatch.context() as patch:
        patch.setattr(tally, "as_of", lambda session: None)
        patch.setattr(queries, "_stored_learning", lambda *args, **kwargs: None)
        return call()


def _same(summed: dict, counted: dict, where) -> None:
    assert summed.keys() == counted.keys(), where
    for key, value in summed.items():
        other = counted[key]
        assert value.marks == pytest.approx(other.marks), (where, key)
        assert value.points == pytest.approx(other.points), (where, key)
        assert (value.people, value.wrong, value.confidently_wrong) == (
            other.people,
            other.wrong,
            other.confidently_wrong,
        ), (where, key)
        assert (value.wrong_people, value.sure_people, value.unsure_people) == (
            other.wrong_people,
            other.sure_people,
            other.unsure_people,
        ), (where, key)


class _Statements:
    """The SQL sent while in the block."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def __enter__(self) -> _Statements:
        event.listen(db.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_) -> None:
        event.remove(db.engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, *_) -> None:
        self.sent.append(statement)

    def read(self, table: str) -> bool:
        return any(f"FROM {table}" in statement for statement in self.sent)


def test_the_learning_figures_from_the_yearly_counts_equal_those_from_the_attempts(
    app, monkeypatch
):
    now = _seeded()
    agency = db.session.scalars(sa.select(Agency).order_by(Agency.id)).first()
    team = db.session.scalars(sa.select(Team).where(Team.agency_id == agency.id)).first()
    agency_scope = Scope(agency_id=agency.id, agency_name=agency.name)
    finding = tuple(
        db.session.execute(
            sa.select(AttemptMarks.bank_key, AttemptMarks.finding_key)
            .where(AttemptMarks.finding_key != WHOLE_ATTEMPT)
            .order_by(AttemptMarks.bank_key, AttemptMarks.finding_key)
        ).first()
    )
    groupings = (
        ((*CUBE, "finding"), None, "finding_year_counts"),
        (CUBE, None, "year_counts"),
        ((*CUBE, "question"), None, "question_year_counts"),
        (("group", "check", "finding"), None, "finding_year_counts"),
        (("check", "question"), None, "question_year_counts"),
        (("check",), None, "year_counts"),
        (("check", "level"), finding, "finding_year_counts"),
    )
    this_year = reporting_year_of(now)
    compared = cells = 0
    for year in (this_year, this_year - 1, this_year - 2):
        period = reporting_year(year)
        for scope in (Scope(agency_id=None), agency_scope):
            for filters in (
                queries.Filters(period=period),
                queries.Filters(period=period, check_id=1),
                queries.Filters(period=period, check_id=2, level="Level 3"),
                queries.Filters(period=period, team_id=team.id),
                queries.Filters(period=period, agency_id=agency.id),
            ):
                if not scope.partnership and filters.agency_id is not None:
                    continue
                for by, one, table in groupings:
                    with _Statements() as sent:
                        summed = queries.mark_sums(scope, filters, period, by=by, finding=one)
                    assert sent.read(table), (by, sent.sent)
                    assert not sent.read("attempts"), (by, sent.sent)
                    counted = _from_attempts(
                        monkeypatch,
                        lambda s=scope, f=filters, p=period, b=by, o=one: queries.mark_sums(
                            s, f, p, by=b, finding=o
                        ),
                    )
                    _same(summed, counted, (year, scope, filters, by))
                    compared += 1
                    cells += len(summed)
    assert compared > 150
    assert cells > 2000  # most of these views have figures


def test_what_the_yearly_counts_cannot_give_still_comes_from_the_attempts(app):
    """Another period than a reporting year, or a grouping whose people can't be added
    from the rows (over several checks or items): the attempts, as before."""
    now = _seeded()
    year = reporting_year(reporting_year_of(now))
    for period, by in (
        (rolling(12, now), (*CUBE, "finding")),
        (rolling(12, now), (*CUBE, "question")),
        (year, ("group", "finding")),
        (year, ("group", "level")),
        (year, ("level", "question")),
    ):
        filters = queries.Filters(period=period)
        with _Statements() as sent:
            sums = queries.mark_sums(Scope(agency_id=None), filters, period, by=by)
        assert sums
        assert not any(sent.read(t.__tablename__) for t in TABLES), by
        assert sent.read("attempts"), by


def test_before_the_counts_are_built_the_learning_figures_come_from_the_attempts(app):
    now = _seeded()
    period = reporting_year(reporting_year_of(now))
    filters = queries.Filters(period=period)
    scope = Scope(agency_id=None)
    summed = {by: queries.mark_sums(scope, filters, period, by=by) for by in LEARNING_BY}
    for summary in tally.SUMMARIES:
        db.session.execute(sa.delete(summary.table))
    db.session.execute(sa.delete(StatusCountsClock))
    db.session.commit()
    assert tally.as_of(db.session) is None
    for by in LEARNING_BY:
        with _Statements() as sent:
            counted = queries.mark_sums(scope, filters, period, by=by)
        assert sent.read("attempts"), by
        assert counted
        _same(summed[by], counted, by)


def test_the_learning_pages_cubes_are_the_same_from_the_yearly_counts(app, monkeypatch):
    now = _seeded()
    agency = db.session.scalars(sa.select(Agency).order_by(Agency.id)).first()
    for scope in (Scope(agency_id=None), Scope(agency_id=agency.id, agency_name=agency.name)):
        layout = pages.layout_for(scope, queries.choices(scope))
        period = reporting_year(reporting_year_of(now))
        every = pages.learning_cubes(scope, layout, queries.Filters(period=period), threshold=5)
        assert every
        for check_id in (None, *every):
            filters = queries.Filters(period=period, check_id=check_id)
            cubes = pages.learning_cubes(scope, layout, filters, threshold=5)
            assert cubes
            assert cubes == _from_attempts(
                monkeypatch,
                lambda s=scope, f=filters, g=layout: pages.learning_cubes(s, g, f, threshold=5),
            )


def test_each_kind_of_write_keeps_the_learning_counts_equal_to_a_recount(app, monkeypatch):
    """Submitting an attempt, moving team, changing level, moving agency, leaving, and a
    rolled-back change: after each, the stored counts equal a recount, and the figures
    read from them equal the attempts'."""
    from .test_dashboards import build_world, take

    world = build_world(people_a1=3, people_a2=2, people_b=2)
    assert tally.as_of(db.session) is not None
    assert tally.mismatches(db.session) == {}
    period = reporting_year(reporting_year_of(utcnow()))

    def figures_agree() -> None:
        assert tally.mismatches(db.session) == {}
        for scope in (Scope(agency_id=None), Scope(agency_id=world.agency_a.id)):
            for by in LEARNING_BY:
                filters = queries.Filters(period=period)
                _same(
                    queries.mark_sums(scope, filters, period, by=by),
                    _from_attempts(
                        monkeypatch,
                        lambda s=scope, f=filters, b=by: queries.mark_sums(s, f, period, by=b),
                    ),
                    (scope, by),
                )

    def people(table) -> int:
        return db.session.scalar(sa.select(sa.func.sum(table.people))) or 0

    figures_agree()
    before = {table: people(table) for table in TABLES}
    person = db.session.scalars(
        sa.select(User).where(User.team_id == world.team_a1.id).order_by(User.id)
    ).first()
    take(person, world.check, skill=0.3, at=utcnow(), rng=random.Random(3))
    db.session.commit()
    figures_agree()
    assert all(people(table) > before[table] for table in TABLES)

    person.team_id = world.team_a2.id
    update_requirements([person], now=utcnow())
    db.session.commit()
    figures_agree()
    assert any(
        db.session.scalars(
            sa.select(table.people).where(table.team_key == world.team_a2.id, table.people > 0)
        ).first()
        for table in TABLES
    )

    person.level = "Level 1"
    db.session.commit()
    figures_agree()
    assert any(k[3] == "Level 1" for k in _stored())

    person.agency_id, person.team_id = world.agency_b.id, world.team_b.id
    update_requirements([person], now=utcnow())
    db.session.commit()
    figures_agree()

    person.left_at = utcnow()
    update_requirements([person], now=utcnow())
    db.session.commit()
    figures_agree()
    # Leavers' attempts happened: they stay in the counts where the person now is.
    assert any(k[1] == world.agency_b.id and k[3] == "Level 1" for k in _stored())

    stored = _stored()
    other = db.session.scalars(
        sa.select(User).where(User.team_id == world.team_a1.id, User.id != person.id)
    ).first()
    other.level = "Level 9"
    db.session.flush()
    db.session.rollback()
    assert _stored() == stored
    figures_agree()


def test_refresh_rebuilds_the_learning_counts(app):
    _seeded(utcnow() - timedelta(days=3))
    stored = _stored()
    assert {key[0] for key in stored} == {
        "finding_year_counts",
        "question_year_counts",
        "year_counts",
    }
    assert any(v[0] and v[1] for k, v in stored.items() if k[0] == "year_counts")
    for table in TABLES:
        db.session.execute(sa.delete(table))
    db.session.execute(sa.update(YearCount).values(sure_people=0, unsure_people=0))
    db.session.commit()
    assert tally.mismatches(db.session) != {}
    result = app.test_cli_runner().invoke(args=["dashboards", "refresh"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _stored() == stored
    assert tally.mismatches(db.session) == {}


def test_upgrading_to_0021_fills_the_learning_counts_from_the_attempts(app):
    _seeded()
    stored = _stored()
    assert len(stored) > 100
    db.session.remove()
    downgrade(revision="0020")
    upgrade()
    assert _stored() == stored
    assert tally.mismatches(db.session) == {}


def test_upgrading_a_database_whose_summaries_were_never_built_leaves_them_to_be_built(app):
    from .factories import create_agency, create_user

    create_user(agency=create_agency())
    assert tally.as_of(db.session) is None
    db.session.remove()
    downgrade(revision="0020")
    upgrade()
    for table in TABLES:
        assert db.session.scalar(sa.select(sa.func.count()).select_from(table)) == 0
