"""The stored overdue keys (migrations 0022 and 0023): Requirement.deadline_at equal to the
later of the due date and the pass's expiry, and the copies of the person's agency and
name and the check's title equal to theirs, after every kind of write; filled by the
migrations, checked by `flask dashboards verify` and set right by `refresh`; and the
overdue list read from them names the requirements status_of calls overdue, in the
same order (deadline, name, check, person).

Every test in the suite also ends by comparing every stored deadline with its dates
(tests/conftest.py, through tally.mismatches)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from quizapp.bench import seed
from quizapp.dashboards import queries
from quizapp.dashboards.periods import rolling
from quizapp.dashboards.scope import Scope
from quizapp.extensions import db
from quizapp.models import Agency, Check, Completion, Requirement, User, utcnow
from quizapp.workforce import deadlines, tally
from quizapp.workforce.requirements import rebuild_all, update_requirements
from quizapp.workforce.status import Status, next_deadline, status_of

from .test_dashboards import build_world, take


def _stored() -> dict[int, datetime]:
    return dict(db.session.execute(sa.select(Requirement.id, Requirement.deadline_at)).all())


def _expected() -> dict[int, datetime]:
    """Requirement id -> its deadline worked out in Python from its dates."""
    rows = db.session.execute(
        sa.select(Requirement.id, Requirement.due_at, Completion.expires_at).outerjoin(
            Completion,
            sa.and_(
                Completion.user_id == Requirement.user_id,
                Completion.check_id == Requirement.check_id,
            ),
        )
    )
    return {r.id: next_deadline(due_at=r.due_at, expires_at=r.expires_at) for r in rows}


def _copies() -> dict[int, tuple]:
    """Requirement id -> (stored copies, what they copy): agency, name, check title."""
    rows = db.session.execute(
        sa.select(
            Requirement.id,
            Requirement.agency_id,
            Requirement.person_name,
            Requirement.check_title,
            User.agency_id.label("agency"),
            User.name,
            Check.title,
        )
        .join(User, User.id == Requirement.user_id)
        .join(Check, Check.id == Requirement.check_id)
    )
    return {
        r.id: ((r.agency_id, r.person_name, r.check_title), (r.agency, r.name, r.title))
        for r in rows
    }


def _assert_right() -> None:
    assert _stored() == _expected()
    assert all(stored == right for stored, right in _copies().values())
    assert deadlines.mismatches(db.session) == {}
    assert tally.mismatches(db.session) == {}


def _requirement(user: User, check: Check) -> Requirement:
    found = db.session.scalar(
        sa.select(Requirement).where(
            Requirement.user_id == user.id, Requirement.check_id == check.id
        )
    )
    assert found is not None
    return found


def _completion(user: User, check: Check) -> Completion | None:
    return db.session.scalar(
        sa.select(Completion).where(Completion.user_id == user.id, Completion.check_id == check.id)
    )


def test_each_kind_of_write_keeps_the_stored_deadlines_right(app):
    world = build_world(people_a1=7, people_a2=2, people_b=3)
    _assert_right()
    stored = _stored()
    # The world's passes moved some deadlines past their due dates, not all.
    due = dict(db.session.execute(sa.select(Requirement.id, Requirement.due_at)).all())
    assert any(stored[i] > due[i] for i in stored)
    assert any(stored[i] == due[i] for i in stored)

    # A first pass, loaded requirement in hand: it reads the new deadline, the expiry.
    never = db.session.scalars(
        sa.select(User)
        .join(Requirement, Requirement.user_id == User.id)
        .where(~sa.exists().where(Completion.user_id == User.id))
        .order_by(User.id)
    ).first()
    requirement = _requirement(never, world.check)
    assert requirement.deadline_at == requirement.due_at
    take(never, world.check, skill=1.0, at=utcnow(), rng=random.Random(5))
    db.session.commit()
    completion = _completion(never, world.check)
    assert completion is not None
    assert requirement.deadline_at == completion.expires_at > requirement.due_at
    _assert_right()

    # The pass's expiry moved (a refresh period changed): later, then before the due date.
    completion.expires_at = completion.expires_at + timedelta(days=100)
    db.session.commit()
    assert requirement.deadline_at == completion.expires_at
    completion.expires_at = requirement.due_at - timedelta(days=1)
    completion.passed_at = completion.expires_at - timedelta(days=365)
    db.session.commit()
    assert requirement.deadline_at == requirement.due_at
    _assert_right()

    # The due date moved, with and without a pass beyond it.
    requirement.due_at = requirement.due_at + timedelta(days=7)
    db.session.commit()
    assert requirement.deadline_at == requirement.due_at
    _assert_right()

    # The pass removed: the due date again.
    holder = db.session.scalars(
        sa.select(User).join(Completion, Completion.user_id == User.id).order_by(User.id)
    ).first()
    held = _requirement(holder, world.check)
    db.session.delete(_completion(holder, world.check))
    db.session.commit()
    assert held.deadline_at == held.due_at
    _assert_right()

    # A newcomer's requirement: its due date.
    newcomer = User(
        email="newcomer@example.org",
        name="Newcomer",
        agency=world.agency_b,
        team=world.team_b,
        email_confirmed_at=utcnow(),
    )
    db.session.add(newcomer)
    db.session.flush()
    update_requirements([newcomer], now=utcnow())
    db.session.commit()
    fresh = _requirement(newcomer, world.check)
    assert fresh.deadline_at == fresh.due_at
    _assert_right()

    # The person renamed and moved to another agency, the check retitled: the copies
    # follow, on requirements loaded in the session too.
    newcomer.name = "Aaron Newcomer"
    newcomer.agency, newcomer.team = world.agency_a, world.team_a1
    update_requirements([newcomer], now=utcnow())
    db.session.commit()
    assert (fresh.agency_id, fresh.person_name) == (world.agency_a.id, "Aaron Newcomer")
    world.check.title = "A retitled check"
    db.session.commit()
    assert fresh.check_title == "A retitled check"
    _assert_right()

    # Changed in a flush, then rolled back: as before.
    before = _stored()
    fresh.due_at = fresh.due_at + timedelta(days=40)
    db.session.flush()
    assert _stored()[fresh.id] == fresh.due_at
    db.session.rollback()
    assert _stored() == before
    _assert_right()

    # Every pass deleted without the ORM and rebuilt from the attempts.
    rebuild_all(now=utcnow())
    db.session.commit()
    _assert_right()
    assert _stored() != {i: d for i, d in due.items() if i in _stored()}


def _overdue_by_status(agency: Agency, now: datetime) -> list[tuple[int, str, str, datetime]]:
    """The agency's overdue requirements as status_of has them, in the list's order
    (deadline, name, check, person): what the list showed before deadlines were stored."""
    rows = db.session.execute(
        sa.select(User.id, User.name, Check.title, Requirement.due_at, Completion.expires_at)
        .select_from(Requirement)
        .join(User, User.id == Requirement.user_id)
        .join(Check, Check.id == Requirement.check_id)
        .outerjoin(
            Completion,
            sa.and_(
                Completion.user_id == Requirement.user_id,
                Completion.check_id == Requirement.check_id,
            ),
        )
        .where(User.agency_id == agency.id, User.left_at.is_(None), User.active.is_(True))
    )
    listed = [
        (r.id, r.name, r.title, next_deadline(due_at=r.due_at, expires_at=r.expires_at))
        for r in rows
        if status_of(now, due_at=r.due_at, expires_at=r.expires_at) is Status.OVERDUE
    ]
    return sorted(listed, key=lambda row: (row[3], row[1], row[2], row[0]))


@pytest.mark.parametrize("days", [0, 20, 400, 900])
def test_the_overdue_list_is_what_status_of_calls_overdue_as_time_passes(app, days):
    """Passes expire as time passes, with no write: the stored deadline is then their
    expiry, in the past, and the list names them from that moment, due then."""
    start = utcnow()
    seed(people=120, agencies=2, checks=3, attempts_per_person=2, now=start)
    db.session.commit()
    now = start + timedelta(days=days)
    agency = db.session.scalars(sa.select(Agency).order_by(Agency.id)).first()
    scope = Scope(agency_id=agency.id, agency_name=agency.name)
    filters = queries.Filters(period=rolling(12, now))
    listed = [
        (row.user_id, row.name, row.check, row.due)
        for row in queries.overdue_people(scope, filters, now=now)
    ]
    assert listed == _overdue_by_status(agency, now)
    page = queries.overdue_page(scope, filters, now=now, page=1, per_page=25)
    assert [(r.user_id, r.name, r.check, r.due) for r in page.rows] == listed[:25]
    assert page.total == len(listed)
    expired = {
        (c.user_id, c.expires_at)
        for c in db.session.scalars(sa.select(Completion).where(Completion.expires_at <= now))
    }
    assert bool(expired & {(user_id, due) for user_id, _, _, due in listed}) == (days >= 400)


def test_verify_finds_a_wrong_stored_deadline_and_refresh_sets_it_right(app):
    build_world(people_a1=3, people_a2=1, people_b=2)
    right = _stored()
    passed = db.session.scalar(  # one whose deadline is its pass's expiry
        sa.select(Requirement.id)
        .where(Requirement.deadline_at > Requirement.due_at)
        .order_by(Requirement.id)
    )
    assert passed is not None
    db.session.execute(
        sa.update(Requirement)
        .where(Requirement.id == passed)
        .values(deadline_at=Requirement.due_at)
        .execution_options(synchronize_session=False)
    )
    other = db.session.scalar(
        sa.select(sa.func.min(Requirement.id)).where(Requirement.id != passed)
    )
    db.session.execute(
        sa.update(Requirement)
        .where(Requirement.id == other)
        .values(person_name="Someone else")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    assert set(deadlines.mismatches(db.session)) == {passed, other}
    runner = app.test_cli_runner()
    result = runner.invoke(args=["dashboards", "verify"])
    assert result.exit_code == 1
    assert f"requirements ({passed},)" in result.output
    assert f"requirements ({other},)" in result.output
    result = runner.invoke(args=["dashboards", "refresh"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert _stored() == right
    result = runner.invoke(args=["dashboards", "verify"])
    assert result.exit_code == 0, result.output


def test_upgrading_to_0023_fills_the_keys_and_downgrading_removes_them(app):
    seed(people=150, agencies=3, checks=3, attempts_per_person=2, now=utcnow())
    db.session.commit()
    stored = _stored()
    assert stored == _expected()
    copies = _copies()
    due = dict(db.session.execute(sa.select(Requirement.id, Requirement.due_at)).all())
    assert any(stored[i] > due[i] for i in stored)  # some from passes
    db.session.remove()
    downgrade(revision="0021")
    with db.engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("requirements")}
    assert not columns & {"deadline_at", "agency_id", "person_name", "check_title"}
    upgrade()
    assert _stored() == stored
    assert _copies() == copies
    assert tally.mismatches(db.session) == {}


def test_a_wrong_agency_copy_never_lists_someone_of_another_agency(app):
    """The list is read by the requirement's copy of the agency (for its index); should
    that copy ever be wrong, the person's own agency, asked again of the rows listed,
    keeps them off another agency's list and its CSV."""
    start = utcnow()
    seed(people=120, agencies=2, checks=3, attempts_per_person=2, now=start)
    db.session.commit()
    now = start + timedelta(days=30)
    first, second = db.session.scalars(sa.select(Agency).order_by(Agency.id)).all()
    scope = Scope(agency_id=first.id, agency_name=first.name)
    filters = queries.Filters(period=rolling(12, now))
    theirs = [
        row.user_id
        for row in queries.overdue_people(
            Scope(agency_id=second.id, agency_name=second.name), filters, now=now
        )
    ]
    assert theirs
    outsider = theirs[0]
    db.session.execute(
        sa.update(Requirement)
        .where(Requirement.user_id == outsider)
        .values(agency_id=first.id)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    ours = {row.user_id for row in queries.overdue_people(scope, filters, now=now)}
    page = queries.overdue_page(scope, filters, now=now, page=1, per_page=10_000)
    assert ours and outsider not in ours
    assert outsider not in {row.user_id for row in page.rows}
    people = set(db.session.scalars(sa.select(User.id).where(User.agency_id == first.id)))
    assert ours <= people
    tally.rebuild(db.session, now=utcnow())  # the copy set right again
    db.session.commit()
    assert deadlines.mismatches(db.session) == {}
