"""Accounts: registering, confirming, invitations and password resets, with real email.

Emails go through a real SMTP server (aiosmtpd on 127.0.0.1) and the tests follow the
links in them, as a person would.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from quizapp.auth import tokens
from quizapp.auth.passwords import TOO_COMMON, TOO_SHORT, password_problem
from quizapp.extensions import db
from quizapp.models import (
    AgencyEmailDomain,
    Invitation,
    Requirement,
    Role,
    Team,
    User,
    utcnow,
)
from quizapp.workforce.operations import create_assignment

from .factories import (
    DEFAULT_PASSWORD,
    check_for,
    create_agency,
    create_user,
    import_bank_text,
    small_bank,
)
from .mail import LINK
from .mail import free_port as _free_port

NEW_PASSWORD = "violet kettle marmalade"


@pytest.fixture
def trust(app):
    """An agency whose staff register with @trust.nhs.uk addresses."""
    agency = create_agency(name="NHS Hospital Trust")
    db.session.add(AgencyEmailDomain(agency=agency, domain="trust.nhs.uk"))
    db.session.commit()
    return agency


def register(client: FlaskClient, email: str, password: str = NEW_PASSWORD, **fields: str):
    data = {
        "name": "Sam Practitioner",
        "email": email,
        "password": password,
        "confirm_password": password,
    }
    data.update(fields)
    return client.post("/register", data=data)


def user_named(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# Registering -------------------------------------------------------------------------


def test_registration_emails_a_link_that_confirms_and_signs_in_once(client, auth, mailbox, trust):
    assignment_check = check_for(import_bank_text(small_bank()))
    create_assignment(check=assignment_check, all_agencies=True, due_days=30, now=utcnow())
    db.session.commit()

    response = register(client, "Sam.Jones@Trust.NHS.uk")
    assert response.status_code == 302
    assert response.headers["Location"] == "/register/check-your-email"
    page = client.get("/register/check-your-email").get_data(as_text=True)
    assert "sam.jones@trust.nhs.uk" in page

    user = user_named("sam.jones@trust.nhs.uk")
    assert user is not None
    assert (user.name, user.agency_id, user.active) == ("Sam Practitioner", trust.id, True)
    assert user.roles == {Role.PRACTITIONER}
    assert user.email_confirmed_at is None
    assert user.check_password(NEW_PASSWORD)

    message = mailbox.only()
    assert message["To"] == "sam.jones@trust.nhs.uk"
    assert message["X-Envelope-To"] == "sam.jones@trust.nhs.uk"
    assert message["From"] == "checks@partnership.test"
    assert message["Subject"] == "Confirm your email address"
    assert "Dear Sam Practitioner" in message.get_content()
    link = mailbox.link()
    assert link.startswith("/register/confirm/")

    # Not yet: the right password gets told to confirm first, and no session.
    refused = auth.sign_in("sam.jones@trust.nhs.uk", NEW_PASSWORD)
    assert refused.status_code == 422
    assert (
        "Confirm your email address first: we sent a link to sam.jones@trust.nhs.uk"
        in refused.get_data(as_text=True)
    )
    assert client.get("/checks/").status_code == 302
    # The wrong password still gets the generic message.
    wrong = auth.sign_in("sam.jones@trust.nhs.uk", "not the password at all")
    assert "Enter a correct email address and password" in wrong.get_data(as_text=True)

    # Opening the link shows a button (mail scanners open links); pressing it confirms.
    opened = client.get(link)
    assert opened.status_code == 200
    assert "Confirm your email address" in opened.get_data(as_text=True)
    assert user_named("sam.jones@trust.nhs.uk").email_confirmed_at is None
    confirmed = client.post(link)
    assert confirmed.status_code == 302
    assert confirmed.headers["Location"] == "/checks/"
    checks_page = client.get("/checks/")
    assert checks_page.status_code == 200
    assert "Your email address is confirmed" in checks_page.get_data(as_text=True)

    user = user_named("sam.jones@trust.nhs.uk")
    assert user.email_confirmed_at is not None
    requirement = db.session.scalar(sa.select(Requirement).where(Requirement.user_id == user.id))
    assert requirement is not None and requirement.check_id == assignment_check.id

    # The same link a second time.
    auth.sign_out()
    for again in (client.get(link), client.post(link)):
        assert again.status_code == 410
        assert "This link has expired or has already been used" in again.get_data(as_text=True)
        assert client.get("/checks/").status_code == 302
    assert auth.sign_in("sam.jones@trust.nhs.uk", NEW_PASSWORD).status_code == 302


def test_domain_must_match_exactly(client, mailbox, trust):
    for email in ("a@sub.trust.nhs.uk", "b@nottrust.nhs.uk", "c@trust.nhs.uk.evil.test"):
        response = register(client, email)
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "This email address is not from a partnership agency" in page
        assert "ask your safeguarding lead to invite you" in page
        assert "govuk-error-summary" in page
    assert count(User) == 0
    assert mailbox.messages == []


def test_unlisted_domain_creates_nothing(client, mailbox, trust):
    response = register(client, "someone@gmail.example")
    assert response.status_code == 422
    assert "<title>Error: Create an account" in response.get_data(as_text=True)
    assert count(User) == 0
    assert mailbox.messages == []


def _neutral(page: str, email: str) -> str:
    """A page with the address typed and the per-request nonce taken out."""
    return re.sub(r'nonce="[^"]+"', "", page.replace(email, "X"))


def _registration_answer(app, email: str, **fields: str) -> tuple[int, str, int, str]:
    """What a new browser sees after registering: the POST's status and redirect, then
    the page it leads to."""
    browser = app.test_client()
    response = register(browser, email, **fields)
    page = browser.get(response.headers["Location"])
    return (
        response.status_code,
        response.headers["Location"],
        page.status_code,
        _neutral(page.get_data(as_text=True), email),
    )


def test_registering_an_existing_address_reveals_nothing(app, client, auth, mailbox, trust):
    create_user(email="nurse@trust.nhs.uk", name="Existing Nurse", agency=trust)
    password_hash = user_named("nurse@trust.nhs.uk").password_hash

    existing = _registration_answer(app, "nurse@trust.nhs.uk", name="Somebody Else")
    new = _registration_answer(app, "new.nurse@trust.nhs.uk", name="Somebody Else")
    assert existing == new
    assert existing[:3] == (302, "/register/check-your-email", 200)
    assert (
        'We have sent an email to <strong class="govuk-!-text-break-word">X</strong>' in existing[3]
    )

    assert count(User) == 2  # the existing nurse, and the new address's account
    user = user_named("nurse@trust.nhs.uk")
    assert (user.name, user.password_hash) == ("Existing Nurse", password_hash)
    assert not user.check_password(NEW_PASSWORD)
    assert auth.sign_in("nurse@trust.nhs.uk", NEW_PASSWORD).status_code == 422

    to_existing, to_new = mailbox.messages
    assert (to_new["To"], to_new["Subject"]) == (
        "new.nurse@trust.nhs.uk",
        "Confirm your email address",
    )
    assert (to_existing["To"], to_existing["Subject"]) == (
        "nurse@trust.nhs.uk",
        "You already have an account",
    )
    body = to_existing.get_content().replace("\r\n", "\n")
    assert "Dear Existing Nurse" in body and "Somebody Else" not in body
    assert "your account has not changed" in body
    assert "You can sign in here:\n\nhttp://quizapp.test/sign-in\n" in body
    assert "If you have forgotten your password, choose a new one with this link" in body
    assert "The link works once, for 1 hour." in body
    link = mailbox.link(to_existing)
    assert link.startswith("/password-reset/")
    assert client.get(link).status_code == 200
    # Until the link is used, the existing password still signs in.
    assert auth.sign_in("nurse@trust.nhs.uk").status_code == 302


def test_registering_hashes_the_password_whether_or_not_the_address_has_an_account(
    client, mailbox, trust, monkeypatch
):
    """The same slow work in both cases, so the time taken does not tell them apart."""
    from quizapp.models import user as user_module

    hashed: list[str] = []
    real = user_module.generate_password_hash

    def spy(password: str, *args, **kwargs) -> str:
        hashed.append(password)
        return real(password, *args, **kwargs)

    monkeypatch.setattr(user_module, "generate_password_hash", spy)
    assert register(client, "new@trust.nhs.uk", "first typed password").status_code == 302
    assert hashed == ["first typed password"]
    assert register(client, "new@trust.nhs.uk", "second typed password").status_code == 302
    assert hashed == ["first typed password", "second typed password"]
    user = user_named("new@trust.nhs.uk")
    assert user.check_password("first typed password")
    assert not user.check_password("second typed password")


def test_registering_the_address_of_someone_who_left_sends_nothing(client, mailbox, trust):
    user = create_user(email="gone@trust.nhs.uk", name="Gone Away", agency=trust)
    user.left_at = utcnow()
    db.session.commit()
    response = register(client, "gone@trust.nhs.uk", name="Somebody Else")
    assert (response.status_code, response.headers["Location"]) == (
        302,
        "/register/check-your-email",
    )
    assert mailbox.messages == []
    assert user_named("gone@trust.nhs.uk").name == "Gone Away"


ATTACKER_PASSWORD = "attacker chose this one"


def _upload_person(app: Flask, tmp_path, trust, name: str, email: str) -> User:
    """As an administrator does: upload a CSV of people and save it. The person gets an
    account without a password whose address is not confirmed (they set a password
    through an emailed link)."""
    app.config["PEOPLE_UPLOAD_FOLDER"] = str(tmp_path / "uploads")
    create_user(email="admin@partnership.test", roles=(Role.ADMIN,))
    admin = app.test_client()
    assert _sign_in_status(admin, "admin@partnership.test", DEFAULT_PASSWORD) == 302
    sheet = f"name,email,agency\n{name},{email},{trust.name}\n".encode()
    uploaded = admin.post(
        "/admin/people/upload",
        data={"file": (io.BytesIO(sheet), "people.csv")},
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)
    assert admin.post("/admin/people/upload/save").status_code == 302
    user = user_named(email)
    assert (user.name, user.password_hash, user.email_confirmed_at) == (name, None, None)
    return user


def test_registering_an_uploaded_persons_address_does_not_take_over_their_account(
    app, client, auth, mailbox, trust, tmp_path
):
    """Issue 12, part 4. Before, registering the address of someone uploaded by CSV set
    the registrant's name and password on that account and sent the owner the genuine
    confirmation email; once the owner confirmed, the registrant's password signed in."""
    owner = _upload_person(app, tmp_path, trust, "Nia Owner", "nia@trust.nhs.uk")
    token_before = owner.session_token

    attacker = app.test_client()
    response = register(attacker, "nia@trust.nhs.uk", ATTACKER_PASSWORD, name="Mallory")
    assert response.status_code == 302
    assert response.headers["Location"] == "/register/check-your-email"

    user = user_named("nia@trust.nhs.uk")
    assert (user.name, user.password_hash, user.email_confirmed_at) == ("Nia Owner", None, None)
    assert user.session_token == token_before
    assert count(User) == 2  # the owner and the administrator who uploaded them

    # The owner's email: the account exists, and a link to choose their own password.
    message = mailbox.only()
    assert (message["To"], message["Subject"]) == (
        "nia@trust.nhs.uk",
        "Choose your password",  # a welcome: the upload added them, they never registered
    )
    body = message.get_content()
    assert "Dear Nia Owner" in body and "Mallory" not in body
    assert "Choose your password with this link" in body
    # Their first registration reads as one: a welcome, not "someone tried again".
    assert "Welcome to" in body and "has already added you" in body
    assert "tried to create an account" not in body
    link = mailbox.link()
    assert link.startswith("/password-reset/")

    # The owner follows it (a confirmation link would have made the attacker's password
    # work): their password works, the attacker's never does.
    owner_browser = app.test_client()
    assert owner_browser.get(link).status_code == 200
    done = owner_browser.post(
        link, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert done.headers["Location"] == "/sign-in"
    assert _sign_in_status(attacker, "nia@trust.nhs.uk", ATTACKER_PASSWORD) == 422
    assert _sign_in_status(owner_browser, "nia@trust.nhs.uk", NEW_PASSWORD) == 302
    user = user_named("nia@trust.nhs.uk")
    assert user.name == "Nia Owner"
    assert user.email_confirmed_at is not None
    assert not user.check_password(ATTACKER_PASSWORD)

    # The link works once.
    again = app.test_client().post(
        link, data={"password": "another fresh phrase", "confirm_password": "another fresh phrase"}
    )
    assert again.status_code == 410
    assert user_named("nia@trust.nhs.uk").check_password(NEW_PASSWORD)


def _sign_in_status(client: FlaskClient, email: str, password: str) -> int:
    return client.post("/sign-in", data={"email": email, "password": password}).status_code


def test_registering_again_before_confirming_changes_nothing_and_sends_a_password_link(
    client, auth, mailbox, trust
):
    register(client, "sam@trust.nhs.uk", "first password for sam")
    first_link = mailbox.link(mailbox.messages[0])
    register(client, "sam@trust.nhs.uk", NEW_PASSWORD, name="Sam Jones")
    assert len(mailbox.messages) == 2
    second = mailbox.messages[1]
    assert second["Subject"] == "You already have an account"
    body = second.get_content()
    assert "Dear Sam Practitioner" in body
    assert "Choose your password with this link. Then you can sign in." in body
    assert "http://quizapp.test/sign-in" not in body  # they can't sign in yet
    assert count(User) == 1
    user = user_named("sam@trust.nhs.uk")
    assert user.name == "Sam Practitioner"
    assert user.check_password("first password for sam")
    assert not user.check_password(NEW_PASSWORD)

    # The password link confirms the address too, and ends the earlier confirmation link.
    password_link = mailbox.link(second)
    assert password_link.startswith("/password-reset/")
    done = client.post(
        password_link, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    )
    assert done.status_code == 302
    user = user_named("sam@trust.nhs.uk")
    assert user.email_confirmed_at is not None
    assert user.check_password(NEW_PASSWORD)
    assert client.get(first_link).status_code == 410
    assert auth.sign_in("sam@trust.nhs.uk", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("", "", "Enter a password"),
        ("short pass", "short pass", "Password must be 12 characters or more"),
        ("password1234", "password1234", "Password is too easy to guess"),
        ("Password-2026!", "Password-2026!", "Password is too easy to guess"),
        ("Safeguarding2026", "Safeguarding2026", "Password is too easy to guess"),
        ("qwertyuiop123", "qwertyuiop123", "Password is too easy to guess"),
        ("111111111111111", "111111111111111", "Password is too easy to guess"),
        (NEW_PASSWORD, NEW_PASSWORD + "s", "The passwords do not match"),
    ],
)
def test_weak_or_mismatched_passwords_are_refused(
    client, mailbox, trust, password, confirm, message
):
    response = register(client, "sam@trust.nhs.uk", password, confirm_password=confirm)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'class="govuk-error-summary"' in page
    assert count(User) == 0
    assert mailbox.messages == []


