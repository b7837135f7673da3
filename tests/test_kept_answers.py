"""An answer sent after an idle sign-out is kept and shown again after signing in
(quizapp/take/kept.py), without JavaScript: the whole journey through the real routes,
and who can (and can't) get a kept answer."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from quizapp import web
from quizapp.extensions import db
from quizapp.models import Attempt, KeptAnswer, Response, User
from quizapp.models.user import new_session_token
from quizapp.take.kept import answer_fields

from .conftest import IsolatedClient
from .factories import (
    DEFAULT_PASSWORD,
    answer_form,
    arrangement_of,
    check_for,
    create_user,
    import_bank_text,
    small_bank,
)

START = 1_900_000_000.0
IDLE = 30 * 60


@pytest.fixture
def clock(monkeypatch):
    now = [START]
    monkeypatch.setattr(web, "session_clock", lambda: now[0])
    return now


@pytest.fixture
def check(app):
    return check_for(import_bank_text(small_bank()))


class _FormReader(HTMLParser):
    """What a browser would send from the page's answer form (the one with the "Save and
    continue" button): checked radios and boxes, chosen options, text, hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.values = MultiDict()
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and "data-keeps-answer" in a:
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("radio", "checkbox"):
                if "checked" in a:
                    self.values.add(a["name"], a.get("value", "on"))
            else:
                self.values.add(a["name"], a.get("value", ""))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.values.add(self._select, a.get("value", ""))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""

    def handle_data(self, data):
        if self._textarea:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.values.add(self._textarea, self._text.removeprefix("\n"))
            self._textarea = None


def sent_by(page: str) -> MultiDict:
    reader = _FormReader()
    reader.feed(page)
    return reader.values


