"""Changing and ending assignments, late joiners' grace period, retiring checks,
assignment emails and the partnership's advice line.

Every count a confirmation shows is compared with the requirements actually removed; the
dashboards' summaries are checked against a recount after every test (conftest)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from quizapp.extensions import db
from quizapp.models import (
    Agency,
    Assignment,
    AssignmentEmail,
    Attempt,
    AuditEvent,
    Check,
    Completion,
    Requirement,
    Role,
    Team,
    User,
    utcnow,
)
from quizapp.take import operations as take
from quizapp.take.queries import checks_for
from quizapp.workforce.audience import due_at
from quizapp.workforce.emails import deliver
from quizapp.workforce.operations import (
    RetiredCheck,
    create_assignment,
    end_assignment,
    retire_check,
)
from quizapp.workforce.requirements import update_requirements
from quizapp.workforce.status import Status

from .factories import (
    check_for,
    create_agency,
    create_team,
    create_user,
    import_bank_text,
    small_bank,
)
from .mail import Mailbox
from .mail import free_port as _free_port

#: End of 31 March 2026 in London (BST from 29 March): 22:59:59 UTC.
END_OF_31_MARCH = datetime(2026, 3, 31, 22, 59, 59, tzinfo=UTC)


@pytest.fixture
def check(app) -> Check:
    return check_for(import_bank_text(small_bank()))


@pytest.fixture
def admin(client, auth) -> User:
    user = create_user(email="admin@example.org", roles=(Role.ADMIN,))
    auth.sign_in("admin@example.org")
    return user


def _required(check: Check) -> set[str]:
    db.session.expire_all()
    return set(
        db.session.scalars(
            sa.select(User.email)
            .join(Requirement, Requirement.user_id == User.id)
            .where(Requirement.check_id == check.id)
        )
    )


def _due(user: User, check: Check) -> datetime:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Requirement.due_at).where(
            Requirement.user_id == user.id, Requirement.check_id == check.id
        )
    )


def _people(agency: Agency, count: int, prefix: str, **fields) -> list[User]:
    return [
        create_user(email=f"{prefix}{n}@example.org", agency=agency, **fields) for n in range(count)
    ]


def _pass(user: User, check: Check, *, now: datetime) -> Attempt:
    attempt = take.start_attempt(user, check, now=now)
    for question in attempt.bank_version.questions:
        answer = {"single": 0, "multiple": [0, 1], "true_false": False, "ordering": [0, 1, 2]}
        take.save_answer(attempt, question, answer.get(question.type, ""), 2, now=now)
    assert take.submit_attempt(attempt, now=now)
    return attempt


def _freeze(monkeypatch, moment: datetime) -> None:
    """The admin pages' clock: "today" and the moment changes are made."""
    monkeypatch.setattr("quizapp.admin.assignments.utcnow", lambda: moment)


# The grace period for people who join after a fixed due date ---------------------------


def test_due_at_gives_late_joiners_the_grace_period_with_exact_dates():
    made = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    fixed = {"due_date": date(2026, 3, 31), "due_days": None, "assigned_at": made}
    # In the audience when it was made, or joining before the date: the date itself.
    assert due_at(**fixed, required_since=made, grace_days=30) == END_OF_31_MARCH
    joined = datetime(2026, 3, 15, 8, 0, tzinfo=UTC)
    assert due_at(**fixed, required_since=joined, grace_days=30) == END_OF_31_MARCH
    # Joining on the day itself (before it ends in London) still means that day.
    assert due_at(**fixed, required_since=END_OF_31_MARCH, grace_days=30) == END_OF_31_MARCH
    # Joining after the date: 30 days (or the assignment's own number) after joining.
    late = datetime(2026, 4, 10, 12, 0, tzinfo=UTC)
    assert due_at(**fixed, required_since=late, grace_days=30) == datetime(
        2026, 5, 10, 12, 0, tzinfo=UTC
    )
    assert due_at(**fixed, required_since=late, grace_days=14) == datetime(
        2026, 4, 24, 12, 0, tzinfo=UTC
    )
    assert due_at(**fixed, required_since=late, grace_days=0) == late
    # Made with a date already past: the people it reached then are overdue (they were
    # warned); people joining later get the grace period.
    made_late = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    past = {**fixed, "assigned_at": made_late}
    assert due_at(**past, required_since=made_late, grace_days=30) == END_OF_31_MARCH
    later = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)
    assert due_at(**past, required_since=later, grace_days=30) == datetime(
        2026, 6, 4, 9, 0, tzinfo=UTC
    )