HIDDEN = "must not include tabs, line breaks or other hidden characters"


@pytest.mark.parametrize(
    "name", ["Sam\x00Jones", "Sam\tJones", "Sam Jones\n", "Sam\r\nJones", "\x1b[2JSam", "Sam\x7f"]
)
def test_a_name_with_control_characters_is_refused(client, mailbox, trust, name):
    """NUL included: PostgreSQL can't store it (a server error before)."""
    response = register(client, "sam@trust.nhs.uk", name=name)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<title>Error: Create an account" in page
    # In the error summary, linked to the field, and above the field.
    assert f'<a href="#name">Full name {HIDDEN}</a>' in page
    assert f'<span class="govuk-visually-hidden">Error:</span> Full name {HIDDEN}' in page
    assert count(User) == 0
    assert mailbox.messages == []


def test_a_name_with_ordinary_spaces_and_letters_is_kept(client, mailbox, trust):
    assert register(client, "zoe@trust.nhs.uk", name="  Zoë  O'Neil-Ødegaard ").status_code == 302
    assert user_named("zoe@trust.nhs.uk").name == "Zoë  O'Neil-Ødegaard"


def test_a_name_of_spaces_only_is_refused(client, mailbox, trust):
    """It was stored as an empty name, which the database refuses (a server error)."""
    response = register(client, "sam@trust.nhs.uk", name="   ")
    assert response.status_code == 422
    assert '<a href="#name">Enter your full name</a>' in response.get_data(as_text=True)
    assert count(User) == 0
    assert mailbox.messages == []


