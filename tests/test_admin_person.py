"""A person's page and what is done there: details, team, roles, agency, leaving and
coming back; invitations for people already listed (one by one and in bulk), resending
and cancelling them; the people list's search and filters."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.models import (
    Agency,
    AuditEvent,
    Invitation,
    Requirement,
    Role,
    Team,
    User,
    utcnow,
)
from quizapp.workforce.operations import create_assignment

from .conftest import IsolatedClient
from .factories import (
    DEFAULT_PASSWORD,
    check_for,
    create_agency,
    create_user,
    import_bank_text,
    small_bank,
)
from .test_accounts import NEW_PASSWORD


@pytest.fixture
def hospital() -> Agency:
    agency = create_agency(name="City Hospital")
    for name in ("Health visiting", "School nursing"):
        db.session.add(Team(agency=agency, name=name))
    db.session.commit()
    return agency


@pytest.fixture
def police() -> Agency:
    agency = create_agency(name="West Police", sector="police")
    db.session.add(Team(agency=agency, name="Response"))
    db.session.commit()
    return agency


def team(agency: Agency, name: str) -> Team:
    return db.session.scalar(sa.select(Team).where(Team.agency_id == agency.id, Team.name == name))


def listed(
    email: str,
    agency: Agency,
    *,
    name: str = "Sam Jones",
    team: Team | None = None,
    job_role: str = "Health visitor",
    level: str | None = "Level 3",
    roles: tuple[Role, ...] = (Role.PRACTITIONER,),
) -> User:
    """A person uploaded from a file: no password, never signed in."""
    user = User(email=email, name=name, agency=agency, team=team, job_role=job_role, level=level)
    for role in roles:
        user.grant(role)
    db.session.add(user)
    db.session.commit()
    return user


def fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


@pytest.fixture
def admin(auth) -> User:
    user = create_user(email="admin@example.org", roles=(Role.ADMIN,), name="Ada Admin")
    auth.sign_in("admin@example.org")
    return user


@pytest.fixture
def hospital_lead(auth, hospital) -> User:
    user = create_user(
        email="lead@hospital.example.org", roles=(Role.LEAD,), agency=hospital, name="Lee Lead"
    )
    auth.sign_in("lead@hospital.example.org")
    return user


def text_of(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.get_data(as_text=True)))


def summary(page: str, key: str) -> str:
    match = re.search(
        rf'<dt class="govuk-summary-list__key">\s*{key}\s*</dt>\s*'
        r'<dd class="govuk-summary-list__value">\s*(.*?)\s*</dd>',
        page,
        flags=re.S,
    )
    assert match, key
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split()


def required_checks(user_id: int) -> set[int]:
    db.session.expire_all()
    return set(
        db.session.scalars(sa.select(Requirement.check_id).where(Requirement.user_id == user_id))
    )


# The person's page ---------------------------------------------------------------------


def test_the_page_shows_details_roles_account_and_checks(client, admin, hospital):
    check = check_for(import_bank_text(small_bank()))
    visiting = team(hospital, "Health visiting")
    person = listed("sam@hospital.example.org", hospital, team=visiting, level="Level 2")
    # Assigned 40 days ago, due within 30: overdue.
    create_assignment(
        check=check,
        all_agencies=False,
        agencies=[hospital],
        due_days=30,
        now=utcnow() - timedelta(days=40),
    )
    db.session.commit()

    response = client.get(f"/admin/people/{person.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert summary(page, "Team") == ["Health", "visiting"]
    assert summary(page, "Competency level") == ["Level", "2"]
    assert summary(page, "Roles") == ["Practitioner"]
    words = text_of(response)
    assert "Never signed in" in words
    assert "they have no password yet" in words
    assert "A small check" in words and "Overdue" in words
    # Administrators may change everything, invite, mark as left and anonymise.
    for path in ("details", "roles", "agency", "invite", "leave", "anonymise"):
        assert f'href="/admin/people/{person.id}/{path}"' in page, path
    # The list links each name to the page.
    people = client.get(f"/admin/people/?agency={hospital.id}").get_data(as_text=True)
    assert f'<a class="govuk-link" href="/admin/people/{person.id}">Sam Jones</a>' in people


def test_an_agency_lead_sees_their_own_people_only(client, auth, hospital_lead, police):
    own = listed("sam@hospital.example.org", fresh(hospital_lead.id).agency)
    other = listed("al@police.example.org", police, name="Al Officer")
    page = client.get(f"/admin/people/{own.id}").get_data(as_text=True)
    assert "Sam Jones" in page
    for path in ("details", "invite", "leave"):
        assert f'href="/admin/people/{own.id}/{path}"' in page, path
    for path in ("roles", "agency", "anonymise"):  # administrators only
        assert f'href="/admin/people/{own.id}/{path}"' not in page, path
        assert client.get(f"/admin/people/{own.id}/{path}").status_code == 403
    for path in ("", "/details", "/leave", "/invite"):
        assert client.get(f"/admin/people/{other.id}{path}").status_code == 404
    assert client.post(f"/admin/people/{other.id}/leave").status_code == 404
    assert fresh(other.id).left_at is None


def test_an_agency_lead_cannot_change_an_administrator_of_their_agency(
    client, hospital_lead, hospital
):
    boss = create_user(
        email="boss@hospital.example.org", agency=hospital, roles=(Role.ADMIN,), name="Bo Boss"
    )
    page = client.get(f"/admin/people/{boss.id}").get_data(as_text=True)
    assert "Bo Boss" in page and "/details" not in page and "/leave" not in page
    for path in ("details", "leave", "invite"):
        assert client.post(f"/admin/people/{boss.id}/{path}", data={"name": "X"}).status_code == 403
    assert fresh(boss.id).name == "Bo Boss" and fresh(boss.id).left_at is None


# Details and team ----------------------------------------------------------------------


def test_changing_details_and_team_follows_the_assignments(client, hospital_lead, hospital):
    check = check_for(import_bank_text(small_bank()))
    nursing = team(hospital, "School nursing")
    create_assignment(
        check=check, all_agencies=False, agencies=[hospital], teams=[nursing], due_days=30,
        now=utcnow(),
    )  # fmt: skip
    db.session.commit()
    person = listed("sam@hospital.example.org", hospital, team=team(hospital, "Health visiting"))
    assert required_checks(person.id) == set()

    form = client.get(f"/admin/people/{person.id}/details").get_data(as_text=True)
    assert 'value="Sam Jones"' in form and "School nursing" in form
    response = client.post(
        f"/admin/people/{person.id}/details",
        data={"name": "  Sam   Jones-Smith ", "job_role": "School nurse", "level": "",
              "team": str(nursing.id)},
    )  # fmt: skip
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/people/{person.id}"
    person = fresh(person.id)
    assert (person.name, person.job_role, person.level) == ("Sam Jones-Smith", "School nurse", None)
    assert person.team_id == nursing.id
    assert required_checks(person.id) == {check.id}
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "person.update"))
    assert event.target == f"user:{person.id}"
    assert set(event.details["changed"]) == {"name", "job_role", "level", "team_id"}

    # No team: the requirement goes.
    client.post(
        f"/admin/people/{person.id}/details",
        data={"name": "Sam Jones-Smith", "job_role": "School nurse", "team": ""},
    )
    assert fresh(person.id).team_id is None
    assert required_checks(person.id) == set()


def test_details_errors_save_nothing(client, admin, hospital, police):
    person = listed("sam@hospital.example.org", hospital)
    response = client.post(
        f"/admin/people/{person.id}/details",
        data={"name": "", "job_role": "x" * 201, "team": str(team(police, "Response").id)},
    )
    assert response.status_code == 422
    words = text_of(response)
    assert "Enter their full name" in words
    assert "Job role must be 200 characters or fewer" in words
    wrong_team = client.post(
        f"/admin/people/{person.id}/details",
        data={"name": "Sam Jones", "team": str(team(police, "Response").id)},
    )
    assert wrong_team.status_code == 422
    assert "Select a team of City Hospital, or No team" in text_of(wrong_team)
    person = fresh(person.id)
    assert (person.name, person.job_role, person.team_id) == ("Sam Jones", "Health visitor", None)


# Roles and agency: administrators only -------------------------------------------------


def test_an_admin_makes_someone_a_lead_and_an_author(client, admin, hospital):
    person = listed("sam@hospital.example.org", hospital)
    form = client.get(f"/admin/people/{person.id}/roles").get_data(as_text=True)
    assert "see the people and results of City Hospital only" in form
    response = client.post(f"/admin/people/{person.id}/roles", data={"roles": ["lead", "author"]})
    assert response.status_code == 302
    assert fresh(person.id).roles == {Role.PRACTITIONER, Role.LEAD, Role.AUTHOR}
    assert "Sam Jones is now author and lead." in text_of(client.get(f"/admin/people/{person.id}"))
    client.post(f"/admin/people/{person.id}/roles", data={"roles": ["lead"]})
    assert fresh(person.id).roles == {Role.PRACTITIONER, Role.LEAD}
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "person.roles").order_by(AuditEvent.id)
    ).all()
    assert [e.details for e in events] == [
        {"added": ["author", "lead"], "removed": []},
        {"added": [], "removed": ["author"]},
    ]
    page = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    assert summary(page, "Roles") == ["Practitioner", "Lead", "for", "City", "Hospital"]


def test_an_admin_cannot_remove_their_own_admin_role(client, admin):
    response = client.post(f"/admin/people/{admin.id}/roles", data={"roles": ["author"]})
    assert response.status_code == 422
    assert "You can't remove your own administrator role" in text_of(response)
    assert fresh(admin.id).roles == {Role.ADMIN}


def test_only_admins_change_roles_or_agencies(client, hospital_lead, hospital, police):
    person = listed("sam@hospital.example.org", hospital)
    assert (
        client.post(f"/admin/people/{person.id}/roles", data={"roles": ["admin"]}).status_code
        == 403
    )
    assert (
        client.post(
            f"/admin/people/{person.id}/agency", data={"destination": str(police.id)}
        ).status_code
        == 403
    )
    person = fresh(person.id)
    assert person.roles == {Role.PRACTITIONER} and person.agency_id == hospital.id


def test_an_admin_moves_someone_to_another_agency(client, admin, hospital, police, mailbox):
    check = check_for(import_bank_text(small_bank()))
    create_assignment(check=check, all_agencies=False, agencies=[police], due_days=30, now=utcnow())
    db.session.commit()
    person = listed("sam@hospital.example.org", hospital, team=team(hospital, "Health visiting"))
    client.post(f"/admin/people/{person.id}/invite")
    response_team = team(police, "Response")
    form = client.get(f"/admin/people/{person.id}/agency").get_data(as_text=True)
    assert f'value="{police.id}:{response_team.id}"' in form and "West Police: Response" in form
    moved = client.post(
        f"/admin/people/{person.id}/agency",
        data={"destination": f"{police.id}:{response_team.id}"},
    )
    assert moved.status_code == 302
    person = fresh(person.id)
    assert (person.agency_id, person.team_id) == (police.id, response_team.id)
    assert required_checks(person.id) == {check.id}
    # The invitation named the old agency: it is cancelled.
    assert db.session.scalar(sa.select(Invitation)).cancelled_at is not None
    mismatched = client.post(
        f"/admin/people/{person.id}/agency",
        data={"destination": f"{hospital.id}:{response_team.id}"},
    )
    assert mismatched.status_code == 422
    assert "Choose a team of City Hospital, or no team" in text_of(mismatched)


# Leaving and coming back ---------------------------------------------------------------


def test_marking_someone_as_left_asks_first_and_ends_their_session(client, auth, hospital):
    person = create_user(email="sam@hospital.example.org", agency=hospital, name="Sam Jones")
    check = check_for(import_bank_text(small_bank()))
    create_assignment(check=check, all_agencies=True, due_days=30, now=utcnow())
    db.session.commit()
    theirs = client.application.test_client()
    theirs.post("/sign-in", data={"email": person.email, "password": DEFAULT_PASSWORD})
    assert theirs.get("/checks/").status_code == 200
    create_user(email="admin@example.org", roles=(Role.ADMIN,))
    auth.sign_in("admin@example.org")
    assert required_checks(person.id) == {check.id}

    confirm = client.get(f"/admin/people/{person.id}/leave")
    words = text_of(confirm)
    assert "Are you sure Sam Jones has left?" in words
    assert "They will be signed out and will not be able to sign in" in words
    assert fresh(person.id).left_at is None  # asking changes nothing
    assert client.post(f"/admin/people/{person.id}/leave").status_code == 302
    person = fresh(person.id)
    assert person.left_at is not None and not person.is_active
    assert required_checks(person.id) == set()
    assert theirs.get("/checks/").status_code == 302  # signed out
    page = text_of(client.get(f"/admin/people/{person.id}"))
    assert "Left on" in page and "Mark as returned" in page
    again = client.post(f"/admin/people/{person.id}/leave")
    assert again.status_code == 409 and "already marked as left" in text_of(again)

    assert client.post(f"/admin/people/{person.id}/return").status_code == 302
    assert fresh(person.id).left_at is None
    assert required_checks(person.id) == {check.id}
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["person.left", "person.returned"]


def test_nobody_marks_themselves_as_left(client, hospital_lead):
    response = client.post(f"/admin/people/{hospital_lead.id}/leave")
    assert response.status_code == 409
    assert "You can't mark yourself as left" in text_of(response)
    assert fresh(hospital_lead.id).left_at is None


# Inviting a person already listed ------------------------------------------------------


def test_an_uploaded_person_invited_as_lead_sets_a_password_and_becomes_a_lead(
    client, auth, admin, hospital, mailbox
):
    person = listed("sam@hospital.example.org", hospital, team=team(hospital, "School nursing"))
    form = client.get(f"/admin/people/{person.id}/invite")
    assert "Other roles (optional)" in text_of(form)
    response = client.post(f"/admin/people/{person.id}/invite", data={"roles": ["lead"]})
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "Invitation sent to sam@hospital.example.org" in page
    assert "Invited" in page and "Roles they get on accepting: lead" in page
    message = mailbox.only()
    assert message["To"] == "sam@hospital.example.org"
    assert "Dear Sam Jones" in message.get_content()
    link = mailbox.link()

    auth.sign_out()
    accept = client.get(link)
    assert accept.status_code == 200 and "School nursing" in text_of(accept)
    done = client.post(link, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.status_code == 302
    people = db.session.scalars(sa.select(User).where(User.email == person.email)).all()
    assert [p.id for p in people] == [person.id]  # the same record, opened
    person = fresh(person.id)
    assert person.check_password(NEW_PASSWORD) and person.email_confirmed_at is not None
    assert person.roles == {Role.PRACTITIONER, Role.LEAD} and person.is_agency_lead
    assert person.team.name == "School nursing" and person.job_role == "Health visitor"
    # Signed in as the lead they now are.
    assert client.get("/admin/people/").status_code == 200
    assert client.get("/dashboards/").status_code == 200
    assert client.get(link).status_code == 410


def test_an_agency_lead_invites_as_practitioner_only(client, hospital_lead, hospital, mailbox):
    person = listed("sam@hospital.example.org", hospital)
    assert "Other roles" not in text_of(client.get(f"/admin/people/{person.id}/invite"))
    client.post(f"/admin/people/{person.id}/invite", data={"roles": ["admin"]})
    assert db.session.scalar(sa.select(Invitation)).roles == ["practitioner"]


def test_the_invitation_form_opens_an_uploaded_persons_record(client, admin, hospital, mailbox):
    person = listed("sam@hospital.example.org", hospital, name="Sam Jones")
    response = client.post(
        "/invitations/new",
        data={"name": "Samuel J", "email": "SAM@hospital.example.org", "agency": str(hospital.id),
              "job_role": "Nurse", "roles": ["author"]},
    )  # fmt: skip
    assert response.status_code == 302
    words = text_of(client.get("/invitations/new"))
    assert "There is already an account" not in words
    assert "They were already listed in City Hospital: the invitation opens their record" in words
    invitation = db.session.scalar(sa.select(Invitation))
    assert (invitation.name, invitation.job_role) == ("Sam Jones", "Health visitor")
    client.post("/sign-out")
    mailbox_link = mailbox.link()
    client.post(mailbox_link, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    person = fresh(person.id)
    assert person.roles == {Role.PRACTITIONER, Role.AUTHOR} and person.name == "Sam Jones"
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 2


def test_inviting_someone_listed_in_another_agency_says_where_to_admins_only(
    client, auth, admin, hospital, police, mailbox
):
    listed("sam@hospital.example.org", hospital)
    data = {"name": "Sam", "email": "sam@hospital.example.org", "agency": str(police.id),
            "job_role": "Officer"}  # fmt: skip
    response = client.post("/invitations/new", data=data)
    assert response.status_code == 422
    assert "Sam Jones is already listed in City Hospital" in text_of(response)
    create_user(email="lead@police.example.org", agency=police, roles=(Role.LEAD,))
    auth.sign_out()
    auth.sign_in("lead@police.example.org")
    refused = client.post("/invitations/new", data=data)
    assert refused.status_code == 422
    assert "can't be invited into this agency; ask an administrator" in text_of(refused)
    assert "City Hospital" not in text_of(refused)
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0
    assert mailbox.messages == []


def test_a_person_with_an_account_is_not_invited(client, admin, hospital, mailbox):
    person = create_user(email="sam@hospital.example.org", agency=hospital)
    response = client.post(f"/admin/people/{person.id}/invite")
    assert response.status_code == 409
    assert "already has an account" in text_of(response)
    assert mailbox.messages == []


def test_a_failing_mail_server_saves_no_invitation(app, client, admin, hospital):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1, MAIL_TIMEOUT=1)
    person = listed("sam@hospital.example.org", hospital)
    response = client.post(f"/admin/people/{person.id}/invite")
    assert response.status_code == 503
    assert "Nothing has been saved" in text_of(response)
    assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0


# Invitations waiting: the list, sending again, cancelling ------------------------------


def test_cancelling_an_invitation_stops_its_link(client, auth, admin, hospital, mailbox):
    person = listed("sam@hospital.example.org", hospital)
    client.post(f"/admin/people/{person.id}/invite")
    link = mailbox.link()
    invitation = db.session.scalar(sa.select(Invitation))
    listing = client.get(f"/admin/people/invitations/?agency={hospital.id}")
    assert "sam@hospital.example.org" in text_of(listing)
    cancelled = client.post(
        f"/admin/people/invitations/{invitation.id}/cancel", data={"back": "person"}
    )
    assert cancelled.headers["Location"] == f"/admin/people/{person.id}#account"
    assert "The link in their email no longer works" in text_of(
        client.get(cancelled.headers["Location"])
    )
    assert "sam@hospital.example.org" not in text_of(
        client.get(f"/admin/people/invitations/?agency={hospital.id}")
    )
    assert "Never signed in" in text_of(client.get(f"/admin/people/{person.id}"))

    auth.sign_out()
    assert client.get(link).status_code == 410
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 410
    assert "A link stops working if the invitation is cancelled" in text_of(response)
    assert fresh(person.id).password_hash is None
    # Cancelling twice says so.
    auth.sign_in("admin@example.org")
    again = client.post(f"/admin/people/invitations/{invitation.id}/cancel")
    assert "already been accepted or cancelled" in text_of(client.get(again.headers["Location"]))


def test_sending_again_gives_a_new_date_and_revives_an_expired_invitation(
    client, auth, admin, hospital, mailbox
):
    person = listed("sam@hospital.example.org", hospital)
    client.post(f"/admin/people/{person.id}/invite")
    invitation = db.session.scalar(sa.select(Invitation))
    invitation.expires_at = invitation.sent_at = utcnow() - timedelta(days=1)
    db.session.commit()
    expired_link = mailbox.link()
    assert "Expired" in text_of(client.get("/admin/people/invitations/"))
    assert "Never signed in" in text_of(client.get(f"/admin/people/{person.id}"))

    response = client.post(f"/admin/people/invitations/{invitation.id}/resend")
    assert response.status_code == 302
    db.session.expire_all()
    invitation = db.session.get(Invitation, invitation.id)
    assert invitation.expires_at - utcnow() > timedelta(days=13)
    assert len(mailbox.messages) == 2
    new_link = mailbox.link(mailbox.messages[1])
    assert "Invited" in text_of(client.get(f"/admin/people/{person.id}"))
    auth.sign_out()
    # The same invitation, with a new date: either email's link works (once).
    assert client.get(new_link).status_code == 200
    assert client.get(expired_link).status_code == 200


def test_a_newer_invitation_replaces_the_older_one(client, auth, admin, hospital, mailbox):
    person = listed("sam@hospital.example.org", hospital)
    client.post(f"/admin/people/{person.id}/invite")
    client.post(
        "/invitations/new",
        data={"name": "Sam", "email": person.email, "agency": str(hospital.id),
              "job_role": "Nurse"},
    )  # fmt: skip
    first, second = (mailbox.link(m) for m in mailbox.messages)
    auth.sign_out()
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_an_agency_lead_sees_and_cancels_their_own_agencys_invitations_only(
    client, auth, hospital_lead, hospital, police, mailbox
):
    own = listed("sam@hospital.example.org", hospital)
    other = listed("al@police.example.org", police, name="Al Officer")
    client.post(f"/admin/people/{own.id}/invite")
    admin = create_user(email="admin@example.org", roles=(Role.ADMIN,))
    from quizapp.auth.accounts import create_invitation

    theirs = create_invitation(
        admin, name=other.name, email=other.email, agency=police, team=None, job_role="",
        level=None, now=utcnow(),
    )  # fmt: skip
    db.session.commit()
    page = text_of(client.get("/admin/people/invitations/?agency=" + str(police.id)))
    assert "sam@hospital.example.org" in page and "al@police.example.org" not in page
    assert client.post(f"/admin/people/invitations/{theirs.id}/cancel").status_code == 404
    assert client.post(f"/admin/people/invitations/{theirs.id}/resend").status_code == 404
    db.session.expire_all()
    assert db.session.get(Invitation, theirs.id).cancelled_at is None


# Everyone who has never signed in ------------------------------------------------------


def test_invite_everyone_who_has_never_signed_in(client, admin, hospital, police, mailbox):
    a = listed("a@hospital.example.org", hospital, name="Ann A")
    b = listed("b@hospital.example.org", hospital, name="Ben B")
    invited = listed("c@hospital.example.org", hospital, name="Cal C")
    client.post(f"/admin/people/{invited.id}/invite")
    create_user(email="d@hospital.example.org", agency=hospital, name="Dee D")
    gone = listed("e@hospital.example.org", hospital, name="Eve E")
    gone.left_at = utcnow()
    db.session.commit()
    listed("f@police.example.org", police, name="Fay F")

    people = client.get(f"/admin/people/?agency={hospital.id}").get_data(as_text=True)
    assert f"/admin/people/invite-everyone?agency={hospital.id}" in people
    confirm = text_of(client.get(f"/admin/people/invite-everyone?agency={hospital.id}"))
    assert "2 people in City Hospital have never signed in and have no invitation waiting" in (
        confirm
    )
    assert "Ann A" in confirm and "Ben B" in confirm
    assert not {"Cal C", "Dee D", "Eve E", "Fay F"} & set(confirm.split(" "))
    assert "Send 2 invitations" in confirm

    sent = client.post(f"/admin/people/invite-everyone?agency={hospital.id}")
    assert sent.status_code == 302
    assert "2 invitations sent to people in City Hospital" in text_of(
        client.get(sent.headers["Location"])
    )
    assert sorted(m["To"] for m in mailbox.messages[1:]) == [a.email, b.email]
    invitations = db.session.scalars(sa.select(Invitation).order_by(Invitation.id)).all()
    assert [i.email for i in invitations] == [invited.email, a.email, b.email]
    assert all(i.roles == ["practitioner"] for i in invitations)
    after = text_of(client.get(f"/admin/people/invite-everyone?agency={hospital.id}"))
    assert "Everyone in City Hospital has signed in or has an invitation waiting" in after


def test_a_mail_server_failing_part_way_keeps_the_invitations_sent(
    client, admin, hospital, monkeypatch
):
    from quizapp.email import EmailError

    for n in range(3):
        listed(f"p{n}@hospital.example.org", hospital, name=f"Person {n}")
    sent: list[str] = []

    def send(invitation):
        if len(sent) == 1:
            raise EmailError("down")
        sent.append(invitation.email)

    monkeypatch.setattr("quizapp.admin.invitations.send_invitation_email", send)
    response = client.post(f"/admin/people/invite-everyone?agency={hospital.id}")
    assert response.status_code == 503
    assert "1 invitation sent to people in City Hospital" in text_of(response)
    assert "2 more were not invited" in text_of(response)
    db.session.expire_all()
    assert (
        db.session.scalars(sa.select(Invitation.email)).all() == sent == ["p0@hospital.example.org"]
    )


def test_an_agency_lead_invites_only_their_own_agency(client, hospital_lead, police, mailbox):
    listed("al@police.example.org", police, name="Al Officer")
    page = text_of(client.get(f"/admin/people/invite-everyone?agency={police.id}"))
    assert "City Hospital" in page and "West Police" not in page
    client.post(f"/admin/people/invite-everyone?agency={police.id}")
    assert mailbox.messages == []


# The people list: search and filters ---------------------------------------------------


def test_search_and_filters_narrow_the_list(client, admin, hospital, mailbox):
    visiting, nursing = team(hospital, "Health visiting"), team(hospital, "School nursing")
    listed("ann.lee@hospital.example.org", hospital, name="Ann Lee", team=visiting)
    invited = listed("ben.ode@hospital.example.org", hospital, name="Ben O'Dea", team=nursing)
    create_user(email="cat.ray@hospital.example.org", agency=hospital, name="Cat Ray")
    gone = listed("dan_100%@hospital.example.org", hospital, name="Dan Lee")
    gone.left_at = utcnow()
    db.session.commit()
    client.post(f"/admin/people/{invited.id}/invite")

    def names(**query) -> list[str]:
        response = client.get("/admin/people/", query_string={"agency": hospital.id, **query})
        assert response.status_code == 200
        return re.findall(r'href="/admin/people/\d+">([^<]+)</a>', response.get_data(as_text=True))

    assert names() == ["Ann Lee", "Ben O&#39;Dea", "Cat Ray", "Dan Lee"]
    assert names(search="lee") == ["Ann Lee", "Dan Lee"]
    assert names(search="  LEE ann ") == ["Ann Lee"]
    assert names(search="cat.ray@") == ["Cat Ray"]
    assert names(search="100%") == ["Dan Lee"]  # % and _ are letters, not wildcards
    assert names(search="_") == ["Dan Lee"]
    assert names(team=str(visiting.id)) == ["Ann Lee"]
    assert names(team="none") == ["Cat Ray", "Dan Lee"]
    assert names(state="never-signed-in") == ["Ann Lee"]
    assert names(state="invited") == ["Ben O&#39;Dea"]
    assert names(state="active") == ["Cat Ray"]
    assert names(state="left") == ["Dan Lee"]
    assert names(state="left", search="ann") == []
    page = client.get(f"/admin/people/?agency={hospital.id}&search=zzz").get_data(as_text=True)
    assert "Nobody in City Hospital matches the filters." in page
    # The form is a GET form (no JavaScript needed) with the filters kept.
    page = client.get(f"/admin/people/?agency={hospital.id}&search=lee&state=left").get_data(
        as_text=True
    )
    assert 'method="get"' in page and 'name="search"' in page and 'value="lee"' in page
    assert '<option value="left" selected>' in page
    assert "Clear filters" in page


def test_pages_keep_the_filters(client, admin, hospital):
    db.session.add_all(
        User(email=f"p{n:03}@hospital.example.org", name=f"Nurse {n:03}", agency_id=hospital.id)
        for n in range(60)
    )
    db.session.commit()
    page = client.get(f"/admin/people/?agency={hospital.id}&search=nurse&state=never-signed-in")
    text = page.get_data(as_text=True)
    assert "60 people matching the filters, page 1 of 2." in text_of(page)
    link = html.unescape(re.search(r'href="(/admin/people/\?[^"]*page=2[^"]*)"', text).group(1))
    assert f"agency={hospital.id}" in link and "search=nurse" in link
    assert "state=never-signed-in" in link


def test_an_agency_leads_list_has_filters_for_their_agency(client, hospital_lead, hospital):
    listed("ann@hospital.example.org", hospital, name="Ann Lee")
    page = client.get("/admin/people/?search=ann").get_data(as_text=True)
    assert "Ann Lee" in page and "School nursing" in page
    assert 'name="agency"' not in page


def test_admins_find_partnership_wide_staff_and_make_one_an_administrator(client, admin, hospital):
    lead = create_user(email="pat@partnership.example.org", roles=(Role.LEAD,), name="Pat Lead")
    listed("sam@hospital.example.org", hospital)
    page = client.get("/admin/people/").get_data(as_text=True)
    assert '<option value="-1">Partnership-wide (no agency)</option>' in page
    page = client.get("/admin/people/?agency=-1").get_data(as_text=True)
    names = re.findall(r'href="/admin/people/\d+">([^<]+)</a>', page)
    assert names == ["Ada Admin", "Pat Lead"]
    assert "invite-everyone" not in page
    person = client.get(f"/admin/people/{lead.id}").get_data(as_text=True)
    assert summary(person, "Roles") == ["Partnership-wide", "lead"]
    assert 'href="/admin/people/?agency=-1"' in person
    assert "would see figures for the whole partnership, never named people" in text_of(
        client.get(f"/admin/people/{lead.id}/roles")
    )
    client.post(f"/admin/people/{lead.id}/roles", data={"roles": ["lead", "admin"]})
    assert fresh(lead.id).roles == {Role.LEAD, Role.ADMIN}


def test_agency_leads_have_no_partnership_wide_list(client, hospital_lead):
    create_user(email="pat@partnership.example.org", roles=(Role.LEAD,), name="Pat Lead")
    page = client.get("/admin/people/?agency=-1").get_data(as_text=True)
    assert "Pat Lead" not in page and "City Hospital" in page


def test_the_pages_buttons_carry_the_form_token(csrf_app, hospital):
    """With CSRF protection on, as in production: a button on the person's page works
    with the token the page gives, and not without it."""
    from quizapp.auth.accounts import create_invitation

    admin = create_user(email="admin@example.org", roles=(Role.ADMIN,), name="Ada Admin")
    person = listed("sam@hospital.example.org", hospital)
    invitation = create_invitation(
        admin,
        name=person.name, email=person.email, agency=hospital, team=None, job_role="",
        level=None, now=utcnow(),
    )  # fmt: skip
    db.session.commit()
    csrf_app.test_client_class = IsolatedClient
    client = csrf_app.test_client()
    sign_in = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" [^>]*value="([^"]+)"', sign_in).group(1)
    client.post(
        "/sign-in",
        data={"email": "admin@example.org", "password": DEFAULT_PASSWORD, "csrf_token": token},
    )
    page = client.get(f"/admin/people/{person.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    url = f"/admin/people/invitations/{invitation.id}/cancel"
    assert client.post(url, data={"back": "person"}).status_code == 400
    assert client.post(url, data={"back": "person", "csrf_token": token}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Invitation, invitation.id).cancelled_at is not None