def test_a_new_starter_after_the_due_date_is_due_not_overdue_on_their_first_screen(app, check):
    agency = create_agency()
    (early,) = _people(agency, 1, "early")
    made = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    create_assignment(
        check=check, all_agencies=True, due_date=date(2026, 3, 31), grace_days=21, now=made
    )
    db.session.commit()
    (starter,) = _people(agency, 1, "starter")
    joined = datetime(2026, 4, 20, 8, 30, tzinfo=UTC)
    update_requirements([starter], now=joined)
    db.session.commit()

    assert _due(early, check) == END_OF_31_MARCH
    assert _due(starter, check) == datetime(2026, 5, 11, 8, 30, tzinfo=UTC)
    first_screen = joined + timedelta(minutes=5)
    assert checks_for(starter, now=first_screen)[0].status is Status.DUE
    assert checks_for(early, now=first_screen)[0].status is Status.OVERDUE
    assert checks_for(starter, now=datetime(2026, 5, 12, tzinfo=UTC))[0].status is Status.OVERDUE


def test_a_past_due_date_is_warned_about_and_saved_only_once_confirmed(
    app, client, admin, check, monkeypatch
):
    agency = create_agency()
    _people(agency, 3, "staff")
    _freeze(monkeypatch, datetime(2026, 5, 1, 9, 0, tzinfo=UTC))
    data = {
        "check": check.id,
        "agencies": [agency.id],
        "due_rule": "date",
        "due_date": ["31", "3", "2026"],
    }
    warned = client.post("/admin/assignments/new", data=data)
    page = warned.get_data(as_text=True)
    assert warned.status_code == 200
    assert "The due date, 31 March 2026, has already passed" in page
    assert "People who join its audience later are due 30 days after they join" in page
    assert "Assign anyway" in page
    assert 'name="confirmed" type="hidden" value="past:2026-03-31"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0

    # A different past date than the one confirmed is warned about again.
    other = client.post(
        "/admin/assignments/new",
        data={**data, "due_date": ["1", "4", "2026"], "confirmed": "past:2026-03-31"},
    )
    assert "The due date, 1 April 2026, has already passed" in other.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Assignment)) == 0

    saved = client.post("/admin/assignments/new", data={**data, "confirmed": "past:2026-03-31"})
    assert saved.status_code == 302
    assert len(_required(check)) == 3
    staff = db.session.scalars(sa.select(User).where(User.agency_id == agency.id))
    assert {_due(u, check) for u in staff} == {END_OF_31_MARCH}

    # Today's date (UK) is not past: no warning.
    today = client.post("/admin/assignments/new", data={**data, "due_date": ["1", "5", "2026"]})
    assert today.status_code == 302


def test_the_grace_period_is_set_on_the_form_and_checked(app, client, admin, check, monkeypatch):
    agency = create_agency()
    db.session.commit()
    _freeze(monkeypatch, datetime(2026, 1, 5, 9, 0, tzinfo=UTC))
    data = {"check": check.id, "agencies": [agency.id], "due_rule": "date"}
    refused = client.post(
        "/admin/assignments/new",
        data={**data, "due_date": ["31", "3", "2026"], "grace_days": "-1"},
    )
    assert refused.status_code == 422
    assert "Number of days must be between 0 and 3650" in refused.get_data(as_text=True)
    first = client.post(
        "/admin/assignments/new",
        data={**data, "due_date": ["31", "3", "2026"], "grace_days": "45"},
    )
    assert first.status_code == 302, first.get_data(as_text=True)
    second = client.post("/admin/assignments/new", data={**data, "due_date": ["30", "6", "2026"]})
    assert second.status_code == 302
    assert sorted(db.session.scalars(sa.select(Assignment.grace_days))) == [30, 45]


# Changing an assignment -------------------------------------------------------------------


