"""Confidence before and after a check, and the reaction questions, through the real
routes (quizapp/take/impact_pages.py): where the journey goes, exactly which rows each
page writes, and what it refuses."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import g

from quizapp.extensions import db
from quizapp.models import Attempt, ConfidenceRating, Reaction, Role

from .factories import DEFAULT_PASSWORD, check_for, create_user, import_bank_text, small_bank
from .test_take import answer

#: The small bank's findings in bank order, and the phrasing given to them.
PHRASING = {
    "sharing": "to share information without consent",
    "referral": "to make a referral to children's social care",
}


@pytest.fixture
def check(app):
    outcome = import_bank_text(small_bank(), confidence=PHRASING)
    check = check_for(outcome)
    check.attempts_allowed = None
    db.session.commit()
    return check


@pytest.fixture
def person(client, auth):
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")
    return "hv@example.org"


def _start(client, check) -> tuple[int, str]:
    response = client.post(f"/checks/{check.id}/start")
    assert response.status_code == 302
    location = response.headers["Location"]
    attempt_id = int(re.search(r"/checks/attempts/(\d+)", location).group(1))
    return attempt_id, location


def _ratings(attempt_id: int) -> set[tuple[str, str, int | None]]:
    db.session.expire_all()
    return {
        tuple(row)
        for row in db.session.execute(
            sa.select(
                ConfidenceRating.finding_key, ConfidenceRating.moment, ConfidenceRating.rating
            ).where(ConfidenceRating.attempt_id == attempt_id)
        )
    }


def _reactions() -> list[tuple[int, int | None, int | None, int | None]]:
    db.session.expire_all()
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(Reaction.attempt_id, Reaction.relevant, Reaction.clear, Reaction.will_change)
        )
    ]


def _answer_all(client, attempt_id: int, *, right: bool = True) -> None:
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    drawn = {q.id: q for q in attempt.bank_version.questions}
    for question_id in attempt.question_ids:
        response = answer(client, attempt_id, drawn[question_id], right=right)
        assert response.status_code == 302, response.get_data(as_text=True)


def _submitted_attempt(client, check, *, right: bool = True) -> int:
    attempt_id, _ = _start(client, check)
    client.post(f"/checks/attempts/{attempt_id}/confidence", data={"action": "skip-all"})
    _answer_all(client, attempt_id, right=right)
    response = client.post(f"/checks/attempts/{attempt_id}/check-answers")
    assert response.headers["Location"].endswith(f"/checks/attempts/{attempt_id}/result")
    return attempt_id


# Before --------------------------------------------------------------------------------


def test_starting_asks_before_you_start_then_goes_to_the_first_stage(client, person, check):
    attempt_id, location = _start(client, check)
    assert location.endswith(f"/checks/attempts/{attempt_id}/confidence")

    page = client.get(location)
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Before you start" in text
    assert "How confident are you to share information without consent?" in text
    assert "How confident are you to make a referral to children&#39;s social care?" in text
    assert "not marked" in text
    assert "Nobody sees your individual answers" in text
    assert 'value="skip-all" name="action"' in text
    assert "Skip these questions" in text
    # The hint says how to skip: a blank answer is an error, not a skip.
    assert "You can skip" not in text
    assert (
        "Choose “Skip this question” for any you would rather not answer, or skip them all"
        " with the “Skip these questions” button at the end."
    ) in text

    # Resuming before rating goes back to the same page.
    assert _start(client, check) == (attempt_id, location)

    response = client.post(location, data={"finding-1": "2", "finding-2": "skip"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/checks/attempts/{attempt_id}/stages/first")
    assert _ratings(attempt_id) == {("sharing", "before", 2), ("referral", "before", None)}
    # Once rated, the journey goes on to the first question's stage.
    assert _start(client, check)[1].endswith("/stages/first")


def test_skip_these_questions_records_every_finding_as_skipped(client, person, check):
    attempt_id, location = _start(client, check)
    response = client.post(location, data={"action": "skip-all", "finding-1": "4"})
    assert response.headers["Location"].endswith("/stages/first")
    assert _ratings(attempt_id) == {("sharing", "before", None), ("referral", "before", None)}


def test_a_missing_choice_is_refused_with_an_error_summary_and_no_rows(client, person, check):
    attempt_id, location = _start(client, check)
    response = client.post(location, data={"finding-1": "3"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in text
    assert (
        "Select how confident you are to make a referral to children&#39;s social care,"
        " or choose “Skip this question”"
    ) in text
    assert '<a href="#finding-2">' in text
    assert "<title>Error: " in text
    # The choice made is kept on the page.
    assert re.search(r'value="3"\s+checked', text)
    assert _ratings(attempt_id) == set()

    response = client.post(location, data={"finding-1": "6", "finding-2": "1"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    # Off the scale: the service's own words, as for a missing answer.
    assert "Not a valid choice" not in text
    assert (
        "Select how confident you are to share information without consent,"
        " or choose “Skip this question”"
    ) in text
    assert _ratings(attempt_id) == set()


def test_before_is_refused_once_a_question_is_answered(client, person, check):
    attempt_id, location = _start(client, check)
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    first = next(q for q in attempt.bank_version.questions if q.key == "q-single")
    assert answer(client, attempt_id, first).status_code == 302

    # The resume point now skips the page, and the page itself sends people on.
    assert not _start(client, check)[1].endswith("/confidence")
    for response in (
        client.get(location),
        client.post(location, data={"finding-1": "2", "finding-2": "2"}),
        client.post(location, data={"action": "skip-all"}),
    ):
        assert response.status_code == 302
        assert not response.headers["Location"].endswith("/confidence")
    assert _ratings(attempt_id) == set()


def test_going_back_to_before_shows_the_ratings_given(client, person, check):
    _, location = _start(client, check)
    client.post(location, data={"finding-1": "5", "finding-2": "skip"})
    text = client.get(location).get_data(as_text=True)
    assert re.search(r'value="5"\s+checked', text)
    assert re.search(r'value="skip"\s+checked', text)


def _token(client, url: str) -> str:
    """A CSRF token from a page. The test shares one app context across requests, so the
    token Flask-WTF cached for the session before signing in is forgotten first."""
    g.pop("csrf_token", None)
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)


def test_forms_need_a_csrf_token(csrf_app):
    client = csrf_app.test_client()
    outcome = import_bank_text(small_bank(), confidence=PHRASING)
    check = check_for(outcome)
    create_user(email="csrf@example.org")
    client.post(
        "/sign-in",
        data={
            "email": "csrf@example.org",
            "password": DEFAULT_PASSWORD,
            "csrf_token": _token(client, "/sign-in"),
        },
    )
    token = _token(client, f"/checks/{check.id}")
    response = client.post(f"/checks/{check.id}/start", data={"csrf_token": token})
    location = response.headers["Location"]
    assert location.endswith("/confidence")
    attempt_id = int(re.search(r"/attempts/(\d+)/", location).group(1))
    assert client.post(location, data={"action": "skip-all"}).status_code == 400
    assert client.post(location, data={"finding-1": "2", "finding-2": "2"}).status_code == 400
    assert _ratings(attempt_id) == set()
    token = _token(client, location)
    response = client.post(location, data={"csrf_token": token, "action": "skip-all"})
    assert response.status_code == 302
    assert _ratings(attempt_id) == {("sharing", "before", None), ("referral", "before", None)}


# After and reaction ---------------------------------------------------------------------


def test_after_and_reaction_are_refused_before_submit(client, person, check):
    attempt_id, _ = _start(client, check)
    for path in ("confidence-after", "reaction"):
        url = f"/checks/attempts/{attempt_id}/{path}"
        for response in (
            client.get(url),
            client.post(url, data={"finding-1": "4", "finding-2": "4", "relevant": "5"}),
        ):
            assert response.status_code == 302
            assert response.headers["Location"].endswith(f"/attempts/{attempt_id}/check-answers")
    assert _ratings(attempt_id) == set()
    assert _reactions() == []


def test_the_result_offers_after_then_reaction_each_once(client, person, check):
    attempt_id = _submitted_attempt(client, check)
    result_url = f"/checks/attempts/{attempt_id}/result"
    after_url = f"/checks/attempts/{attempt_id}/confidence-after"
    reaction_url = f"/checks/attempts/{attempt_id}/reaction"

    result = client.get(result_url).get_data(as_text=True)
    assert "A few quick questions" in result
    assert f'href="{after_url}"' in result

    page = client.get(after_url).get_data(as_text=True)
    assert "How confident are you to share information without consent?" in page
    # Nothing filled in from the ratings before (all skipped).
    assert "checked" not in page

    response = client.post(after_url, data={"finding-1": "5", "finding-2": "4"})
    assert response.headers["Location"].endswith(reaction_url)
    before = {("sharing", "before", None), ("referral", "before", None)}
    assert _ratings(attempt_id) == before | {("sharing", "after", 5), ("referral", "after", 4)}

    # Given once: later visits go to the result, and change nothing.
    assert client.get(after_url).headers["Location"].endswith(result_url)
    client.post(after_url, data={"finding-1": "1", "finding-2": "1"})
    client.post(after_url, data={"action": "skip-all"})
    assert _ratings(attempt_id) == before | {("sharing", "after", 5), ("referral", "after", 4)}

    # The result now offers the reaction questions alone.
    result = client.get(result_url).get_data(as_text=True)
    assert f'href="{reaction_url}"' in result
    assert f'href="{after_url}"' not in result

    page = client.get(reaction_url).get_data(as_text=True)
    for statement in (
        "The check was relevant to my role",
        "The questions were clear",
        "I will change something in my practice",
    ):
        assert statement in page
    assert "Strongly disagree" in page and "Strongly agree" in page
    assert "only ever counted together with other people" in page

    response = client.post(reaction_url, data={"relevant": "4", "will_change": "5"})
    assert response.headers["Location"].endswith(result_url)
    assert _reactions() == [(attempt_id, 4, None, 5)]

    result = client.get(result_url).get_data(as_text=True)
    assert "Thank you. Your answers are saved." in result
    assert "govuk-notification-banner" in result
    assert "A few quick questions" not in result

    assert client.get(reaction_url).headers["Location"].endswith(result_url)
    client.post(reaction_url, data={"relevant": "1", "clear": "1", "will_change": "1"})
    assert _reactions() == [(attempt_id, 4, None, 5)]


def test_after_ratings_refused_with_a_missing_choice(client, person, check):
    attempt_id = _submitted_attempt(client, check)
    response = client.post(
        f"/checks/attempts/{attempt_id}/confidence-after", data={"finding-2": "3"}
    )
    assert response.status_code == 422
    assert "Select how confident you are to share information without consent" in (
        response.get_data(as_text=True)
    )
    assert {moment for _, moment, _ in _ratings(attempt_id)} == {"before"}


def test_an_empty_reaction_saves_nothing_and_leaves_the_questions_open(client, person, check):
    """Sending with nothing ticked is "back without answering": no row, no thank-you, and
    the questions are still there to answer later."""
    attempt_id = _submitted_attempt(client, check)
    url = f"/checks/attempts/{attempt_id}/reaction"
    result_url = f"/checks/attempts/{attempt_id}/result"
    response = client.post(
        f"/checks/attempts/{attempt_id}/confidence-after", data={"action": "skip-all"}
    )
    assert response.headers["Location"].endswith(url)
    response = client.post(url, data={})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(result_url)
    assert _reactions() == []
    result = client.get(result_url).get_data(as_text=True)
    assert "Thank you" not in result
    assert f'href="{url}"' in result
    assert client.get(url).status_code == 200
    # Answering later still works, and that is saved with its thank-you.
    response = client.post(url, data={"clear": "4"})
    assert response.headers["Location"].endswith(result_url)
    assert _reactions() == [(attempt_id, None, 4, None)]
    assert "Thank you. Your answers are saved." in client.get(result_url).get_data(as_text=True)


def test_a_reaction_off_the_scale_is_refused_without_a_row(client, person, check):
    attempt_id = _submitted_attempt(client, check)
    response = client.post(
        f"/checks/attempts/{attempt_id}/reaction", data={"relevant": "9", "clear": "3"}
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in text
    assert "Not a valid choice" not in text
    assert "Select how far you agree with “The check was relevant to my role”" in text
    assert '<a href="#relevant">' in text
    # The answer that was on the scale is kept.
    assert re.search(r'value="3"\s+checked', text)
    assert _reactions() == []


def test_after_without_reaction_goes_back_to_the_result_with_thanks(client, person, check):
    check.ask_reaction = False
    db.session.commit()
    attempt_id = _submitted_attempt(client, check)
    result_url = f"/checks/attempts/{attempt_id}/result"
    response = client.post(
        f"/checks/attempts/{attempt_id}/confidence-after", data={"action": "skip-all"}
    )
    assert response.headers["Location"].endswith(result_url)
    result = client.get(result_url).get_data(as_text=True)
    assert "Thank you. Your answers are saved." in result
    assert "A few quick questions" not in result
    assert (
        client.get(f"/checks/attempts/{attempt_id}/reaction")
        .headers["Location"]
        .endswith(result_url)
    )
    assert _reactions() == []


def test_reaction_alone_when_confidence_is_off(client, person, check):
    check.ask_confidence = False
    db.session.commit()
    attempt_id, location = _start(client, check)
    assert location.endswith("/stages/first")
    _answer_all(client, attempt_id)
    client.post(f"/checks/attempts/{attempt_id}/check-answers")
    result = client.get(f"/checks/attempts/{attempt_id}/result").get_data(as_text=True)
    assert f'href="/checks/attempts/{attempt_id}/reaction"' in result
    assert "confidence-after" not in result
    response = client.get(f"/checks/attempts/{attempt_id}/confidence-after")
    assert response.headers["Location"].endswith(f"/checks/attempts/{attempt_id}/reaction")
    assert _ratings(attempt_id) == set()


def test_checks_with_the_settings_off_never_show_the_pages(client, person, check):
    check.ask_confidence = False
    check.ask_reaction = False
    db.session.commit()
    attempt_id, location = _start(client, check)
    assert location.endswith("/stages/first")
    assert (
        client.get(f"/checks/attempts/{attempt_id}/confidence")
        .headers["Location"]
        .endswith("/stages/first")
    )
    _answer_all(client, attempt_id)
    client.post(f"/checks/attempts/{attempt_id}/check-answers")
    result_url = f"/checks/attempts/{attempt_id}/result"
    result = client.get(result_url).get_data(as_text=True)
    assert "A few quick questions" not in result
    for path in ("confidence", "confidence-after", "reaction"):
        url = f"/checks/attempts/{attempt_id}/{path}"
        response = client.post(url, data={"action": "skip-all", "relevant": "5"})
        assert response.headers["Location"].endswith(result_url)
    assert _ratings(attempt_id) == set()
    assert _reactions() == []


def test_a_bank_without_phrasing_asks_no_confidence(client, person):
    check = check_for(import_bank_text(small_bank()))
    attempt_id, location = _start(client, check)
    assert location.endswith("/stages/first")
    assert client.get(f"/checks/attempts/{attempt_id}/confidence").status_code == 302


def test_other_people_get_404(client, auth, person, check):
    attempt_id = _submitted_attempt(client, check)
    in_progress_id, _ = _start(client, check)
    auth.sign_out()
    create_user(email="other@example.org")
    auth.sign_in("other@example.org")
    for url in (
        f"/checks/attempts/{in_progress_id}/confidence",
        f"/checks/attempts/{attempt_id}/confidence-after",
        f"/checks/attempts/{attempt_id}/reaction",
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, data={"action": "skip-all"}).status_code == 404
    assert _ratings(in_progress_id) == set()
    assert _reactions() == []


def _without_per_request_values(page: str) -> str:
    """A page with its attempt ids, CSRF tokens, script nonces and the time since the
    session's last-seen time (the idle warning's) blanked out."""
    page = re.sub(r"attempts/\d+", "attempts/N", page)
    page = re.sub(r'data-seen-ago-seconds="[0-9.]+"', 'data-seen-ago-seconds=""', page)
    return re.sub(r'(nonce|value)="[A-Za-z0-9_.-]{20,}"', r'\1=""', page)


def test_pages_after_the_result_do_not_depend_on_the_marks(client, auth, person, check):
    """Nothing on the pages after the result tells right from wrong answers."""
    right = _submitted_attempt(client, check, right=True)
    auth.sign_out()
    create_user(email="wrong@example.org")
    auth.sign_in("wrong@example.org")
    wrong = _submitted_attempt(client, check, right=False)
    pages = {}
    for attempt_id, email in ((wrong, "wrong@example.org"), (right, "hv@example.org")):
        auth.sign_out()
        auth.sign_in(email)
        pages[attempt_id] = [
            _without_per_request_values(client.get(url).get_data(as_text=True))
            for url in (
                f"/checks/attempts/{attempt_id}/confidence-after",
                f"/checks/attempts/{attempt_id}/reaction",
            )
        ]
    assert pages[right] == pages[wrong]


def test_a_reaction_sent_twice_at_once_keeps_the_first(client, person, check, monkeypatch):
    """The second of two reactions sent at once passes the "already given?" check, then
    fails on the row the first wrote: it writes nothing and goes back to the result."""
    from quizapp.impact import reaction

    attempt_id = _submitted_attempt(client, check)
    client.post(f"/checks/attempts/{attempt_id}/reaction", data={"relevant": "2"})
    monkeypatch.setattr(reaction, "reaction_given", lambda attempt_id: False)
    response = client.post(
        f"/checks/attempts/{attempt_id}/reaction",
        data={"relevant": "5", "clear": "5", "will_change": "5"},
    )
    assert response.headers["Location"].endswith(f"/checks/attempts/{attempt_id}/result")
    assert _reactions() == [(attempt_id, 2, None, None)]


def test_a_reaction_error_keeps_the_statements_own_case(client, person, check):
    attempt_id = _submitted_attempt(client, check)
    response = client.post(f"/checks/attempts/{attempt_id}/reaction", data={"will_change": "0"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Select how far you agree with “I will change something in my practice”" in text
    assert "“i will" not in text
    assert _reactions() == []


# The first stage's back link -------------------------------------------------------------


def _back_link(page: str) -> str:
    return re.search(r'<a href="([^"]+)" class="govuk-back-link"', page).group(1)


def test_the_first_stage_goes_back_to_before_you_start_until_a_question_is_answered(
    client, person, check
):
    attempt_id, location = _start(client, check)
    client.post(location, data={"action": "skip-all"})
    stage_url = f"/checks/attempts/{attempt_id}/stages/first"
    assert _back_link(client.get(stage_url).get_data(as_text=True)) == location
    # The before page still takes changes then.
    assert client.get(location).status_code == 200

    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    first = next(q for q in attempt.bank_version.questions if q.key == "q-single")
    assert answer(client, attempt_id, first).status_code == 302
    assert _back_link(client.get(stage_url).get_data(as_text=True)) == f"/checks/{check.id}"


def test_the_first_stage_goes_back_to_the_check_when_confidence_is_off(client, person, check):
    check.ask_confidence = False
    db.session.commit()
    _attempt_id, location = _start(client, check)
    assert location.endswith("/stages/first")
    assert _back_link(client.get(location).get_data(as_text=True)) == f"/checks/{check.id}"


# Off-scale values elsewhere --------------------------------------------------------------


def test_a_certainty_off_the_scale_gets_the_services_words(client, person, check):
    check.ask_confidence = False
    check.certainty = True
    db.session.commit()
    attempt_id, _ = _start(client, check)
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    first = next(q for q in attempt.bank_version.questions if q.key == "q-single")
    response = answer(client, attempt_id, first, certainty="7")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Not a valid choice" not in text
    assert "Select how sure you are of your answer" in text


def test_follow_up_practice_and_certainty_off_the_scale_get_the_services_words(app, client, auth):
    from .test_follow_up import _due_now

    _check, user, attempt = _due_now()
    auth.sign_in(user.email)
    base = f"/follow-ups/{attempt.id}"
    client.get(base)
    for path, data, words in [
        ("/practice", {"used": "maybe"}, "Select whether you have used this learning"),
        ("/questions/1", {"answer": "true", "certainty": "9"}, "Select how sure you are"),
    ]:
        response = client.post(base + path, data=data)
        text = response.get_data(as_text=True)
        assert response.status_code == 422, path
        assert "Not a valid choice" not in text, path
        assert words in text, path


# The learning record --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "linked"), [((Role.LEAD,), False), ((Role.LEAD, Role.PRACTITIONER), True)]
)
def test_the_learning_record_links_to_checks_only_for_people_who_take_them(
    client, auth, roles, linked
):
    create_user(email="lead@example.org", roles=roles)
    auth.sign_in("lead@example.org")
    page = client.get("/account/learning-record")
    assert page.status_code == 200
    assert ('href="/checks/"' in page.get_data(as_text=True)) is linked
    assert client.get("/checks/").status_code == (200 if linked else 403)
