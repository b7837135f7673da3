"""The first email to someone a people upload added reads as a welcome: registering, or
asking for a password, is their first time, not "again" or "reset"."""

from __future__ import annotations

from quizapp.admin.operations import preview_upload, save_upload
from quizapp.admin.people_csv import read_people
from quizapp.extensions import db
from quizapp.models import Role, utcnow

from .factories import create_user
from .mail import LINK
from .test_accounts import NEW_PASSWORD, register, trust, user_named  # noqa: F401

UPLOADED = "una.uploaded@trust.nhs.uk"


def _upload_una(trust) -> None:  # noqa: F811
    admin = create_user(email="admin@example.org", roles=(Role.ADMIN,), name="Ada Admin")
    sheet = read_people(f"name,email,agency\nUna Uploaded,{UPLOADED},{trust.name}\n")
    preview = preview_upload(sheet, uploader=admin, full_agency=False)
    assert preview.can_save, preview
    save_upload(preview, now=utcnow())
    db.session.commit()
    una = user_named(UPLOADED)
    assert (una.password_hash, una.email_confirmed_at) == (None, None)


def test_an_uploaded_person_who_registers_is_welcomed(client, mailbox, trust):  # noqa: F811
    """Registering never changes an existing account (issue 12): the upload's person is
    welcomed and sent a link to choose their password."""
    _upload_una(trust)
    assert register(client, UPLOADED, name="Una Uploaded").status_code == 302

    message = mailbox.only()
    body = message.get_content()
    assert message["Subject"] == "Choose your password"
    assert "Welcome to Safeguarding learning checks" in body
    assert "NHS Hospital Trust has already added you to the service" in body
    assert "tried to create an account" not in body
    una = user_named(UPLOADED)
    assert una.password_hash is None  # what was typed at registration is not kept
    # The link lets them choose a password, and confirms the address.
    link = mailbox.link(message)
    assert link.startswith("/password-reset/")
    new = "a brand new long passphrase"
    response = client.post(link, data={"password": new, "confirm_password": new})
    assert response.status_code == 302
    db.session.expire_all()
    una = user_named(UPLOADED)
    assert una.email_confirmed_at is not None
    assert una.check_password(new)


def test_once_they_have_a_password_registering_again_says_they_have_an_account(
    client,
    mailbox,
    trust,  # noqa: F811
):
    _upload_una(trust)
    una = user_named(UPLOADED)
    una.set_password(NEW_PASSWORD)
    una.email_confirmed_at = utcnow()
    db.session.commit()
    register(client, UPLOADED, "another long passphrase", name="Una Uploaded")
    message = mailbox.only()
    assert message["Subject"] == "You already have an account"
    body = message.get_content()
    assert "tried to create an account" in body
    assert "Welcome" not in body


def test_someone_registering_afresh_is_welcomed_without_the_upload_sentence(
    client,
    mailbox,
    trust,  # noqa: F811
):
    register(client, "new.person@trust.nhs.uk")
    body = mailbox.only().get_content()
    assert "Welcome to Safeguarding learning checks" in body
    assert "has already added you" not in body


def test_an_uploaded_person_asking_for_a_password_is_welcomed(client, mailbox, trust):  # noqa: F811
    _upload_una(trust)
    client.post("/password-reset", data={"email": UPLOADED})
    message = mailbox.only()
    body = message.get_content()
    assert message["Subject"] == "Choose a password"
    assert "Welcome to Safeguarding learning checks" in body
    assert "NHS Hospital Trust has added you to the service." in body
    assert "Choose a password with this link" in body
    assert "reset" not in LINK.sub("", body).lower()
    # The link sets the first password and confirms the address.
    link = mailbox.link(message)
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302
    una = user_named(UPLOADED)
    assert una.check_password(NEW_PASSWORD)
    assert una.email_confirmed_at is not None


def test_someone_with_a_password_is_still_asked_to_reset_it(client, mailbox, trust):  # noqa: F811
    create_user(email="nurse@trust.nhs.uk", agency=trust)
    client.post("/password-reset", data={"email": "nurse@trust.nhs.uk"})
    message = mailbox.only()
    assert message["Subject"] == "Reset your password"
    assert "reset the password for your account" in message.get_content()
    assert "Welcome" not in message.get_content()