def _two_agencies_assigned(check: Check, *, now: datetime) -> tuple[Agency, Agency, Assignment]:
    police = create_agency(name="Police", sector="police")
    school = create_agency(name="School", sector="education")
    _people(police, 3, "officer")
    _people(school, 2, "teacher")
    assignment = create_assignment(
        check=check, all_agencies=False, agencies=[police, school], due_days=30, now=now
    )
    db.session.commit()
    return police, school, assignment


def test_narrowing_an_assignment_asks_first_and_names_the_real_number(app, client, admin, check):
    police, school, assignment = _two_agencies_assigned(check, now=utcnow())
    form = client.get(f"/admin/assignments/{assignment.id}/edit").get_data(as_text=True)
    assert f'value="{police.id}" checked' in form and f'value="{school.id}" checked' in form
    assert 'value="30"' in form  # days after joining, as saved

    data = {"agencies": [police.id], "due_rule": "days", "due_days": "30"}
    warned = client.post(f"/admin/assignments/{assignment.id}/edit", data=data)
    page = warned.get_data(as_text=True)
    assert warned.status_code == 200
    assert "This change removes the check from 2 people&#39;s required checks" in page
    assert "Save anyway" in page
    assert len(_required(check)) == 5  # nothing changed yet

    saved = client.post(
        f"/admin/assignments/{assignment.id}/edit", data={**data, "confirmed": "drops:2"}
    )
    assert saved.status_code == 302
    assert _required(check) == {f"officer{n}@example.org" for n in range(3)}
    event = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "assignment.change")
    ).one()
    assert event.details["required_before"] == 5 and event.details["required_after"] == 3