def _sign_in(client, email: str, next_url: str | None = None):
    url = "/sign-in" + (f"?next={next_url}" if next_url else "")
    response = client.post(url, data={"email": email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _start(client, check) -> Attempt:
    assert client.post(f"/checks/{check.id}/start").status_code == 302
    db.session.expire_all()
    return db.session.scalars(sa.select(Attempt).order_by(Attempt.id.desc())).first()


def _question_url(attempt: Attempt, key: str) -> str:
    return f"/checks/attempts/{attempt.id}/questions/{key}"


def _question(attempt: Attempt, key: str):
    return next(q for q in attempt.bank_version.questions if q.key == key)


def _kept() -> list[KeptAnswer]:
    db.session.expire_all()
    return db.session.scalars(sa.select(KeptAnswer)).all()


def _responses() -> list[Response]:
    db.session.expire_all()
    return db.session.scalars(sa.select(Response)).all()


def _option(attempt: Attempt, index: int, key: str = "q-single") -> str:
    """What the page sends for option `index` of a choice question in this attempt."""
    return arrangement_of(attempt.id, _question(attempt, key)).value(index)


def _form_for(attempt: Attempt, question, *, right: bool = False) -> dict:
    data = answer_form(question.spec, right=right, arrangement=arrangement_of(attempt.id, question))
    if question.type != "reflection":
        data["certainty"] = "2"
    return data


@pytest.mark.parametrize(
    "key", ["q-single", "q-multiple", "q-true-false", "q-ordering", "q-reflect"]
)
def test_an_answer_sent_after_the_idle_limit_is_kept_and_saved_after_signing_in(
    client, check, clock, key
):
    """Without JavaScript: the session ends, the answer is sent, the person signs in
    again, finds the answer filled in as they gave it, and saving it saves it."""
    user = create_user(email="slow@example.org")
    _sign_in(client, user.email)
    attempt = _start(client, check)
    question = _question(attempt, key)
    url = _question_url(attempt, key)
    assert client.get(url).status_code == 200
    answer = _form_for(attempt, question)

    clock[0] += IDLE + 1
    response = client.post(url, data={**answer, "csrf_token": "ignored in tests"})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/sign-in"
    assert parse_qs(location.query)["next"] == [url]
    assert _responses() == []  # nothing saved in the attempt
    [kept] = _kept()
    assert (kept.attempt_id, kept.question_id) == (attempt.id, question.id)
    assert kept.form == {k: v if isinstance(v, list) else [v] for k, v in answer.items()}

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert (
        "You were signed out because you had not used the service for 30 minutes."
        " We have kept the answer you sent: sign in again to check it and carry on." in page
    )
    signed_in = _sign_in(client, user.email, next_url=url)
    assert signed_in.headers["Location"] == url

    page = client.get(url).get_data(as_text=True)
    assert "We kept the answer you sent" in page
    assert "Check your answer, then select \u2018Save and continue\u2019." in page
    sent = sent_by(page)
    for name, values in kept.form.items():
        assert sent.getlist(name) == values, name
    assert sent["kept_answer"] == "1"

    saved = client.post(url, data=sent)
    assert saved.status_code == 302
    assert "/sign-in" not in saved.headers["Location"]
    [response_row] = _responses()
    assert response_row.question_id == question.id
    expected = 2 if question.type != "reflection" else None
    assert response_row.certainty == expected
    assert _kept() == []
    # The answer saved is the one that was kept (a wrong one, so it is not a default).
    if question.type in ("single", "multiple", "true_false", "ordering"):
        assert response_row.fraction < 1
    else:
        assert response_row.answer == "A reflection only I can read."
    # Seen again, the question shows the saved answer and no banner.
    page = client.get(url).get_data(as_text=True)
    assert "We kept the answer you sent" not in page
    assert "kept_answer" not in page


def test_a_kept_answer_is_shown_until_it_is_saved(client, check, clock):
    user = create_user(email="wanders@example.org")
    _sign_in(client, user.email)
    attempt = _start(client, check)
    url = _question_url(attempt, "q-single")
    clock[0] += IDLE + 1
    client.post(url, data={"answer": _option(attempt, 1), "certainty": "3"})
    _sign_in(client, user.email)
    for _ in range(2):  # looked at, left, and looked at again
        page = client.get(url).get_data(as_text=True)
        assert "We kept the answer you sent" in page
        assert sent_by(page).getlist("answer") == [_option(attempt, 1)]
        assert sent_by(page).getlist("certainty") == ["3"]
    # Saved with an error first ("How sure are you?" missing): still removed when it works.
    missing = client.post(url, data={"answer": _option(attempt, 1), "kept_answer": "1"})
    assert missing.status_code == 422
    assert 'name="kept_answer"' in missing.get_data(as_text=True)
    assert len(_kept()) == 1
    client.post(url, data={"answer": _option(attempt, 1), "certainty": "3", "kept_answer": "1"})
    assert _kept() == []
    assert [(r.answer, r.certainty) for r in _responses()] == [(1, 3)]


def test_another_person_signing_in_does_not_get_the_kept_answer(client, check, clock):
    owner = create_user(email="owner@example.org")
    other = create_user(email="other@example.org")
    # The other person has an attempt of their own at the same check.
    _sign_in(client, other.email)
    their_attempt = _start(client, check)
    client.post("/sign-out")

    _sign_in(client, owner.email)
    attempt = _start(client, check)
    url = _question_url(attempt, "q-single")
    clock[0] += IDLE + 1
    response = client.post(url, data={"answer": _option(attempt, 1), "certainty": "3"})
    assert len(_kept()) == 1

    # Someone else signs in on the same browser, with the link back to the question.
    signed_in = _sign_in(client, other.email, next_url=url)
    assert signed_in.headers["Location"] == url
    assert client.get(url).status_code == 404  # not their attempt
    assert (
        client.post(
            url, data={"answer": _option(attempt, 0), "certainty": "1", "kept_answer": "1"}
        ).status_code
        == 404
    )
    own = client.get(_question_url(their_attempt, "q-single")).get_data(as_text=True)
    assert "We kept the answer you sent" not in own
    assert sent_by(own).getlist("answer") == []
    assert sent_by(own).getlist("certainty") == []
    assert _responses() == []
    client.post("/sign-out")

    # The owner still finds it.
    _sign_in(client, owner.email, next_url=url)
    assert "We kept the answer you sent" in client.get(url).get_data(as_text=True)
    assert response.status_code == 302


def test_an_ended_session_cannot_keep_an_answer_in_someone_elses_attempt(client, check, clock):
    victim = create_user(email="victim@example.org")
    _sign_in(client, victim.email)
    their_attempt = _start(client, check)
    client.post("/sign-out")

    intruder = create_user(email="intruder@example.org")
    _sign_in(client, intruder.email)
    clock[0] += IDLE + 1
    response = client.post(
        _question_url(their_attempt, "q-single"),
        data={"answer": _option(their_attempt, 1), "certainty": "1"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")
    assert _kept() == []
    page = client.get("/sign-in").get_data(as_text=True)
    assert "Answers you saved are kept." in page
    assert "We have kept the answer" not in page


def test_nothing_is_kept_for_a_session_that_was_ended_elsewhere(client, check, clock):
    """Signing out (or a password change) on another device changes the session token:
    the old cookie no longer names anyone, so it can't keep an answer either."""
    user = create_user(email="elsewhere@example.org")
    _sign_in(client, user.email)
    attempt = _start(client, check)
    db.session.get(User, user.id).session_token = new_session_token()
    db.session.commit()
    clock[0] += IDLE + 1
    client.post(
        _question_url(attempt, "q-single"), data={"answer": _option(attempt, 1), "certainty": "1"}
    )
    assert _kept() == []


def test_nothing_is_kept_from_an_empty_form_or_for_an_unknown_question(client, check, clock):
    user = create_user(email="blank@example.org")
    _sign_in(client, user.email)
    attempt = _start(client, check)
    clock[0] += IDLE + 1
    response = client.post(_question_url(attempt, "q-reflect"), data={"answer": "   "})
    assert response.headers["Location"].startswith("/sign-in")
    _sign_in(client, user.email)
    clock[0] += IDLE + 1
    client.post(_question_url(attempt, "no-such-question"), data={"answer": _option(attempt, 1)})
    assert _kept() == []


def test_only_the_questions_own_fields_are_kept():
    form = MultiDict(
        [
            ("answer", "0"),
            ("answer", "2"),
            ("answer", " "),
            ("certainty", "3"),
            ("position-1", "2"),
            ("csrf_token", "abc"),
            ("attempt_id", "99"),
            ("user_id", "1"),
            ("answer_extra", "x"),
            ("position-x", "1"),
            ("kept_answer", "1"),
        ]
    )
    assert answer_fields(form) == {
        "answer": ["0", "2"],
        "certainty": ["3"],
        "position-1": ["2"],
    }
    assert answer_fields(MultiDict([("answer", "x" * 50_000)]))["answer"] == ["x" * 20_000]


def test_submitting_the_attempt_removes_its_kept_answers(client, check, clock):
    user = create_user(email="finisher@example.org")
    _sign_in(client, user.email)
    attempt = _start(client, check)
    for question in attempt.bank_version.questions:
        assert (
            client.post(
                _question_url(attempt, question.key), data=_form_for(attempt, question, right=True)
            ).status_code
            == 302
        )
    clock[0] += IDLE + 1
    client.post(
        _question_url(attempt, "q-single"), data={"answer": _option(attempt, 1), "certainty": "1"}
    )
    assert len(_kept()) == 1
    _sign_in(client, user.email)
    response = client.post(f"/checks/attempts/{attempt.id}/check-answers")
    assert response.headers["Location"].endswith(f"/checks/attempts/{attempt.id}/result")
    assert _kept() == []
    # The kept (wrong) answer was never saved: the attempt was submitted with the right one.
    assert db.session.get(Attempt, attempt.id).percent == 100


def test_a_question_saved_again_since_does_not_show_an_older_kept_answer(client, check, clock):
    """Kept on one device, then answered afresh on another: the newer answer wins."""
    user = create_user(email="two-devices@example.org")
    _sign_in(client, user.email)
    attempt = _start(client, check)
    url = _question_url(attempt, "q-single")
    clock[0] += IDLE + 1
    client.post(url, data={"answer": _option(attempt, 1), "certainty": "1"})
    assert len(_kept()) == 1
    other_device = client.application.test_client()
    _sign_in(other_device, user.email)
    assert (
        other_device.post(url, data={"answer": _option(attempt, 0), "certainty": "3"}).status_code
        == 302
    )
    _sign_in(client, user.email)
    page = client.get(url).get_data(as_text=True)
    assert "We kept the answer you sent" not in page
    assert sent_by(page).getlist("answer") == [_option(attempt, 0)]
    assert sent_by(page).getlist("certainty") == ["3"]


def test_with_csrf_protection_a_kept_answer_needs_the_pages_token(csrf_app, clock):
    """The answer is kept only from the service's own page: a form sent from elsewhere
    (no token) is refused before anything is kept."""
    csrf_app.test_client_class = IsolatedClient
    client = csrf_app.test_client()
    check = check_for(import_bank_text(small_bank()))
    user = create_user(email="csrf@example.org")
    token = _token(client.get("/sign-in").get_data(as_text=True))
    client.post(
        "/sign-in", data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
    )
    overview = client.get(f"/checks/{check.id}").get_data(as_text=True)
    client.post(f"/checks/{check.id}/start", data={"csrf_token": _token(overview)})
    attempt = db.session.scalars(sa.select(Attempt)).one()
    url = _question_url(attempt, "q-single")
    page = client.get(url).get_data(as_text=True)
    clock[0] += IDLE + 1

    forged = client.post(url, data={"answer": _option(attempt, 1), "certainty": "1"})
    assert forged.status_code == 400
    assert _kept() == []

    kept = client.post(
        url, data={"answer": _option(attempt, 1), "certainty": "1", "csrf_token": _token(page)}
    )
    assert kept.status_code == 302
    assert [k.form for k in _kept()] == [{"answer": [_option(attempt, 1)], "certainty": ["1"]}]


def _token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_a_kept_answer_is_in_the_persons_own_data(client, check, clock):
    user = create_user(email="mine@example.org")
    _sign_in(client, user.email)
    attempt = _start(client, check)
    clock[0] += IDLE + 1
    client.post(_question_url(attempt, "q-reflect"), data={"answer": "Half a thought"})
    _sign_in(client, user.email)
    data = client.get("/account/your-data.json").get_json()
    assert [{k: v for k, v in kept.items() if k != "kept_at"} for kept in data["kept_answers"]] == [
        {"attempt": attempt.id, "question": "q-reflect", "form": {"answer": ["Half a thought"]}}
    ]
    assert data["kept_answers"][0]["kept_at"].startswith("20")


def test_a_scenario_choice_sent_after_the_idle_limit_is_kept_and_made_after_signing_in(
    client, clock
):
    from quizapp.models import ScenarioChoice

    from .scenario_bank import SCENARIO_BANK
    from .test_take_scenario import offered, sequence_of

    scenario_check = check_for(import_bank_text(SCENARIO_BANK))
    user = create_user(email="slow@example.org")
    _sign_in(client, user.email)
    attempt = _start(client, scenario_check)
    url = _question_url(attempt, "conference-path")
    page = client.get(url).get_data(as_text=True)
    choice = offered(page)["Wait for the next visit"]
    form = {"answer": choice, "sequence": sequence_of(page), "action": "choose"}

    clock[0] += IDLE + 1
    response = client.post(url, data=form)
    assert urlsplit(response.headers["Location"]).path == "/sign-in"
    [kept] = _kept()
    assert kept.form == {"answer": [choice], "sequence": ["1"]}
    _sign_in(client, user.email, next_url=url)

    page = client.get(url).get_data(as_text=True)
    assert "We kept the choice you sent" in page
    assert re.search(rf'value="{choice}" checked', page)
    assert 'name="kept_answer" value="1"' in page
    made = client.post(url, data={**form, "kept_answer": "1"})
    assert made.status_code == 302
    db.session.expire_all()
    assert [c.alternative_key for c in db.session.scalars(sa.select(ScenarioChoice))] == ["wait"]
    assert _kept() == []
    assert "We kept the choice" not in client.get(url).get_data(as_text=True)
