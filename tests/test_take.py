"""The practitioner's journey through a check, through the real routes."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from quizapp.extensions import db
from quizapp.markdown import render_markdown
from quizapp.models import Attempt, Completion, Response, utcnow
from quizapp.questions import get_type
from quizapp.take import operations

from .factories import (
    answer_form,
    arrangement_of,
    check_for,
    create_user,
    import_bank_text,
    import_hs_bank,
    small_bank,
)


def answer_for(question):
    """A right answer as stored, for filling attempts without the web pages."""
    spec = question.spec
    return {
        "single": next(i for i, o in enumerate(spec.get("options", [])) if o["correct"])
        if question.type == "single"
        else None,
        "multiple": [i for i, o in enumerate(spec.get("options", [])) if o["correct"]],
        "true_false": spec.get("answer"),
        "ordering": list(range(len(spec.get("items", [])))),
        "reflection": "",
    }[question.type]


def start(client, check):
    response = client.post(f"/checks/{check.id}/start")
    assert response.status_code == 302
    return response.headers["Location"]


def answer(client, attempt_id, question, *, right=True, certainty="3"):
    data = answer_form(question.spec, right=right, arrangement=arrangement_of(attempt_id, question))
    if get_type(question.type).scored:
        data["certainty"] = certainty
    return client.post(f"/checks/attempts/{attempt_id}/questions/{question.key}", data=data)


def only_attempt() -> Attempt:
    db.session.expire_all()
    return db.session.scalars(sa.select(Attempt)).one()


def test_practitioner_takes_the_hs_check_end_to_end(client, auth):
    outcome = import_hs_bank()
    check = check_for(outcome)
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")

    assert check.title in client.get("/checks/").get_data(as_text=True)
    overview = client.get(f"/checks/{check.id}").get_data(as_text=True)
    assert "Start check" in overview

    location = start(client, check)
    attempt = only_attempt()
    version = outcome.version
    stages = version.stages
    # The HS bank phrases its findings as practice: how confident are they, first?
    assert location.endswith(f"/checks/attempts/{attempt.id}/confidence")
    rated = {f"finding-{n + 1}": str(n % 5 + 1) for n in range(len(version.findings))}
    response = client.post(location, data=rated)
    assert response.status_code == 302
    assert response.location.endswith(f"/checks/attempts/{attempt.id}/stages/{stages[0].key}")

    # The attempt drew one question from each pool; the pages count what it shows.
    drawn = {q.id: q for q in version.questions if q.id in attempt.question_ids}
    questions = [drawn[question_id] for question_id in attempt.question_ids]
    scored = [q for q in questions if get_type(q.type).scored]
    reflections = [q for q in questions if not get_type(q.type).scored]
    assert f"{len(scored)} questions and {len(reflections)} reflections in" in overview

    # Each stage's narrative comes before its questions, and leads to the first of them.
    for stage in stages:
        page = client.get(f"/checks/attempts/{attempt.id}/stages/{stage.key}")
        assert page.status_code == 200
        assert stage.title in page.get_data(as_text=True)
        first = next(q for q in questions if q.stage_id == stage.id)
        assert f"/questions/{first.key}" in page.get_data(as_text=True)

    for question in questions:
        page = client.get(f"/checks/attempts/{attempt.id}/questions/{question.key}")
        text = page.get_data(as_text=True)
        if get_type(question.type).scored:
            label = f"Question {scored.index(question) + 1} of {len(scored)}"
        else:
            label = f"Reflection {reflections.index(question) + 1} of {len(reflections)}"
        assert f'<h1 class="govuk-heading-l">{label}</h1>' in text
        assert ("How sure are you?" in text) == get_type(question.type).scored
        response = answer(client, attempt.id, question)
        assert response.status_code == 302, response.get_data(as_text=True)

    summary = client.get(f"/checks/attempts/{attempt.id}/check-answers")
    assert summary.status_code == 200
    assert "Check your answers" in summary.get_data(as_text=True)

    submitted = client.post(f"/checks/attempts/{attempt.id}/check-answers")
    assert submitted.headers["Location"].endswith(f"/checks/attempts/{attempt.id}/result")

    result = client.get(f"/checks/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "You passed" in result
    assert f"You scored {len(scored)} out of {len(scored)} marks (100.0%)" in result
    for question in scored:
        assert str(render_markdown(question.spec["feedback"])) in result
        for finding in question.findings:
            assert str(render_markdown(finding.text)) in result
    assert "A reflection only I can read." in result
    assert "0121 569 4800" in result

    attempt = only_attempt()
    assert attempt.submitted_at is not None
    assert attempt.score == attempt.max_score == len(scored)
    assert attempt.percent == 100
    assert attempt.passed is True
    assert attempt.cbm_percent == 300  # every answer right at "Very sure"
    completion = db.session.scalars(sa.select(Completion)).one()
    assert completion.attempt_id == attempt.id
    assert completion.expires_at == attempt.submitted_at + relativedelta(months=36)


def test_answers_are_kept_after_signing_out(client, auth):
    check = check_for(import_bank_text(small_bank()))
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")
    start(client, check)
    attempt = only_attempt()
    first, second = attempt.bank_version.questions[:2]
    answer(client, attempt.id, first, certainty="2")
    answer(client, attempt.id, second, right=False, certainty="1")
    auth.sign_out()

    auth.sign_in("hv@example.org")
    assert "Continue your check" in client.get(f"/checks/{check.id}").get_data(as_text=True)
    resume = start(client, check)
    third = attempt.bank_version.questions[2]
    # The third question opens the second stage, so its narrative comes first.
    assert resume.endswith(f"/stages/{third.stage.key}")
    page = client.get(f"/checks/attempts/{attempt.id}/questions/{first.key}")
    text = page.get_data(as_text=True)
    right = arrangement_of(attempt.id, first).value(0)
    assert re.search(rf'value="{right}"\s+checked', text)
    assert re.search(r'value="2"\s+checked', text)  # "Fairly sure"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 2


def _summary_cards(page: str) -> dict[str, dict[str, str]]:
    """Check your answers as {card title: {row key: row value}}, tags stripped from values."""
    cards = {}
    for card in re.findall(r'<div class="govuk-summary-card">(.*?)</dl>', page, re.S):
        title = re.search(
            r'<h[23] class="govuk-summary-card__title">\s*(.*?)\s*</h[23]>', card, re.S
        )
        assert title, card
        rows = re.findall(
            r'<dt class="govuk-summary-list__key">\s*(.*?)\s*</dt>\s*'
            r'<dd class="govuk-summary-list__value">\s*(.*?)\s*</dd>',
            card,
            re.S,
        )
        cards[title.group(1)] = {
            key: " ".join(html.unescape(re.sub(r"<[^>]+>", " ", value)).split())
            for key, value in rows
        }
    return cards


def test_check_your_answers_shows_each_question_with_its_answer(client, auth):
    """Each question is a summary card: its title is the question's number, and its rows
    the question, the answer and how sure. The number was once escaped markup
    ("&lt;span class=...") in a 190 pixel column beside the whole prompt."""
    check = check_for(import_bank_text(small_bank()))
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")
    start(client, check)
    attempt = only_attempt()
    first, second = attempt.bank_version.questions[:2]
    answer(client, attempt.id, first, certainty="2")
    page = client.get(f"/checks/attempts/{attempt.id}/check-answers").get_data(as_text=True)

    assert "&lt;" not in page
    cards = _summary_cards(page)
    assert list(cards) == [*(f"Question {n}" for n in range(1, 5)), "Reflection 1"]
    assert cards["Question 1"] == {
        "Question": "Who should you tell?",
        "Your answer": "Children's social care",
        "How sure you were": "Fairly sure",
    }
    assert cards["Question 2"] == {
        "Question": "Which may mean a risk?",
        "Your answer": "Not answered",
    }
    assert cards["Reflection 1"]["Question"] == "How do you share information?"
    change = f"/checks/attempts/{attempt.id}/questions/{first.key}?return=check-answers"
    assert re.search(
        rf'href="{re.escape(change)}">Change<span class="govuk-visually-hidden">'
        r" your answer \(Question 1\)</span>",
        page,
    )
    assert f'/questions/{second.key}?return=check-answers">Answer<span' in page


def test_an_answer_is_required_and_nothing_is_saved_without_one(client, auth):
    check = check_for(import_bank_text(small_bank()))
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")
    start(client, check)
    attempt = only_attempt()
    question = attempt.bank_version.questions[0]
    response = client.post(f"/checks/attempts/{attempt.id}/questions/{question.key}", data={})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in text
    assert 'href="#answer"' in text
    assert 'href="#certainty"' in text
    assert "Select how sure you are of your answer" in text
    assert "<title>Error: " in text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_submitting_with_unanswered_questions_lists_them(client, auth):
    check = check_for(import_bank_text(small_bank()))
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")
    start(client, check)
    attempt = only_attempt()
    answer(client, attempt.id, attempt.bank_version.questions[0])
    response = client.post(f"/checks/attempts/{attempt.id}/check-answers")
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Answer question 2" in text
    assert "Answer question 3" in text
    assert "Answer question 4" in text
    assert "Answer question 5" not in text  # the reflection may be left blank
    assert only_attempt().submitted_at is None


def _answer_all(client, attempt, *, right=True):
    for question in attempt.bank_version.questions:
        assert answer(client, attempt.id, question, right=right).status_code == 302


def test_submitting_twice_gives_one_submitted_attempt_and_one_completion(client, auth):
    check = check_for(import_bank_text(small_bank()))
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")
    start(client, check)
    attempt = only_attempt()
    _answer_all(client, attempt)
    first = client.post(f"/checks/attempts/{attempt.id}/check-answers")
    again = client.post(f"/checks/attempts/{attempt.id}/check-answers")
    late_answer = answer(client, attempt.id, attempt.bank_version.questions[0], right=False)
    for response in (first, again, late_answer):
        assert response.headers["Location"].endswith(f"/checks/attempts/{attempt.id}/result")
    db.session.expire_all()
    submitted = db.session.scalars(sa.select(Attempt)).all()
    assert [a.submitted_at is not None for a in submitted] == [True]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Completion)) == 1
    assert only_attempt().percent == 100


def test_wrong_answers_fail_and_record_no_completion(client, auth):
    check = check_for(import_bank_text(small_bank()))
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")
    start(client, check)
    attempt = only_attempt()
    _answer_all(client, attempt, right=False)
    client.post(f"/checks/attempts/{attempt.id}/check-answers")
    result = client.get(f"/checks/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "You have not passed yet" in result
    assert "Incorrect" in result
    attempt = only_attempt()
    assert attempt.passed is False
    assert attempt.score == 0
    # Wrong at "Very sure" costs 6 marks a point: -6 x (1 + 2 + 1 + 1) of 5 points.
    assert attempt.cbm_percent == -600
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Completion)) == 0


def test_another_persons_attempt_is_not_found(client, auth):
    check = check_for(import_bank_text(small_bank()))
    create_user(email="one@example.org")
    create_user(email="two@example.org")
    auth.sign_in("one@example.org")
    start(client, check)
    attempt = only_attempt()
    _answer_all(client, attempt)
    client.post(f"/checks/attempts/{attempt.id}/check-answers")
    auth.sign_out()
    auth.sign_in("two@example.org")
    question = attempt.bank_version.questions[0]
    for url in (
        f"/checks/attempts/{attempt.id}/result",
        f"/checks/attempts/{attempt.id}/check-answers",
        f"/checks/attempts/{attempt.id}/questions/{question.key}",
        f"/checks/attempts/{attempt.id}/stages/{question.stage.key}",
    ):
        assert client.get(url).status_code == 404, url


def test_an_edited_bank_makes_a_new_version_and_old_attempts_keep_theirs(client, auth):
    v1 = import_bank_text(small_bank())
    check = check_for(v1)
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")
    start(client, check)
    attempt = only_attempt()
    _answer_all(client, attempt)
    client.post(f"/checks/attempts/{attempt.id}/check-answers")

    unchanged = import_bank_text(small_bank())
    assert unchanged.status == "unchanged"
    assert unchanged.version.id == v1.version.id

    v2 = import_bank_text(small_bank(**{"Who should you tell?": "Who must you tell first?"}))
    assert v2.status == "new version"
    assert v2.version.number == 2

    old_result = client.get(f"/checks/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "Who should you tell?" in old_result
    assert "Who must you tell first?" not in old_result
    assert "You scored 5 out of 5 marks" in old_result

    start(client, check)
    db.session.expire_all()
    new_attempt = db.session.scalars(sa.select(Attempt).where(Attempt.number == 2)).one()
    assert new_attempt.bank_version_id == v2.version.id
    first = new_attempt.bank_version.questions[0]
    page = client.get(f"/checks/attempts/{new_attempt.id}/questions/{first.key}")
    assert "Who must you tell first?" in page.get_data(as_text=True)


def test_an_attempt_in_progress_finishes_on_the_version_it_started_on(client, auth):
    check = check_for(import_bank_text(small_bank()))
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")
    start(client, check)
    attempt = only_attempt()
    started_on = attempt.bank_version_id
    import_bank_text(small_bank(**{"Who should you tell?": "Who must you tell first?"}))
    start(client, check)  # continues the same attempt
    attempt = only_attempt()
    assert attempt.bank_version_id == started_on
    first = attempt.bank_version.questions[0]
    page = client.get(f"/checks/attempts/{attempt.id}/questions/{first.key}")
    assert "Who should you tell?" in page.get_data(as_text=True)


def test_attempts_allowed_is_enforced(client, auth):
    check = check_for(
        import_bank_text(
            small_bank(**{"  refresh_months: 12": "  refresh_months: 12\n  attempts: 1"})
        )
    )
    assert check.attempts_allowed == 1
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")
    start(client, check)
    attempt = only_attempt()
    _answer_all(client, attempt, right=False)
    client.post(f"/checks/attempts/{attempt.id}/check-answers")
    client.post(f"/checks/{check.id}/start")
    page = client.get(f"/checks/{check.id}").get_data(as_text=True)
    assert "You have used all 1 attempts allowed" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1


def _statements_for(client, method, url, **kwargs):
    counted = []
    engine = db.engine

    def count(*_args):
        counted.append(1)

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = getattr(client, method)(url, **kwargs)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert response.status_code in (200, 302)
    return len(counted)


def test_answer_pages_issue_the_same_statements_whatever_the_data_size(client, auth):
    check = check_for(import_bank_text(small_bank()))
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")
    start(client, check)
    attempt = only_attempt()
    question = attempt.bank_version.questions[0]
    url = f"/checks/attempts/{attempt.id}/questions/{question.key}"
    data = {
        **answer_form(question.spec, arrangement=arrangement_of(attempt.id, question)),
        "certainty": "2",
    }
    client.get(url)
    small = (_statements_for(client, "get", url), _statements_for(client, "post", url, data=data))

    for _ in range(25):  # many more people with submitted attempts
        other = create_user()
        other_attempt = operations.start_attempt(other, check, now=utcnow())
        for q in other_attempt.bank_version.questions:
            operations.save_answer(other_attempt, q, answer_for(q), 2, now=utcnow())
        operations.submit_attempt(other_attempt, now=utcnow())
    db.session.commit()
    large = (_statements_for(client, "get", url), _statements_for(client, "post", url, data=data))
    assert small == large
    assert large[1] <= 3  # the person with their roles, the attempt with its version, the save


def test_saving_again_refreshes_the_answer_already_loaded(app):
    check = check_for(import_bank_text(small_bank()))
    attempt = operations.start_attempt(create_user(), check, now=utcnow())
    question = next(q for q in attempt.bank_version.questions if q.type == "true_false")
    operations.save_answer(attempt, question, True, 3, now=utcnow())
    loaded = operations.response_for(attempt, question)
    assert loaded is not None and loaded.answer is True
    operations.save_answer(attempt, question, False, 1, now=utcnow())
    assert (loaded.answer, loaded.certainty) == (False, 1)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1