def test_widening_an_assignment_or_changing_its_dates_needs_no_confirmation(
    app, client, admin, check
):
    made = utcnow() - timedelta(days=10)
    _police, _school, assignment = _two_agencies_assigned(check, now=made)
    health = create_agency(name="Hospital")
    (nurse,) = _people(health, 1, "nurse")
    officer = db.session.scalar(sa.select(User).where(User.email == "officer0@example.org"))
    data = {
        "all_agencies": "y",
        "due_rule": "days",
        "due_days": "60",
        "refresh_months": "24",
        "job_roles": "Health visitor\n",
    }
    response = client.post(f"/admin/assignments/{assignment.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert len(_required(check)) == 6
    # Those already required keep the day they joined; the newcomer joins now.
    assert _due(officer, check) == made + timedelta(days=60)
    assert _due(nurse, check) > utcnow() + timedelta(days=59)
    db.session.expire_all()
    changed = db.session.get(Assignment, assignment.id)
    assert changed.all_agencies and changed.agencies == [] and changed.refresh_months == 24
    assert changed.job_roles == ["Health visitor"]


def test_changing_to_a_past_date_warns_but_keeping_one_does_not(
    app, client, admin, check, monkeypatch
):
    police = create_agency(name="Police", sector="police")
    _people(police, 2, "officer")
    _freeze(monkeypatch, datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    assignment = create_assignment(
        check=check,
        all_agencies=False,
        agencies=[police],
        due_date=date(2026, 3, 31),
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    db.session.commit()
    keep = {"agencies": [police.id], "due_rule": "date", "due_date": ["31", "3", "2026"]}
    assert client.post(f"/admin/assignments/{assignment.id}/edit", data=keep).status_code == 302
    moved = {**keep, "due_date": ["30", "4", "2026"]}
    warned = client.post(f"/admin/assignments/{assignment.id}/edit", data=moved)
    assert "The due date, 30 April 2026, has already passed" in warned.get_data(as_text=True)
    client.post(
        f"/admin/assignments/{assignment.id}/edit",
        data={**moved, "confirmed": "past:2026-04-30"},
    )
    officer = db.session.scalar(sa.select(User).where(User.email == "officer0@example.org"))
    assert _due(officer, check) == datetime(2026, 4, 30, 22, 59, 59, tzinfo=UTC)


def test_an_assignment_form_with_errors_saves_nothing(app, client, admin, check):
    police, _school, assignment = _two_agencies_assigned(check, now=utcnow())
    response = client.post(
        f"/admin/assignments/{assignment.id}/edit",
        data={"agencies": [police.id], "due_rule": "days", "due_days": "-3"},
    )
    assert response.status_code == 422
    assert "Number of days must be between 0 and 3650" in response.get_data(as_text=True)
    assert len(_required(check)) == 5
    assert db.session.get(Assignment, assignment.id).due_days == 30


# Ending an assignment ---------------------------------------------------------------------


def test_ending_an_assignment_confirms_the_real_number_and_keeps_history(app, client, admin, check):
    now = utcnow()
    _police, school, assignment = _two_agencies_assigned(check, now=now - timedelta(days=5))
    # The school is also reached by another assignment: ending this one keeps it for them.
    create_assignment(
        check=check, all_agencies=False, agencies=[school], due_days=90, now=now - timedelta(days=4)
    )
    officer = db.session.scalar(sa.select(User).where(User.email == "officer0@example.org"))
    _pass(officer, check, now=now - timedelta(days=1))
    db.session.commit()

    page = client.get(f"/admin/assignments/{assignment.id}/end")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "This removes the check from 3 people&#39;s required checks" in text
    assert "2 other people keep the check through another assignment" in text
    assert len(_required(check)) == 5  # asking changes nothing

    ended = client.post(f"/admin/assignments/{assignment.id}/end")
    assert ended.status_code == 302
    assert _required(check) == {"teacher0@example.org", "teacher1@example.org"}
    teacher = db.session.scalar(sa.select(User).where(User.email == "teacher0@example.org"))
    # The other assignment now sets their date, counted from when they joined.
    assert _due(teacher, check) == now - timedelta(days=5) + timedelta(days=90)
    db.session.expire_all()
    kept = db.session.get(Assignment, assignment.id)
    assert kept.ended_at is not None
    # History: the pass and the attempt stay.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Completion)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1
    listed = client.get("/admin/assignments/").get_data(as_text=True)
    ended_table = listed[listed.index('id="ended-assignments"') :]
    assert "Police, School" in ended_table
    # An ended assignment can't be changed or ended again.
    for url in (
        f"/admin/assignments/{assignment.id}/edit",
        f"/admin/assignments/{assignment.id}/end",
    ):
        refused = client.get(url)
        assert refused.status_code == 409
        assert "This assignment has ended" in refused.get_data(as_text=True)


def test_the_remaining_assignment_sets_the_due_date_after_one_ends(app, check):
    police = create_agency(name="Police", sector="police")
    (officer,) = _people(police, 1, "officer")
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    soon = create_assignment(check=check, all_agencies=True, due_days=10, now=t0)
    create_assignment(check=check, all_agencies=True, due_days=40, now=t0 + timedelta(days=2))
    db.session.commit()
    assert _due(officer, check) == t0 + timedelta(days=10)
    end_assignment(soon, now=t0 + timedelta(days=3))
    db.session.commit()
    # Still required since t0 (they never left the audience), due 40 days from then.
    assert _due(officer, check) == t0 + timedelta(days=40)


def test_the_ended_count_on_the_flash_matches_the_requirements_removed(app, client, admin, check):
    _police, _school, assignment = _two_agencies_assigned(check, now=utcnow())
    response = client.post(f"/admin/assignments/{assignment.id}/end", follow_redirects=True)
    assert "5 people no longer have it in their required checks" in response.get_data(as_text=True)
    assert _required(check) == set()


def test_a_team_named_only_by_ended_assignments_can_be_removed(app, client, admin, check):
    police = create_agency(name="Police", sector="police")
    team = create_team(agency=police, name="Response")
    team_id = team.id
    assignment = create_assignment(
        check=check, all_agencies=False, agencies=[police], teams=[team], due_days=30, now=utcnow()
    )
    db.session.commit()
    url = f"/admin/agencies/{police.id}/teams/{team.id}/remove"
    assert client.post(url).status_code == 409
    end_assignment(assignment, now=utcnow())
    db.session.commit()
    assert client.post(url).status_code == 302
    db.session.expire_all()
    assert db.session.get(Team, team_id) is None


# Retiring a check ---------------------------------------------------------------------------


def test_retiring_a_check_confirms_removes_requirements_and_keeps_history(app, client, auth, check):
    agency = create_agency()
    people = _people(agency, 3, "staff")
    now = utcnow()
    create_assignment(check=check, all_agencies=True, due_days=30, now=now - timedelta(days=3))
    _pass(people[0], check, now=now - timedelta(days=1))
    in_progress = take.start_attempt(people[1], check, now=now)
    db.session.commit()
    create_user(email="lead@example.org", roles=(Role.LEAD,))  # partnership-wide lead
    auth.sign_in("lead@example.org")

    page = client.get(f"/admin/checks/{check.id}/retire").get_data(as_text=True)
    assert "This removes the check from 3 people&#39;s required checks" in page
    assert "its 1 assignment stops requiring it of anyone" in page
    response = client.post(f"/admin/checks/{check.id}/retire", follow_redirects=True)
    assert "3 people no longer have it in their required checks" in response.get_data(as_text=True)
    assert _required(check) == set()
    assert db.session.get(Check, check.id).retired_at is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Completion)) == 1
    listed = client.get("/admin/checks/").get_data(as_text=True)
    assert "Retired" in listed
    settings = client.get(f"/admin/checks/{check.id}").get_data(as_text=True)
    assert "This check is retired" in settings and "Bring the check back" in settings
    assert client.get(f"/admin/checks/{check.id}/retire").status_code == 409

    # No new assignments: not offered, and refused with a reason if sent anyway.
    new = client.get("/admin/assignments/new").get_data(as_text=True)
    assert f'<option value="{check.id}"' not in new
    refused = client.post(
        "/admin/assignments/new",
        data={"check": check.id, "all_agencies": "y", "due_rule": "days", "due_days": "5"},
    )
    assert refused.status_code == 422
    assert "A small check is retired. Bring it back" in refused.get_data(as_text=True)
    with pytest.raises(RetiredCheck):
        create_assignment(check=check, all_agencies=True, due_days=5, now=now)
    db.session.rollback()
    auth.sign_out()

    # No new attempts: a clear page; an attempt already started can still be finished.
    auth.sign_in(people[2].email)
    refused = client.post(f"/checks/{check.id}/start")
    assert refused.status_code == 409
    assert "You cannot start this check" in refused.get_data(as_text=True)
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Attempt).where(Attempt.user_id == people[2].id)
        )
        == 0
    )
    overview = client.get(f"/checks/{check.id}").get_data(as_text=True)
    assert "This check has been retired" in overview and "Start check" not in overview
    assert "A small check" not in client.get("/checks/").get_data(as_text=True)
    auth.sign_out()

    auth.sign_in(people[0].email)  # passed it: shown, as retired
    mine = client.get("/checks/").get_data(as_text=True)
    assert "A small check" in mine and "This check is retired" in mine
    auth.sign_out()

    auth.sign_in(people[1].email)  # started before it was retired
    resumed = client.post(f"/checks/{check.id}/start")
    assert resumed.status_code == 302 and f"/attempts/{in_progress.id}/" in resumed.location