def test_an_invitation_with_control_characters_is_refused(client, auth, mailbox):
    police = create_agency(name="West Midlands Police", sector="police")
    create_user(email="admin@partnership.test", roles=(Role.ADMIN,))
    auth.sign_in("admin@partnership.test")
    response = invite(
        client, agency=str(police.id), name="Ines\x00", job_role="DC\tCID", level="Level\n3"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for what, field in (
        ("Full name", "name"),
        ("Job role", "job_role"),
        ("Competency level", "level"),
    ):
        assert f'<a href="#{field}">{what} {HIDDEN}</a>' in page
    assert count(Invitation) == 0
    assert mailbox.messages == []


def test_signing_in_with_control_characters_in_the_email_is_refused(client):
    response = client.post(
        "/sign-in", data={"email": "nurse\x00@example.org", "password": "whatever it is"}
    )
    assert response.status_code == 422
    assert f"Email address {HIDDEN}" in response.get_data(as_text=True)


@pytest.mark.parametrize("password", ["violet\tkettle marmalade", "violet kettle\x00marmalade"])
def test_a_new_password_with_control_characters_is_refused(client, mailbox, trust, password):
    response = register(client, "sam@trust.nhs.uk", password)
    assert response.status_code == 422
    assert f"Password {HIDDEN}" in response.get_data(as_text=True)
    assert count(User) == 0


def test_password_rules():
    assert password_problem("eleven char") == TOO_SHORT
    assert password_problem("twelve chars") is None
    assert password_problem("P@ssw0rd1234") == TOO_COMMON
    assert password_problem("Correct Horse Battery Staple") == TOO_COMMON
    assert password_problem("abababababab") == TOO_COMMON
    assert password_problem("x" * 1001) == "Password must be 1000 characters or fewer"
    assert password_problem("violet kettle marmalade") is None
    assert password_problem("violet kettle\nmarmalade") == (
        "Password must not include tabs, line breaks or other hidden characters"
    )


def test_register_page_has_labelled_fields_with_autocomplete(client):
    page = client.get("/register").get_data(as_text=True)
    assert '<label class="govuk-label" for="name">' in page
    assert 'autocomplete="name"' in page
    assert 'autocomplete="email"' in page
    assert page.count('autocomplete="new-password"') == 2
    assert "Must be at least 12 characters" in page


def test_sign_in_page_links_to_reset_and_registration(client):
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'href="/password-reset">Forgotten your password?</a>' in page
    assert 'href="/register">create an account</a>' in page


def test_a_failing_mail_server_saves_nothing(app, client, trust):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port(), MAIL_TIMEOUT=2)
    response = register(client, "sam@trust.nhs.uk")
    assert response.status_code == 503
    assert "we could not send the email" in response.get_data(as_text=True)
    assert count(User) == 0


