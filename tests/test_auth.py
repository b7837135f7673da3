from quizapp.models import Role

from .factories import create_user


def test_sign_in_page_has_labelled_fields(client):
    page = client.get("/sign-in").get_data(as_text=True)
    assert '<label class="govuk-label" for="email">' in page
    assert "Email address" in page
    assert "Password" in page
    assert ">\n  Sign in\n</button>" in page or "Sign in</button>" in page


def test_sign_in_with_right_password_goes_to_your_checks(client, auth):
    create_user(email="nurse@example.org")
    response = auth.sign_in("Nurse@Example.org ")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/checks/")
    assert client.get("/checks/").status_code == 200


def test_wrong_password_and_unknown_email_get_the_same_message(client, auth):
    create_user(email="nurse@example.org")
    wrong_password = auth.sign_in("nurse@example.org", "not the password at all")
    unknown_email = auth.sign_in("nobody@example.org", "not the password at all")
    for response in (wrong_password, unknown_email):
        page = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "Enter a correct email address and password" in page
        assert "govuk-error-summary" in page
    assert client.get("/checks/").status_code == 302


def test_empty_sign_in_form_says_what_is_missing(auth):
    response = auth.sign_in("", "")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter your email address" in page
    assert "Enter your password" in page
    assert "<title>Error: Sign in" in page


def test_inactive_user_cannot_sign_in(client, auth):
    user = create_user(email="left@example.org")
    user.active = False
    from quizapp.extensions import db

    db.session.commit()
    assert auth.sign_in("left@example.org").status_code == 422


def test_sign_out_ends_the_session(client, auth):
    create_user(email="nurse@example.org")
    auth.sign_in("nurse@example.org")
    assert auth.sign_out().status_code == 302
    response = client.get("/checks/")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_next_parameter_only_redirects_within_the_site(client):
    create_user(email="nurse@example.org")
    response = client.post(
        "/sign-in?next=https://evil.example/",
        data={"email": "nurse@example.org", "password": "correct horse battery staple"},
    )
    assert response.headers["Location"].endswith("/checks/")


def test_user_without_practitioner_role_is_refused_checks(client, auth):
    create_user(email="admin@example.org", roles=(Role.ADMIN,))
    auth.sign_in("admin@example.org")
    assert client.get("/checks/").status_code == 403


def test_changing_password_signs_out_other_sessions(app, client, auth):
    from quizapp.extensions import db

    user = create_user(email="nurse@example.org")
    auth.sign_in("nurse@example.org")
    user.set_password("a brand new password 2026")
    db.session.commit()
    assert client.get("/checks/").status_code == 302


def test_passwords_are_stored_as_scrypt_hashes(app):
    user = create_user(email="nurse@example.org")
    assert user.password_hash.startswith("scrypt:")
    assert "correct horse" not in user.password_hash


def test_emails_are_unique_whatever_their_case(app):
    import pytest
    from sqlalchemy.exc import IntegrityError

    from quizapp.extensions import db
    from quizapp.models import User, normalise_email

    create_user(email="nurse@example.org")
    db.session.add(User(email=normalise_email("NURSE@example.org"), name="Other"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(User(email="Mixed@Example.org", name="Not normalised"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