def test_bringing_a_check_back_applies_its_assignments_again(app, client, admin, check):
    agency = create_agency()
    people = _people(agency, 2, "staff")
    t0 = utcnow() - timedelta(days=20)
    assignment = create_assignment(check=check, all_agencies=True, due_days=30, now=t0)
    retire_check(check, now=t0 + timedelta(days=1))
    db.session.commit()
    assert _required(check) == set()

    response = client.post(f"/admin/checks/{check.id}/restore", follow_redirects=True)
    assert "A small check brought back" in response.get_data(as_text=True)
    assert "2 people are required to take it" in response.get_data(as_text=True)
    assert _required(check) == {p.email for p in people}
    db.session.expire_all()
    assert db.session.get(Check, check.id).retired_at is None
    requirement = db.session.scalars(sa.select(Requirement)).first()
    assert requirement.assignment_id == assignment.id
    assert requirement.required_since > t0 + timedelta(days=19)  # they join again now
    assert client.get(f"/admin/checks/{check.id}/retire").status_code == 200


# Assignment emails --------------------------------------------------------------------------


def test_people_assigned_a_check_get_one_email_each(app, client, admin, check, mailbox):
    police = create_agency(name="Police", sector="police")
    quiet = create_agency(name="Quiet Agency")
    quiet.assignment_emails = False
    db.session.commit()
    officers = _people(police, 2, "officer")
    (leaver,) = _people(police, 1, "leaver")
    leaver.left_at = utcnow()
    db.session.commit()
    _people(quiet, 1, "quiet")
    data = {
        "check": check.id,
        "agencies": [police.id, quiet.id],
        "due_rule": "days",
        "due_days": "28",
    }
    response = client.post("/admin/assignments/new", data=data, follow_redirects=True)
    assert "3 people are now required to take it. 2 people will get an email" in response.get_data(
        as_text=True
    )
    assert sorted(m["To"] for m in mailbox.messages) == sorted(o.email for o in officers)
    message = mailbox.messages[0]
    assert message["Subject"] == "Check to take: A small check"
    body = message.get_content()
    assert f"http://quizapp.test/checks/{check.id}" in body
    assert "Take it by" in body

    # Changing the assignment, or a second one for the same check, sends nothing more.
    assignment = db.session.scalars(sa.select(Assignment)).one()
    client.post(
        f"/admin/assignments/{assignment.id}/edit",
        data={"agencies": [police.id, quiet.id], "due_rule": "days", "due_days": "60"},
    )
    client.post("/admin/assignments/new", data={**data, "due_days": "90"})
    assert len(mailbox.messages) == 2

    # Someone joining the audience later gets theirs when they are added to it.
    school = create_agency(name="School")
    (teacher,) = _people(school, 1, "teacher")
    client.post(
        f"/admin/assignments/{assignment.id}/edit",
        data={"agencies": [police.id, quiet.id, school.id], "due_rule": "days", "due_days": "60"},
    )
    assert [m["To"] for m in mailbox.messages[2:]] == [teacher.email]
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AssignmentEmail)
            .where(AssignmentEmail.sent_at.is_(None))
        )
        == 0
    )