def test_without_a_mail_server_the_email_is_logged(app, client, trust, caplog):
    assert not app.config["MAIL_SERVER"]
    caplog.set_level(logging.INFO, logger="quizapp.email")
    assert register(client, "sam@trust.nhs.uk").status_code == 302
    logged = [r.getMessage() for r in caplog.records if r.name == "quizapp.email"]
    assert len(logged) == 1
    assert "To: sam@trust.nhs.uk" in logged[0]
    assert "Subject: Confirm your email address" in logged[0]
    path = LINK.search(logged[0]).group(1)
    assert client.post(path).status_code == 302
    assert user_named("sam@trust.nhs.uk").email_confirmed_at is not None


def test_production_never_logs_links(app, client, trust, caplog):
    app.config["ENV_NAME"] = "production"
    caplog.set_level(logging.INFO, logger="quizapp.email")
    register(client, "sam@trust.nhs.uk")
    logged = [r.getMessage() for r in caplog.records if r.name == "quizapp.email"]
    assert logged == [
        "MAIL_SERVER is not set: email 'Confirm your email address' to"
        " sam@trust.nhs.uk was not sent"
    ]


# Invitations -------------------------------------------------------------------------


def invite(client: FlaskClient, **fields):
    data = {
        "name": "Ines Invited",
        "email": "ines@police.example",
        "job_role": "Detective constable",
        "level": "Level 3",
    }
    data.update(fields)
    return client.post("/invitations/new", data=data)


