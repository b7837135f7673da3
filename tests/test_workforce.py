"""Assignments, requirements and completion, through the routes and operations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from quizapp.extensions import db
from quizapp.models import Check, Completion, Requirement, Role, Team, User, utcnow
from quizapp.take import operations as take
from quizapp.take.queries import checks_for
from quizapp.workforce.operations import create_assignment, delete_assignment
from quizapp.workforce.requirements import update_requirements
from quizapp.workforce.status import Status

from .factories import (
    check_for,
    create_agency,
    create_user,
    import_bank_text,
    import_hs_bank,
    small_bank,
)


def _partnership(app):
    agencies = {
        "police": create_agency(name="Police", sector="police"),
        "trust": create_agency(name="NHS Trust", sector="health"),
        "gps": create_agency(name="GP practices", sector="health"),
        "school": create_agency(name="Oak School", sector="education"),
    }
    people = {}
    for key, agency in agencies.items():
        for level in ("Level 1", "Level 2", "Level 3"):
            email = f"{key}-{level[-1]}@example.org"
            people[email] = create_user(email=email, agency=agency, level=level)
    return agencies, people


def test_assigning_to_police_and_health_at_level_2_and_above(app, client, auth):
    check = check_for(import_hs_bank())
    agencies, people = _partnership(app)
    create_user(email="lead@example.org", roles=(Role.LEAD,), agency=None)
    auth.sign_in("lead@example.org")
    response = client.post(
        "/admin/assignments/new",
        data={
            "check": check.id,
            "agencies": [agencies[k].id for k in ("police", "trust", "gps")],
            "levels": ["Level 2", "Level 3"],
            "due_rule": "date",
            "due_date": ["31", "3", "2027"],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    auth.sign_out()

    expected = {f"{k}-{n}@example.org" for k in ("police", "trust", "gps") for n in ("2", "3")}
    required = set(
        db.session.scalars(sa.select(User.email).join(Requirement, Requirement.user_id == User.id))
    )
    assert required == expected
    for email in people:
        auth.sign_in(email)
        page = client.get("/checks/").get_data(as_text=True)
        auth.sign_out()
        if email in expected:
            assert "Checks you need to do" in page, email
            assert "31 March 2027" in page
            assert "Due" in page
        else:
            assert "Checks you need to do" not in page, email
            assert "Checks you can take" in page


def test_days_after_joining_counts_from_when_each_person_joins(app):
    check = check_for(import_bank_text(small_bank()))
    agency = create_agency()
    first = create_user(agency=agency)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    create_assignment(check=check, all_agencies=True, due_days=28, now=t0)
    db.session.commit()
    later = create_user(agency=agency)
    t1 = t0 + timedelta(days=50)
    update_requirements([later], now=t1)
    db.session.commit()
    due = dict(db.session.execute(sa.select(Requirement.user_id, Requirement.due_at)).all())
    assert due == {first.id: t0 + timedelta(days=28), later.id: t1 + timedelta(days=28)}


def _pass(user, check, *, now):
    attempt = take.start_attempt(user, check, now=now)
    for question in attempt.bank_version.questions:
        answer = {"single": 0, "multiple": [0, 1], "true_false": False, "ordering": [0, 1, 2]}
        take.save_answer(attempt, question, answer.get(question.type, ""), 2, now=now)
    assert take.submit_attempt(attempt, now=now)
    return attempt


def test_a_pass_completes_then_expires_soon_then_is_overdue(app):
    check = check_for(import_bank_text(small_bank()))
    user = create_user(agency=create_agency())
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    create_assignment(check=check, all_agencies=True, due_days=30, refresh_months=12, now=t0)
    assert checks_for(user, now=t0)[0].status is Status.DUE
    assert checks_for(user, now=t0 + timedelta(days=31))[0].status is Status.OVERDUE

    passed = t0 + timedelta(days=10)
    _pass(user, check, now=passed)
    db.session.commit()
    completion = db.session.scalars(sa.select(Completion)).one()
    assert completion.expires_at == passed + relativedelta(months=12)

    def status(at):
        return checks_for(user, now=at)[0].status

    assert status(passed + timedelta(days=1)) is Status.COMPLETE
    assert status(completion.expires_at - timedelta(days=31)) is Status.COMPLETE
    assert status(completion.expires_at - timedelta(days=29)) is Status.EXPIRING_SOON
    assert status(completion.expires_at + timedelta(seconds=1)) is Status.OVERDUE
    assert checks_for(user, now=passed)[0].deadline == completion.expires_at


def test_leavers_drop_out_but_keep_their_history(app):
    check = check_for(import_bank_text(small_bank()))
    user = create_user(agency=create_agency())
    now = utcnow()
    create_assignment(check=check, all_agencies=True, due_days=30, now=now)
    _pass(user, check, now=now)
    user.left_at = now
    update_requirements([user], now=now)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Requirement)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Completion)) == 1


def _snapshot():
    db.session.expire_all()
    requirements = sorted(
        db.session.execute(
            sa.select(
                Requirement.user_id,
                Requirement.check_id,
                Requirement.assignment_id,
                Requirement.required_since,
                Requirement.due_at,
                Requirement.refresh_months,
            )
        ).all()
    )
    completions = sorted(
        db.session.execute(
            sa.select(
                Completion.user_id,
                Completion.check_id,
                Completion.attempt_id,
                Completion.passed_at,
                Completion.expires_at,
            )
        ).all()
    )
    return requirements, completions


def test_rebuild_gives_exactly_what_the_incremental_updates_gave(app):
    small = check_for(import_bank_text(small_bank()))
    other = check_for(
        import_bank_text(small_bank(**{"id: small-bank": "id: other-bank", "A small": "Other"}))
    )
    police = create_agency(name="Police", sector="police")
    school = create_agency(name="School", sector="education")
    team = Team(agency=police, name="Response")
    db.session.add(team)
    people = [create_user(agency=police, level="Level 2") for _ in range(4)]
    people += [create_user(agency=school, level="Level 1") for _ in range(3)]
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    first = create_assignment(check=small, all_agencies=True, due_days=60, now=t0)
    create_assignment(
        check=small,
        all_agencies=False,
        agencies=[police],
        levels=["Level 2"],
        due_days=14,
        refresh_months=24,
        now=t0 + timedelta(days=1),
    )
    create_assignment(check=other, all_agencies=False, agencies=[school], due_days=7, now=t0)
    _pass(people[0], small, now=t0 + timedelta(days=3))
    _pass(people[0], small, now=t0 + timedelta(days=20))
    _pass(people[4], other, now=t0 + timedelta(days=5))
    people[1].team = team
    people[2].left_at = t0 + timedelta(days=8)
    people[5].level = "Level 2"
    update_requirements(people[1:3] + people[5:6], now=t0 + timedelta(days=9))
    delete_assignment(first, now=t0 + timedelta(days=10))
    db.session.commit()
    incremental = _snapshot()
    # small: police at level 2 still there (people 0, 1, 3); other: the school (4, 5, 6).
    assert len(incremental[0]) == 6 and len(incremental[1]) == 2

    # Damage the derived records, as a bug or a manual edit might.
    db.session.execute(sa.update(Requirement).values(due_at=t0, refresh_months=1))
    db.session.execute(sa.update(Completion).values(expires_at=t0 + timedelta(days=400)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["completions", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "6 requirements, 2 completions" in result.output
    assert _snapshot() == incremental


def test_assignment_pages_are_for_admins_and_partnership_leads(app, client, auth):
    agency = create_agency()
    create_user(email="admin@example.org", roles=(Role.ADMIN,))
    create_user(email="plead@example.org", roles=(Role.LEAD,))
    create_user(email="alead@example.org", roles=(Role.LEAD,), agency=agency)
    create_user(email="prac@example.org", agency=agency)
    expected = {
        "admin@example.org": 200,
        "plead@example.org": 200,
        "alead@example.org": 403,
        "prac@example.org": 403,
    }
    for email, status in expected.items():
        auth.sign_in(email)
        for url in ("/admin/assignments/", "/admin/assignments/new", "/admin/checks/"):
            assert client.get(url).status_code == status, (email, url)
        auth.sign_out()
    assert client.get("/admin/assignments/").status_code == 302


def test_assignment_form_errors_are_explained(app, client, auth):
    import_bank_text(small_bank())
    create_user(email="admin@example.org", roles=(Role.ADMIN,))
    auth.sign_in("admin@example.org")
    response = client.post("/admin/assignments/new", data={"due_rule": "date"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Select at least one agency, or every agency" in page
    assert "Enter a real due date" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Requirement)) == 0


def test_changing_a_checks_refresh_period_moves_expiry_dates(app, client, auth):
    check = check_for(import_bank_text(small_bank()))
    user = create_user(agency=create_agency())
    now = utcnow()
    _pass(user, check, now=now)
    db.session.commit()
    create_user(email="admin@example.org", roles=(Role.ADMIN,))
    auth.sign_in("admin@example.org")
    response = client.post(
        f"/admin/checks/{check.id}",
        data={"title": "Renamed", "pass_mark": "70", "refresh_months": "24", "certainty": "y"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    completion = db.session.scalars(sa.select(Completion)).one()
    assert completion.expires_at == completion.passed_at + relativedelta(months=24)
    assert check.title == "Renamed" and check.pass_mark == 70


def test_check_settings_refuse_control_characters(app, client, auth):
    check = check_for(import_bank_text(small_bank()))
    create_user(email="admin@example.org", roles=(Role.ADMIN,))
    auth.sign_in("admin@example.org")
    response = client.post(
        f"/admin/checks/{check.id}",
        data={
            "title": "Renamed\x00",
            "framework": "Inter\tcollegiate",
            "level": "Level 3\n",
            "pass_mark": "70",
            "refresh_months": "24",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for field, what in (("title", "Title"), ("framework", "Framework"), ("level", "Level")):
        assert (
            f'<a href="#{field}">{what} must not include tabs, line breaks or other hidden'
            " characters</a>"
        ) in page
    db.session.expire_all()
    assert db.session.get(Check, check.id).title == "A small check"


def test_a_check_can_be_pinned_to_a_version_and_unpinned(app, client, auth):
    from quizapp.models import Attempt

    check = check_for(import_bank_text(small_bank()))
    v1 = check.bank.versions[0]
    import_bank_text(small_bank(**{"Who should you tell?": "Who must you tell first?"}))
    create_user(email="admin@example.org", roles=(Role.ADMIN,))
    auth.sign_in("admin@example.org")
    settings = {"title": check.title, "pass_mark": "80", "refresh_months": "12", "certainty": "y"}
    response = client.post(f"/admin/checks/{check.id}", data={**settings, "version": str(v1.id)})
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert check.pinned_version_id == v1.id
    user = create_user()
    attempt = take.start_attempt(user, check, now=utcnow())
    assert attempt.bank_version_id == v1.id
    db.session.commit()

    client.post(f"/admin/checks/{check.id}", data={**settings, "version": ""})
    db.session.expire_all()
    assert check.pinned_version_id is None
    assert db.session.get(Attempt, attempt.id).bank_version_id == v1.id  # kept its version
    refused = client.post(f"/admin/checks/{check.id}", data={**settings, "version": "999"})
    assert refused.status_code == 422


def test_check_settings_after_a_fail(app, client, auth):
    check = check_for(import_bank_text(small_bank()))
    create_user(email="admin@example.org", roles=(Role.ADMIN,))
    auth.sign_in("admin@example.org")
    page = client.get(f"/admin/checks/{check.id}").get_data(as_text=True)
    assert "After a fail, while attempts remain, show" in page
    assert "Which answers were wrong, with the feedback (recommended)" in page
    assert 'value="feedback" checked' in page
    settings = {"title": check.title, "pass_mark": "80", "refresh_months": "12", "certainty": "y"}

    refused = client.post(f"/admin/checks/{check.id}", data={**settings, "after_fail": "all"})
    assert refused.status_code == 422
    assert '<a href="#after_fail">Select what the result shows after a fail</a>' in (
        refused.get_data(as_text=True)
    )
    db.session.expire_all()
    assert db.session.get(Check, check.id).after_fail == "feedback"

    saved = client.post(f"/admin/checks/{check.id}", data={**settings, "after_fail": "answers"})
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Check, check.id).after_fail == "answers"
    page = client.get(f"/admin/checks/{check.id}").get_data(as_text=True)
    assert 'value="answers" checked' in page
    # A form without the setting (sent before it existed) keeps it.
    client.post(f"/admin/checks/{check.id}", data=settings)
    db.session.expire_all()
    assert db.session.get(Check, check.id).after_fail == "answers"
