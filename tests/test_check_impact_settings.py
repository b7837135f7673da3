"""A check's before-and-after settings: asking how confident people are, the three quick
questions after the result, and the follow-up weeks; on the settings page and in files."""

from __future__ import annotations

import pytest

from quizapp.banks import content_hash, dump_bank, load_bank_text
from quizapp.extensions import db
from quizapp.models import Role

from .factories import check_for, create_user, import_bank_text, small_bank

_REFRESH = "  refresh_months: 12\n"
_WEEKS = "should be a whole number of weeks from 1 to 52, or false for no follow-up"


def _settings(check) -> dict[str, str]:
    """What the settings page posts for `check` with these three settings on."""
    return {
        "title": check.title,
        "pass_mark": str(check.pass_mark),
        "refresh_months": str(check.refresh_months),
        "cpd_minutes": str(check.cpd_minutes),
        "ask_confidence": "y",
        "ask_reaction": "y",
        "follow_up_weeks": "8",
    }


@pytest.fixture
def admin_check(app, auth):
    check = check_for(import_bank_text(small_bank()))
    create_user(email="admin@example.org", roles=(Role.ADMIN,))
    auth.sign_in("admin@example.org")
    return check


def test_a_new_check_asks_both_and_follows_up_after_8_weeks(admin_check):
    assert (admin_check.ask_confidence, admin_check.ask_reaction) == (True, True)
    assert admin_check.follow_up_weeks == 8


def test_the_settings_page_shows_and_saves_them(admin_check, client):
    check = admin_check
    url = f"/admin/checks/{check.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Ask how confident people are, before and after" in page
    assert "Ask three quick questions about the check after the result" in page
    assert "Follow-up after a pass (weeks)" in page
    assert "Blank: no follow-up. Partnerships often use 6 to 8 weeks." in page
    assert 'name="follow_up_weeks" type="text" value="8"' in page
    assert 'name="ask_confidence" type="checkbox" value="y" checked' in page

    form = _settings(check)
    del form["ask_confidence"]  # unticked
    assert client.post(url, data={**form, "follow_up_weeks": "6"}).status_code == 302
    db.session.refresh(check)
    assert (check.ask_confidence, check.ask_reaction, check.follow_up_weeks) == (False, True, 6)

    assert client.post(url, data={**form, "follow_up_weeks": ""}).status_code == 302
    db.session.refresh(check)
    assert check.follow_up_weeks is None  # blank: no follow-up
    assert 'name="follow_up_weeks" type="text" value=""' in client.get(url).get_data(as_text=True)

    del form["follow_up_weeks"]  # an old form without the field keeps the setting
    check.follow_up_weeks = 12
    db.session.commit()
    assert client.post(url, data=form).status_code == 302
    db.session.refresh(check)
    assert check.follow_up_weeks == 12


@pytest.mark.parametrize("weeks", ["0", "53", "-1", "eight", "8.5"])
def test_follow_up_weeks_out_of_range_are_refused(admin_check, client, weeks):
    check = admin_check
    response = client.post(
        f"/admin/checks/{check.id}", data={**_settings(check), "follow_up_weeks": weeks}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<a href="#follow_up_weeks">' in page
    if weeks in ("0", "53", "-1"):
        assert "Follow-up must be between 1 and 52 weeks" in page
    db.session.refresh(check)
    assert check.follow_up_weeks == 8  # nothing saved


def test_a_bank_file_can_set_them_and_they_round_trip(app):
    lines = "  ask_confidence: false\n  ask_reaction: false\n  follow_up_weeks: 6\n"
    text = small_bank(**{_REFRESH: _REFRESH + lines})
    loaded = load_bank_text(text, "impact.yaml")
    assert loaded.errors == [] and loaded.bank is not None
    exported = dump_bank(loaded.bank.to_data())
    assert _REFRESH + lines in exported
    again = load_bank_text(exported, "again.yaml").bank
    assert again is not None and content_hash(again) == content_hash(loaded.bank)
    check = check_for(import_bank_text(text, filename="impact.yaml"))
    assert (check.ask_confidence, check.ask_reaction, check.follow_up_weeks) == (False, False, 6)

    no_follow_up = _REFRESH + lines.replace("follow_up_weeks: 6", "follow_up_weeks: false")
    none = small_bank(**{"id: small-bank": "id: none-bank", _REFRESH: no_follow_up})
    assert "follow_up_weeks: false\n" in none
    assert check_for(import_bank_text(none, filename="none.yaml")).follow_up_weeks is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("follow_up_weeks: 0", _WEEKS),
        ("follow_up_weeks: 53", _WEEKS),
        ("follow_up_weeks: true", _WEEKS),
        ("follow_up_weeks: '8'", _WEEKS),
        ("follow_up_weeks: 8.5", _WEEKS),
        ("ask_confidence: yes", "should be true or false, written without quotes"),
    ],
)
def test_bad_values_in_a_bank_file_are_refused(app, line, message):
    result = load_bank_text(small_bank(**{_REFRESH: f"{_REFRESH}  {line}\n"}), "bad.yaml")
    assert result.bank is None
    key = line.split(":")[0]
    errors = [e for e in result.errors if e.path.startswith(f"check.{key}")]
    assert [(e.path, e.message) for e in errors] == [(f"check.{key}", message)]