def test_invitation_email_creates_the_account_once(client, auth, mailbox):
    police = create_agency(name="West Midlands Police", sector="police")
    team = Team(agency=police, name="Public protection unit")
    db.session.add(team)
    create_user(email="admin@partnership.test", name="Ada Admin", roles=(Role.ADMIN,))
    auth.sign_in("admin@partnership.test")

    form_page = client.get("/invitations/new").get_data(as_text=True)
    assert "West Midlands Police: Public protection unit" in form_page
    assert "Other roles (optional)" in form_page
    response = invite(
        client,
        email="Ines@Police.example",
        agency=str(police.id),
        team=str(team.id),
        roles=["lead", "author"],
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/invitations/new"
    assert "Invitation sent to ines@police.example" in client.get("/invitations/new").get_data(
        as_text=True
    )

    message = mailbox.only()
    assert message["To"] == "ines@police.example"
    assert message["Subject"] == "You are invited to Safeguarding learning checks"
    body = message.get_content()
    assert "Ada Admin has invited you" in body
    assert "West Midlands Police, as Detective constable" in body
    link = mailbox.link()
    invitation = db.session.scalars(sa.select(Invitation)).one()
    assert (invitation.expires_at - invitation.created_at) == timedelta(days=14)
    assert invitation.roles == ["practitioner", "author", "lead"]

    auth.sign_out()
    page = client.get(link)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Ada Admin has invited you" in text
    assert "Public protection unit" in text
    short = client.post(link, data={"password": "too short", "confirm_password": "too short"})
    assert short.status_code == 422
    assert count(User) == 1

    accepted = client.post(link, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert accepted.status_code == 302
    # A lead (here also a practitioner and an author) starts on the dashboards.
    assert accepted.headers["Location"] == "/dashboards/"
    assert client.get("/dashboards/").status_code == 200
    assert client.get("/checks/").status_code == 200

    user = user_named("ines@police.example")
    assert (user.name, user.agency_id, user.team_id) == ("Ines Invited", police.id, team.id)
    assert (user.job_role, user.level) == ("Detective constable", "Level 3")
    assert user.roles == {Role.PRACTITIONER, Role.AUTHOR, Role.LEAD}
    assert user.email_confirmed_at is not None
    assert user.check_password(NEW_PASSWORD)
    db.session.refresh(invitation)
    assert invitation.accepted_at is not None

    auth.sign_out()
    again = client.post(link, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert again.status_code == 410
    assert "This link has expired or has already been used" in again.get_data(as_text=True)
    assert client.get(link).status_code == 410
    assert count(User) == 2


def test_expired_invitation_is_refused(client, auth, mailbox):
    police = create_agency(name="West Midlands Police", sector="police")
    create_user(email="admin@partnership.test", roles=(Role.ADMIN,))
    auth.sign_in("admin@partnership.test")
    invite(client, agency=str(police.id))
    auth.sign_out()
    invitation = db.session.scalars(sa.select(Invitation)).one()
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    link = mailbox.link()
    assert client.get(link).status_code == 410
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 410
    assert "ask your safeguarding lead to invite you again" in response.get_data(as_text=True)
    assert user_named("ines@police.example") is None


def test_inviting_an_existing_address_is_refused(client, auth, mailbox):
    police = create_agency(name="West Midlands Police", sector="police")
    create_user(email="admin@partnership.test", roles=(Role.ADMIN,))
    create_user(email="ines@police.example")
    auth.sign_in("admin@partnership.test")
    response = invite(client, email="INES@police.example", agency=str(police.id))
    assert response.status_code == 422
    assert "There is already an account for this email address" in response.get_data(as_text=True)
    assert count(Invitation) == 0
    assert mailbox.messages == []


def test_invitation_for_an_address_that_registered_meanwhile(client, auth, mailbox):
    police = create_agency(name="West Midlands Police", sector="police")
    create_user(email="admin@partnership.test", roles=(Role.ADMIN,))
    auth.sign_in("admin@partnership.test")
    invite(client, agency=str(police.id))
    auth.sign_out()
    create_user(email="ines@police.example")
    response = client.post(
        mailbox.link(), data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    )
    assert response.status_code == 409
    assert "There is already an account for this email address" in response.get_data(as_text=True)
    assert count(User) == 2


def test_agency_lead_invites_only_into_their_own_agency(client, auth, mailbox):
    police = create_agency(name="West Midlands Police", sector="police")
    health = create_agency(name="NHS Hospital Trust")
    create_user(email="lead@police.example", agency=police, roles=(Role.LEAD,))
    auth.sign_in("lead@police.example")

    page = client.get("/invitations/new").get_data(as_text=True)
    assert f'<option value="{police.id}">West Midlands Police</option>' in page
    assert "You can invite people into your own agency." in page
    assert "NHS Hospital Trust" not in page
    assert "Select an agency" not in page
    assert "Other roles" not in page

    refused = invite(client, agency=str(health.id))
    assert refused.status_code == 403
    assert count(Invitation) == 0
    assert mailbox.messages == []

    # Their own agency works, and roles they may not give are ignored.
    allowed = invite(client, agency=str(police.id), roles=["admin"])
    assert allowed.status_code == 302
    invitation = db.session.scalars(sa.select(Invitation)).one()
    assert (invitation.agency_id, invitation.roles) == (police.id, ["practitioner"])
    assert mailbox.only()["To"] == "ines@police.example"


def test_admin_and_partnership_lead_invite_into_any_agency(client, auth, mailbox):
    create_agency(name="West Midlands Police", sector="police")
    health = create_agency(name="NHS Hospital Trust")
    create_user(email="admin@partnership.test", roles=(Role.ADMIN,))
    create_user(email="lead@partnership.test", roles=(Role.LEAD,))
    auth.sign_in("admin@partnership.test")
    page = client.get("/invitations/new").get_data(as_text=True)
    assert '<option value="" selected>Select an agency</option>' in page
    assert "West Midlands Police" in page and "NHS Hospital Trust" in page
    assert "You can invite people into your own agency." not in page
    assert invite(client, agency=str(health.id), email="a@trust.example").status_code == 302
    auth.sign_out()
    auth.sign_in("lead@partnership.test")
    assert invite(client, agency=str(health.id), email="b@trust.example").status_code == 302
    assert sorted(i.email for i in db.session.scalars(sa.select(Invitation))) == [
        "a@trust.example",
        "b@trust.example",
    ]
    assert len(mailbox.messages) == 2


def test_team_must_belong_to_the_agency(client, auth, mailbox):
    police = create_agency(name="West Midlands Police", sector="police")
    health = create_agency(name="NHS Hospital Trust")
    ward = Team(agency=health, name="Children's ward")
    db.session.add(ward)
    create_user(email="admin@partnership.test", roles=(Role.ADMIN,))
    auth.sign_in("admin@partnership.test")
    response = invite(client, agency=str(police.id), team=str(ward.id))
    assert response.status_code == 422
    assert "Select a team in the agency you chose" in response.get_data(as_text=True)
    assert count(Invitation) == 0


def test_empty_invitation_form_says_what_is_missing(client, auth):
    create_user(email="admin@partnership.test", roles=(Role.ADMIN,))
    auth.sign_in("admin@partnership.test")
    response = client.post(
        "/invitations/new", data={"agency": "", "team": "", "name": "  ", "job_role": " "}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in (
        "Enter their full name",
        "Enter their email address",
        "Select their agency",
        "Enter their job role",
    ):
        assert message in page


def test_only_leads_and_admins_may_invite(client, auth):
    assert client.get("/invitations/new").status_code == 302
    create_user(email="nurse@example.org")
    auth.sign_in("nurse@example.org")
    assert client.get("/invitations/new").status_code == 403
    assert invite(client).status_code == 403


# Password reset ----------------------------------------------------------------------


def test_password_reset_link_works_once_and_signs_out_other_sessions(app, client, auth, mailbox):
    create_user(email="nurse@example.org", name="Nia Nurse")
    other_device = app.test_client()
    other_device.post(
        "/sign-in",
        data={"email": "nurse@example.org", "password": "correct horse battery staple"},
    )
    assert other_device.get("/checks/").status_code == 200

    response = client.post("/password-reset", data={"email": " Nurse@Example.org "})
    assert response.status_code == 302
    assert response.headers["Location"] == "/password-reset/check-your-email"
    page = client.get("/password-reset/check-your-email").get_data(as_text=True)
    assert (
        'If there is an account for <strong class="govuk-!-text-break-word">'
        "Nurse@Example.org</strong>" in page
    )
    assert "for 1 hour" in page

    message = mailbox.only()
    assert (message["To"], message["Subject"]) == ("nurse@example.org", "Reset your password")
    assert "The link works once, for 1 hour." in message.get_content()
    link = mailbox.link()

    form = client.get(link)
    assert form.status_code == 200
    assert 'autocomplete="new-password"' in form.get_data(as_text=True)
    common = client.post(
        link, data={"password": "password1234", "confirm_password": "password1234"}
    )
    assert common.status_code == 422
    assert "Password is too easy to guess" in common.get_data(as_text=True)

    done = client.post(link, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert done.status_code == 302
    assert done.headers["Location"] == "/sign-in"
    assert "Your password has been changed" in client.get("/sign-in").get_data(as_text=True)

    assert other_device.get("/checks/").status_code == 302  # signed out
    assert auth.sign_in("nurse@example.org").status_code == 422  # old password
    assert auth.sign_in("nurse@example.org", NEW_PASSWORD).status_code == 302
    auth.sign_out()

    again = client.post(
        link, data={"password": "another new password", "confirm_password": "another new password"}
    )
    assert again.status_code == 410
    assert "This link has expired or has already been used" in again.get_data(as_text=True)
    assert user_named("nurse@example.org").check_password(NEW_PASSWORD)


def test_unknown_address_gets_the_same_page_and_no_email(client, mailbox):
    create_user(email="nurse@example.org")
    known = client.post("/password-reset", data={"email": "nurse@example.org"})
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    unknown = client.post("/password-reset", data={"email": "nobody@example.org"})
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]

    def neutral(page: str, email: str) -> str:
        return re.sub(r'nonce="[^"]+"', "", page.replace(email, "X"))

    assert neutral(known_page, "nurse@example.org") == neutral(unknown_page, "nobody@example.org")
    assert [m["To"] for m in mailbox.messages] == ["nurse@example.org"]


def test_inactive_accounts_get_no_reset_link(client, mailbox):
    user = create_user(email="left@example.org")
    user.active = False
    db.session.commit()
    assert client.post("/password-reset", data={"email": "left@example.org"}).status_code == 302
    assert mailbox.messages == []


def test_reset_link_expires(app, client, mailbox):
    create_user(email="nurse@example.org")
    client.post("/password-reset", data={"email": "nurse@example.org"})
    app.config["PASSWORD_RESET_MAX_AGE"] = timedelta(seconds=-1)
    response = client.get(mailbox.link())
    assert response.status_code == 410
    assert "Ask for a new link" in response.get_data(as_text=True)


def test_tampered_or_misused_links_are_refused(client, mailbox, trust):
    register(client, "sam@trust.nhs.uk")
    link = mailbox.link()
    token = link.rsplit("/", 1)[1]
    tampered = client.get(link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb"))
    assert tampered.status_code == 400
    assert "This link has expired or has already been used" in tampered.get_data(as_text=True)
    # A confirmation token is no good as a reset token or an invitation (distinct salts).
    assert client.get(f"/password-reset/{token}").status_code == 400
    assert client.get(f"/invitations/{token}").status_code == 400


def test_reset_link_confirms_an_unconfirmed_address(client, auth, mailbox, trust):
    register(client, "sam@trust.nhs.uk")
    client.post("/password-reset", data={"email": "sam@trust.nhs.uk"})
    reset_link = mailbox.link(mailbox.messages[1])
    client.post(
        reset_link,
        data={"password": "a whole new phrase", "confirm_password": "a whole new phrase"},
    )
    assert user_named("sam@trust.nhs.uk").email_confirmed_at is not None
    assert auth.sign_in("sam@trust.nhs.uk", "a whole new phrase").status_code == 302
    # The confirmation link is used up too.
    assert client.get(mailbox.link(mailbox.messages[0])).status_code == 410


def test_tokens_bind_what_makes_them_single_use(app):
    user = create_user(email="nurse@example.org")
    token = tokens.password_reset_token(user)
    assert tokens.user_to_reset(token).id == user.id
    assert user.session_token not in token  # a digest travels, not the session token
    user.set_password("a brand new password 2026")
    db.session.commit()
    with pytest.raises(tokens.BadLink):
        tokens.user_to_reset(token)


def test_forms_need_a_csrf_token(csrf_app):
    client = csrf_app.test_client()
    page = client.get("/register").get_data(as_text=True)
    assert 'name="csrf_token"' in page
    response = register(client, "sam@trust.nhs.uk")
    assert response.status_code == 400
    assert count(User) == 0
