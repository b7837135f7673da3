"""Certificates of passed checks, their public verification, and the learning record."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from dateutil.relativedelta import relativedelta
from pypdf import PdfReader

from quizapp.certificates import codes, record
from quizapp.extensions import db
from quizapp.models import Attempt, Certificate, Check
from quizapp.take import operations as take

from .factories import check_for, create_agency, create_user, import_bank_text, small_bank

REFLECTION = "I will ask the health visitor before closing a case."


def _take(user, check: Check, *, now: datetime, right: bool = True) -> Attempt:
    attempt = take.start_attempt(user, check, now=now)
    for question in attempt.bank_version.questions:
        answers = (
            {"single": 0, "multiple": [0, 1], "true_false": False, "ordering": [0, 1, 2]}
            if right
            else {"single": 1, "multiple": [2], "true_false": True, "ordering": [2, 1, 0]}
        )
        take.save_answer(attempt, question, answers.get(question.type, REFLECTION), 2, now=now)
    take.submit_attempt(attempt, now=now)
    db.session.commit()
    return attempt


@pytest.fixture
def world(app):
    agency = create_agency(name="Northtown Health Visiting")
    person = create_user(name="Alex Brown", email="alex@example.org", agency=agency)
    other = create_user(name="Sam Other", email="sam@example.org", agency=agency)
    check = check_for(import_bank_text(small_bank()))
    check.cpd_minutes = 45
    check.participatory = True
    db.session.commit()
    return person, other, check


def _sign_in(client, email: str) -> None:
    response = client.post(
        "/sign-in", data={"email": email, "password": "correct horse battery staple"}
    )
    assert response.status_code == 302


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


# Codes ----------------------------------------------------------------------------------


def test_codes_are_60_random_bits_shown_in_groups_and_typed_forgivingly():
    code = codes.new_code()
    assert len(code) == 12 and set(code) <= set(codes.ALPHABET)
    assert len(codes.ALPHABET) ** 12 >= 2**60
    assert codes.new_code() != code
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", codes.shown(code))
    assert codes.normalise(f" {codes.shown(code).lower()} ") == code
    assert codes.normalise("7k2m 9qxd 4rtb") == "7K2M9QXD4RTB"
    assert codes.normalise("OIL0-0000-0000") == "011000000000"
    assert codes.normalise("too-short") is None
    assert codes.normalise("UUUU-UUUU-UUUU") is None  # U is not in the alphabet
    assert codes.initials("Alex Brown") == "A. B."
    assert codes.initials("Mary-Jane O'Neil Smith") == "M. J. O. S."


# Issuing ----------------------------------------------------------------------------------


def test_a_pass_issues_a_certificate_with_the_check_copied_and_a_fail_none(world):
    person, _, check = world
    now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    failed = _take(person, check, now=now - timedelta(days=1), right=False)
    passed = _take(person, check, now=now)
    assert failed.passed is False and passed.passed is True
    certificate = db.session.scalars(sa.select(Certificate)).one()
    assert certificate.attempt_id == passed.id
    assert certificate.user_id == person.id
    assert (certificate.cpd_minutes, certificate.participatory) == (45, True)
    assert certificate.check_title == "A small check"
    assert certificate.version_number == 1
    assert certificate.passed_at == now
    assert certificate.expires_at == now + relativedelta(months=12)

    # Later edits to the check don't change an issued certificate.
    check.cpd_minutes = 5
    check.title = "Renamed"
    db.session.commit()
    db.session.refresh(certificate)
    assert (certificate.cpd_minutes, certificate.check_title) == (45, "A small check")


def test_passes_from_before_certificates_get_one_when_first_looked_at(world, client):
    person, _, check = world
    attempt = _take(person, check, now=datetime(2026, 1, 5, tzinfo=UTC))
    db.session.execute(sa.delete(Certificate))  # as if passed before migration 0017
    db.session.commit()
    _sign_in(client, person.email)
    response = client.get(f"/checks/attempts/{attempt.id}/certificate")
    assert response.status_code == 200
    certificate = db.session.scalars(sa.select(Certificate)).one()
    assert certificate.attempt_id == attempt.id
    assert codes.shown(certificate.code) in response.text


# The certificate and its PDF ---------------------------------------------------------------


def test_the_certificate_pdf_carries_every_field(world, client):
    person, _, check = world
    passed_at = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    attempt = _take(person, check, now=passed_at)
    certificate = db.session.scalars(sa.select(Certificate)).one()
    _sign_in(client, person.email)

    page = client.get(f"/checks/attempts/{attempt.id}/certificate")
    assert page.status_code == 200
    assert "Alex Brown" in page.text and "Northtown Health Visiting" in page.text
    assert f"/checks/attempts/{attempt.id}/certificate.pdf" in page.text

    response = client.get(f"/checks/attempts/{attempt.id}/certificate.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = _pdf_text(response.data)
    assert "Alex Brown" in text
    assert "Northtown Health Visiting" in text
    assert "A small check" in text
    assert "Question bank version 1" in text
    assert "Passed 2 March 2026" in text
    assert "Valid until 2 March 2027" in text
    assert "45 minutes" in text and "participatory" in text
    assert codes.shown(certificate.code) in text
    assert "http://quizapp.test/verify" in text


def test_the_result_of_a_pass_links_its_certificate_and_a_fail_has_none(world, client):
    person, _, check = world
    failed = _take(person, check, now=datetime(2026, 3, 1, tzinfo=UTC), right=False)
    passed = _take(person, check, now=datetime(2026, 3, 2, tzinfo=UTC))
    _sign_in(client, person.email)
    assert (
        f"/checks/attempts/{passed.id}/certificate"
        in client.get(f"/checks/attempts/{passed.id}/result").text
    )
    assert "certificate" not in client.get(f"/checks/attempts/{failed.id}/result").text
    assert client.get(f"/checks/attempts/{failed.id}/certificate").status_code == 404
    assert client.get(f"/checks/attempts/{failed.id}/certificate.pdf").status_code == 404


def test_another_persons_certificate_is_not_found(world, client):
    person, other, check = world
    attempt = _take(person, check, now=datetime(2026, 3, 2, tzinfo=UTC))
    _sign_in(client, other.email)
    assert client.get(f"/checks/attempts/{attempt.id}/certificate").status_code == 404
    assert client.get(f"/checks/attempts/{attempt.id}/certificate.pdf").status_code == 404
    assert client.get("/checks/attempts/999999/certificate").status_code == 404


# Verifying -----------------------------------------------------------------------------------


def test_verifying_a_current_certificate_shows_the_check_dates_and_initials_only(world, client):
    person, _, check = world
    _take(person, check, now=datetime.now(UTC) - timedelta(days=30))
    certificate = db.session.scalars(sa.select(Certificate)).one()
    response = client.get(f"/verify/{codes.shown(certificate.code)}")
    assert response.status_code == 200
    text = response.text
    assert "Genuine certificate" in text
    assert "Current" in text and "Expired" not in text
    assert "A small check" in text
    assert "A. B." in text
    assert "Alex" not in text and "Brown" not in text and "Northtown" not in text
    assert response.headers["X-Robots-Tag"] == "noindex"


def test_a_typed_code_is_normalised_and_sent_to_its_page(world, client):
    person, _, check = world
    _take(person, check, now=datetime.now(UTC) - timedelta(days=1))
    code = db.session.scalars(sa.select(Certificate.code)).one()
    typed = " " + codes.shown(code).lower().replace("-", " ") + " "
    response = client.get("/verify", query_string={"code": typed})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verify/{code}")
    assert client.get(response.headers["Location"]).status_code == 200
    assert client.get("/verify", query_string={"code": "  "}).status_code == 422
    assert client.get("/verify").status_code == 200


def test_verifying_an_expired_certificate_says_expired(world, client):
    person, _, check = world
    passed = datetime.now(UTC) - relativedelta(months=13)
    _take(person, check, now=passed)
    code = db.session.scalars(sa.select(Certificate.code)).one()
    response = client.get(f"/verify/{code}")
    assert response.status_code == 200
    assert "Genuine certificate" in response.text
    assert "Expired" in response.text
    assert "It expired on" in response.text
    assert ">Current<" not in response.text


def test_a_made_up_code_and_a_malformed_one_get_the_same_not_found_page(world, client):
    person, _, check = world
    _take(person, check, now=datetime.now(UTC))
    made_up = client.get("/verify/7K2M-9QXD-4RTB")
    malformed = client.get("/verify/not-a-code")
    for response in (made_up, malformed):
        assert response.status_code == 404
        assert "We could not find a certificate with that code" in response.text
        assert "Genuine" not in response.text and "A small check" not in response.text

    # The same page: nothing says whether the code's format was right.
    def without_nonce(text: str) -> str:
        return re.sub(r'nonce="[^"]*"', "", text)

    assert without_nonce(made_up.text) == without_nonce(malformed.text)


def test_verifying_is_rate_limited_per_address(app, client):
    app.config["VERIFY_LIMIT_PER_ADDRESS"] = "3 per minute"
    statuses = [client.get(f"/verify/AAAA-BBBB-CCC{n}").status_code for n in range(5)]
    assert statuses == [404, 404, 404, 429, 429]
    limited = client.get("/verify/AAAA-BBBB-CCCC")
    assert "Too many tries" in limited.text
    assert int(limited.headers["Retry-After"]) > 0


# The learning record -----------------------------------------------------------------------


def _two_passes(person, check, other_check):
    _take(person, check, now=datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    _take(person, other_check, now=datetime(2026, 2, 20, 9, 0, tzinfo=UTC))


@pytest.fixture
def second_check(world):
    check = check_for(
        import_bank_text(
            small_bank(
                **{
                    "id: small-bank": "id: other-bank",
                    "title: A small check": "title: Another check",
                }
            )
        )
    )
    check.cpd_minutes = 30
    check.participatory = False
    db.session.commit()
    return check


def test_the_learning_record_lists_each_pass_with_minutes_and_findings(world, second_check, client):
    person, _, check = world
    _two_passes(person, check, second_check)
    _sign_in(client, person.email)
    page = client.get("/account/learning-record")
    assert page.status_code == 200
    text = page.text
    assert text.index("A small check") < text.index("Another check")
    assert "10 January 2026" in text and "20 February 2026" in text
    assert "Information was not shared." in text and "The referral was timely." in text
    assert "1.25 hours" in text and "0.75 hours participatory" in text
    assert REFLECTION not in text
    with_reflections = client.get("/account/learning-record?reflections=yes").text
    assert REFLECTION in with_reflections


def test_the_learning_record_csv_has_the_cpd_log_columns_and_a_totals_row(
    world, second_check, client
):
    person, _, check = world
    _two_passes(person, check, second_check)
    _sign_in(client, person.email)
    response = client.get("/account/learning-record.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "Dates",
        "Method",
        "Topic",
        "Link to the Code",
        "Number of hours",
        "Number of participatory hours",
    ]
    first, second, total = rows[1:]
    assert first[0] == "10 January 2026"
    assert first[1] == record.METHOD
    assert first[2].startswith("A small check (version 1). Findings covered: ")
    assert "Information was not shared" in first[2] and "timely" in first[2]
    assert first[3] == record.CODE_LINK
    assert first[4:] == ["0.75", "0.75"]
    assert second[0] == "20 February 2026" and second[4:] == ["0.5", "0"]
    assert total == ["Total", "", "", "", "1.25", "0.75"]
    assert REFLECTION not in response.text
    asked = client.get("/account/learning-record.csv?reflections=yes").text
    assert f"My reflection (How do you share information?): {REFLECTION}" in asked


def test_the_learning_record_pdf_has_the_entries_and_totals(world, second_check, client):
    person, _, check = world
    _two_passes(person, check, second_check)
    _sign_in(client, person.email)
    response = client.get("/account/learning-record.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = _pdf_text(response.data)
    for expected in (
        "Alex Brown",
        "Link to the Code",
        "Number of participatory hours",
        "10 January 2026",
        "20 February 2026",
        "A small check",
        "Another check",
        "Total",
        "1.25",
    ):
        assert expected in text, expected
    assert "reflection" not in text.lower().replace("reflections", "")
    asked = _pdf_text(client.get("/account/learning-record.pdf?reflections=yes").data)
    assert "I will ask the health visitor" in asked


def test_reflections_are_only_ever_the_signed_in_persons_own(world, client):
    person, other, check = world
    _take(person, check, now=datetime(2026, 1, 10, tzinfo=UTC))
    _sign_in(client, other.email)
    for url in (
        "/account/learning-record?reflections=yes",
        "/account/learning-record.csv?reflections=yes",
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert REFLECTION not in response.text and "A small check" not in response.text
    pdf = _pdf_text(client.get("/account/learning-record.pdf?reflections=yes").data)
    assert "A small check" not in pdf and "health visitor" not in pdf


def test_check_settings_edit_cpd_minutes_and_participatory(world, client):
    from quizapp.models import Role

    _, _, check = world
    create_user(email="admin@example.org", roles=(Role.PRACTITIONER, Role.ADMIN))
    _sign_in(client, "admin@example.org")
    settings = {
        "title": check.title,
        "pass_mark": "80",
        "refresh_months": "12",
        "certainty": "y",
        "cpd_minutes": "90",
        "participatory": "y",
    }
    assert client.post(f"/admin/checks/{check.id}", data=settings).status_code == 302
    db.session.refresh(check)
    assert (check.cpd_minutes, check.participatory) == (90, True)
    settings["cpd_minutes"] = ""
    page = client.post(f"/admin/checks/{check.id}", data=settings)
    assert page.status_code == 422 and "Enter the CPD minutes" in page.text
    del settings["cpd_minutes"]  # an old form without the field keeps the setting
    assert client.post(f"/admin/checks/{check.id}", data=settings).status_code == 302
    db.session.refresh(check)
    assert check.cpd_minutes == 90


def test_an_anonymised_holders_certificate_shows_no_initials(world, client):
    from quizapp.privacy import anonymise

    person, _, check = world
    _take(person, check, now=datetime.now(UTC) - timedelta(days=3))
    code = db.session.scalars(sa.select(Certificate.code)).one()
    anonymise(person, now=datetime.now(UTC))
    db.session.commit()
    response = client.get(f"/verify/{code}")
    assert response.status_code == 200
    assert "Genuine certificate" in response.text
    assert "the holder&#39;s details have been removed" in response.text
    assert "A. B." not in response.text


def test_a_bank_file_can_set_cpd_minutes_and_participatory(app):
    from quizapp.banks import load_bank_text

    text = small_bank(
        **{
            "  refresh_months: 12\n": "  refresh_months: 12\n  cpd_minutes: 90\n"
            "  participatory: true\n"
        }
    )
    check = check_for(import_bank_text(text, filename="cpd.yaml"))
    assert (check.cpd_minutes, check.participatory) == (90, True)
    plain = check_for(import_bank_text(small_bank(**{"id: small-bank": "id: plain-bank"})))
    assert (plain.cpd_minutes, plain.participatory) == (20, False)
    wrong = load_bank_text(
        small_bank(**{"  refresh_months: 12\n": "  refresh_months: 12\n  cpd_minutes: -5\n"}),
        "bad.yaml",
    )
    assert [(e.path, e.message) for e in wrong.errors] == [
        ("check.cpd_minutes", "should be at least 0")
    ]


def test_the_cpd_log_totals_are_the_sums_of_the_hours_shown():
    """Two 20-minute checks show 0.33 hours each: the total says 0.66, as a nurse adding
    the column gets (not 0.67, the hours of 40 minutes)."""
    entries = [
        record.Entry(
            attempt_id=number,
            passed_at=datetime(2026, 1, number, tzinfo=UTC),
            check_title=f"Check {number}",
            version_number=1,
            cpd_minutes=20,
            participatory=number == 1,
            code="X",
            findings=(),
        )
        for number in (1, 2)
    ]
    table = record.rows(entries)
    assert [row[4:] for row in table] == [["0.33", "0.33"], ["0.33", "0"], ["0.66", "0.33"]]
