"""Personal data: your own download, anonymising a person, and the retention rule."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from quizapp import cli, privacy
from quizapp.extensions import db
from quizapp.models import Attempt, AuditEvent, Completion, Invitation, Response, User

from .factories import DEFAULT_PASSWORD
from .policy import build_world


@pytest.fixture
def world(app):
    return build_world()


def _sign_in(client, email: str, password: str = DEFAULT_PASSWORD):
    return client.post("/sign-in", data={"email": email, "password": password})


def _figures() -> dict[str, object]:
    """What statutory reports are built from: attempts, scores, responses, completions."""
    db.session.expire_all()
    return {
        "attempts": db.session.execute(
            sa.select(
                Attempt.id, Attempt.user_id, Attempt.score, Attempt.percent, Attempt.passed
            ).order_by(Attempt.id)
        ).all(),
        "responses": db.session.scalar(sa.select(sa.func.count()).select_from(Response)),
        "completions": db.session.execute(
            sa.select(Completion.user_id, Completion.attempt_id).order_by(Completion.id)
        ).all(),
        "people_by_agency": db.session.execute(
            sa.select(User.agency_id, sa.func.count())
            .group_by(User.agency_id)
            .order_by(User.agency_id)
        ).all(),
    }


# Your data ---------------------------------------------------------------------------


def test_a_practitioner_downloads_their_own_data(client, world):
    _sign_in(client, world.users["practitioner"].email)
    page = client.get("/account/")
    assert page.status_code == 200
    assert "Download your data" in page.get_data(as_text=True)
    response = client.get("/account/your-data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    data = json.loads(response.get_data())
    assert data["format"] == 3
    assert data["profile"]["email"] == "practitioner@a.example.org"
    assert data["profile"]["agency"] == "Agency A"
    assert data["profile"]["roles"] == ["practitioner"]
    submitted = next(a for a in data["attempts"] if a["id"] == world.submitted_attempt_id)
    assert submitted["submitted_at"] and submitted["passed"] is True
    assert submitted["score"] == submitted["max_score"] > 0
    assert {answer["question"] for answer in submitted["answers"]} == {
        "q-single",
        "q-multiple",
        "q-true-false",
        "q-ordering",
        "q-reflect",
    }
    assert all(a["certainty"] in (3, None) for a in submitted["answers"])
    assert data["reflections"] == [
        {
            "attempt": world.submitted_attempt_id,
            "prompt": "How do you share information?",
            "text": "A reflection only I can read.",
            "saved_at": data["reflections"][0]["saved_at"],
        }
    ]
    # The world's practitioner also passed another check 9 weeks ago (its follow-up's pass).
    passes = [world.submitted_attempt_id, world.follow_up_attempt_id]
    assert [c["attempt"] for c in data["completions"]] == passes
    assert sorted(c["attempt"] for c in data["certificates"]) == sorted(passes)
    assert data["certificates"][0]["code"] == world.certificate_code


def test_the_download_needs_signing_in(client, world):
    response = client.get("/account/your-data.json")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


# Anonymising -------------------------------------------------------------------------


def test_an_admin_anonymises_a_person_and_the_figures_stay(client, world):
    person = world.users["practitioner"]
    person_id, old_email = person.id, person.email
    # A copy of the person's session, to show it ends too.
    person_client = client.application.test_client()
    _sign_in(person_client, old_email)
    assert person_client.get("/checks/").status_code == 200
    before = _figures()

    _sign_in(client, world.users["admin"].email)
    confirm = client.get(f"/admin/people/{person_id}/anonymise")
    assert confirm.status_code == 200
    page = confirm.get_data(as_text=True)
    assert old_email in page
    assert "Are you sure you want to anonymise Practitioner?" in page
    assert "This can&#39;t be undone." in page and "govuk-warning-text" in page
    response = client.post(f"/admin/people/{person_id}/anonymise")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/people/{person_id}"

    db.session.expire_all()
    person = db.session.get(User, person_id)
    assert person.name == "Anonymised person"
    assert person.email == f"anonymised-{person_id}@anonymised.invalid"
    assert person.password_hash is None and not person.is_active
    assert old_email not in json.dumps(
        [row.target for row in db.session.scalars(sa.select(AuditEvent))]
    )
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "person.anonymise"))
    assert event.target == f"user:{person_id}"
    assert event.user_id == world.users["admin"].id
    # Figures: every attempt, score, response and completion as before.
    assert _figures() == before
    # The person can no longer sign in, and their open session has ended.
    assert _sign_in(client.application.test_client(), old_email).status_code == 422
    assert person_client.get("/checks/").status_code == 302


def test_placeholders_keep_emails_unique(app, world):
    from quizapp.models import utcnow

    for kind in ("practitioner", "author", "lead_a"):
        privacy.anonymise(world.users[kind], now=utcnow())
    db.session.commit()
    emails = db.session.scalars(
        sa.select(User.email).where(User.email.like("%@anonymised.invalid"))
    ).all()
    assert len(emails) == len(set(emails)) == 3
    assert {u.name for u in db.session.scalars(sa.select(User).where(User.active.is_(False)))}


def test_invitations_to_the_person_are_anonymised_too(app, world):
    from quizapp.auth.accounts import accept_invitation
    from quizapp.models import utcnow

    invitation = db.session.scalar(sa.select(Invitation))
    user = accept_invitation(invitation, password="violet kettle marmalade", now=utcnow())
    db.session.commit()
    privacy.anonymise(user, now=utcnow())
    db.session.commit()
    db.session.expire_all()
    invitation = db.session.get(Invitation, invitation.id)
    assert invitation.email == user.email
    assert invitation.name == "Anonymised person"


def test_anonymising_twice_or_yourself_is_refused(client, world):
    _sign_in(client, world.users["admin"].email)
    own = client.post(f"/admin/people/{world.users['admin'].id}/anonymise")
    assert own.status_code == 409
    assert "anonymise your own account" in own.get_data(as_text=True)
    url = f"/admin/people/{world.other_practitioner_id}/anonymise"
    assert client.post(url).status_code == 302
    again = client.post(url)
    assert again.status_code == 409
    assert "already been anonymised" in again.get_data(as_text=True)
    assert client.post("/admin/people/999999/anonymise").status_code == 404


def test_only_admins_may_anonymise(client, world):
    for kind in ("lead_a", "partnership_lead", "practitioner"):
        signed_in = client.application.test_client()
        _sign_in(signed_in, world.users[kind].email)
        response = signed_in.post(f"/admin/people/{world.other_practitioner_id}/anonymise")
        assert response.status_code == 403
    db.session.expire_all()
    assert not privacy.is_anonymised(db.session.get(User, world.other_practitioner_id))


# Retention -----------------------------------------------------------------------------

NOW = datetime(2032, 6, 1, 9, 0, tzinfo=UTC)


def _left(world, kind: str, years_ago: float) -> None:
    user = db.session.get(User, world.users[kind].id)
    user.left_at = NOW - relativedelta(months=round(years_ago * 12))
    db.session.commit()


def test_retention_apply_anonymises_people_who_left_long_ago(app, world, monkeypatch):
    monkeypatch.setattr(cli, "utcnow", lambda: NOW)
    _left(world, "practitioner", 7)
    _left(world, "author", 6.5)
    _left(world, "lead_a", 5)  # inside the period: kept
    before = _figures()
    runner = app.test_cli_runner()

    result = runner.invoke(args=["retention", "apply"])
    assert result.exit_code == 0, result.output
    assert "Anonymised 2 people who left more than 6 years ago." in result.output
    db.session.expire_all()
    anonymised = {
        kind
        for kind, user in world.users.items()
        if privacy.is_anonymised(db.session.get(User, user.id))
    }
    assert anonymised == {"practitioner", "author"}
    assert _figures() == before

    again = runner.invoke(args=["retention", "apply"])
    assert "Anonymised 0 people" in again.output

    # A year later the third leaver is due too.
    monkeypatch.setattr(cli, "utcnow", lambda: NOW + relativedelta(years=1, days=1))
    later = runner.invoke(args=["retention", "apply"])
    assert "Anonymised 1 person who left" in later.output


def test_the_retention_period_is_a_setting(app, world, monkeypatch):
    monkeypatch.setattr(cli, "utcnow", lambda: NOW)
    assert app.config["RETENTION_YEARS"] == 6
    _left(world, "lead_a", 3)
    app.config["RETENTION_YEARS"] = 2
    result = app.test_cli_runner().invoke(args=["retention", "apply"])
    assert "Anonymised 1 person who left more than 2 years ago." in result.output
    result = app.test_cli_runner().invoke(args=["retention", "apply", "--years", "1"])
    assert "Anonymised 0 people who left more than 1 years ago." in result.output