def test_a_new_assignment_after_one_ended_emails_again_but_leavers_never(app, check, mailbox):
    police = create_agency(name="Police", sector="police")
    officer, leaving = _people(police, 2, "officer")
    now = utcnow()
    first = create_assignment(check=check, all_agencies=True, due_days=30, now=now)
    db.session.commit()
    with app.test_request_context():
        assert deliver().sent == 2
    end_assignment(first, now=now)
    leaving.left_at = now
    update_requirements([leaving], now=now)
    create_assignment(check=check, all_agencies=True, due_days=30, now=now)
    db.session.commit()
    with app.test_request_context():
        assert deliver().sent == 1
    assert [m["To"] for m in mailbox.messages] == [officer.email, leaving.email, officer.email]


def test_an_uploaded_person_who_never_signed_in_is_told_how_to_get_in(app, check, mailbox):
    police = create_agency(name="Police", sector="police")
    uploaded = User(email="new@example.org", name="New Person", agency=police, job_role="")
    db.session.add(uploaded)
    db.session.commit()
    create_assignment(check=check, all_agencies=True, due_date=date(2030, 1, 31), now=utcnow())
    db.session.commit()
    with app.test_request_context():
        deliver()
    body = mailbox.only().get_content()
    assert "Take it by 31 January 2030" in body
    assert "You have not set a password yet" in body and "http://quizapp.test/register" in body


def test_emails_wait_while_the_mail_server_is_down_and_the_command_sends_them(app, check):
    police = create_agency(name="Police", sector="police")
    _people(police, 2, "officer")
    create_assignment(check=check, all_agencies=True, due_days=30, now=utcnow())
    db.session.commit()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_TIMEOUT=2)
    with app.test_request_context():
        outcome = deliver()
    assert outcome.sent == 0 and outcome.failed
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AssignmentEmail)
            .where(AssignmentEmail.sent_at.is_(None))
        )
        == 2
    )

    handler = Mailbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        # Links come from --url (a server with SERVER_NAME set would use that instead).
        app.config.update(MAIL_PORT=controller.port, SERVER_NAME=None)
        result = app.test_cli_runner().invoke(
            args=["assignments", "send-emails", "--url", "https://checks.example.org"]
        )
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert "Sent 2 assignment emails" in result.output
    assert len(handler.messages) == 2
    assert f"https://checks.example.org/checks/{check.id}" in handler.messages[0].get_content()
    again = app.test_cli_runner().invoke(
        args=["assignments", "send-emails", "--url", "https://x.org"]
    )
    assert "Sent 0 assignment emails" in again.output


def test_an_agency_turns_assignment_emails_off_on_its_page(app, client, admin, check, mailbox):
    police = create_agency(name="Police", sector="police")
    _people(police, 1, "officer")
    page = client.get(f"/admin/agencies/{police.id}").get_data(as_text=True)
    assert "On: people get an email when they are assigned a check" in page
    assert client.post(f"/admin/agencies/{police.id}/assignment-emails", data={}).status_code == 422
    response = client.post(
        f"/admin/agencies/{police.id}/assignment-emails", data={"assignment_emails": "no"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Agency, police.id).assignment_emails is False
    client.post(
        "/admin/assignments/new",
        data={"check": check.id, "all_agencies": "y", "due_rule": "days", "due_days": "5"},
    )
    assert mailbox.messages == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AssignmentEmail)) == 0


# The partnership's advice line --------------------------------------------------------------


def _submitted_attempt(client, auth, check) -> int:
    person = create_user(email="prac@example.org", agency=create_agency())
    attempt = _pass(person, check, now=utcnow())
    db.session.commit()
    auth.sign_out()
    auth.sign_in("prac@example.org")
    return attempt.id


def test_the_advice_line_is_set_once_and_shown_beside_the_reviews_own(
    app, client, auth, admin, check
):
    page = client.get("/admin/settings/advice-line")
    assert page.status_code == 200
    bad = client.post(
        "/admin/settings/advice-line",
        data={"advice_email": "not an email", "advice_phone": "call us"},
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Enter an email address in the correct format" in text
    assert "Enter a telephone number" in text
    saved = client.post(
        "/admin/settings/advice-line",
        data={
            "advice_name": "Children's Advice and Support Service",
            "advice_phone": "0121 000 1234",
            "advice_email": "Advice@Partnership.example.org",
            "advice_details": "Monday to Friday, 9am to 5pm.\n\nIn an emergency, call 999.",
        },
    )
    assert saved.status_code == 302
    attempt_id = _submitted_attempt(client, auth, check)

    result = client.get(f"/checks/attempts/{attempt_id}/result").get_data(as_text=True)
    advice = result[result.index('id="where-to-get-advice"') :]
    assert "Children&#39;s Advice and Support Service" in advice
    assert 'href="tel:01210001234"' in advice
    assert "mailto:advice@partnership.example.org" in advice
    assert '<p class="govuk-body">In an emergency, call 999.</p>' in advice
    # The review's own signposting stays, labelled as the review's.
    assert "From the review, by Test Partnership" in advice
    assert advice.index("0121 000 1234") < advice.index("Ask your safeguarding lead.")


def test_without_an_advice_line_the_result_shows_the_reviews_signposting_alone(
    app, client, auth, check
):
    attempt_id = _submitted_attempt(client, auth, check)
    result = client.get(f"/checks/attempts/{attempt_id}/result").get_data(as_text=True)
    assert "Ask your safeguarding lead." in result
    assert "From the review" not in result and 'id="partnership-advice"' not in result


def test_people_added_by_an_upload_get_the_email_of_the_assignment_that_reaches_them(
    app, client, admin, check, mailbox, tmp_path
):
    from .test_admin_people import csv_text, person_rows, save, upload

    app.config["PEOPLE_UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    hospital = create_agency(name="City Hospital")
    for name in ("Health visiting", "School nursing"):
        db.session.add(Team(agency=hospital, name=name))
    db.session.commit()
    create_assignment(check=check, all_agencies=True, levels=["Level 2"], due_days=28, now=utcnow())
    db.session.commit()
    assert upload(client, csv_text(person_rows(3))).status_code == 302
    assert save(client).status_code == 302
    # Person n is at level 1 + n % 3: only person1 is at Level 2.
    assert [m["To"] for m in mailbox.messages] == ["person1@example.org"]
    assert "You have not set a password yet" in mailbox.only().get_content()


def test_the_assignment_emails_page_shows_no_markup_as_text(app, client, admin):
    police = create_agency(name="Police", sector="police")
    db.session.commit()
    page = client.get(f"/admin/agencies/{police.id}/assignment-emails").get_data(as_text=True)
    assert "&lt;" not in page
    assert "Should people get an email when they are assigned a check?" in page
