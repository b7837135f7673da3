"""What a practitioner sees around an attempt: the result's summary (what was wrong, how
sure they were, in words), "Try again", how far an attempt in progress has got, and how
long the check takes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.models import Attempt, utcnow

from .factories import check_for, create_user, import_bank_text, small_bank
from .test_take import answer, only_attempt, start

#: The small bank's scored questions, in order, with their points: q-single (1),
#: q-multiple (2), q-true-false (1), q-ordering (1); then the reflection q-reflect.
#: How each is answered below: (right?, certainty).
MIXED = {
    "q-single": (False, "3"),
    "q-multiple": (True, "2"),
    "q-true-false": (True, "3"),
    "q-ordering": (False, "1"),
    "q-reflect": (True, None),
}


def _submit(client, check, plan: dict[str, tuple[bool, str | None]]) -> Attempt:
    start(client, check)
    attempt = only_attempt() if _count(Attempt) == 1 else _latest()
    for question in attempt.bank_version.questions:
        right, certainty = plan[question.key]
        response = answer(client, attempt.id, question, right=right, certainty=certainty or "1")
        assert response.status_code == 302
    assert client.post(f"/checks/attempts/{attempt.id}/check-answers").status_code == 302
    return attempt


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _latest() -> Attempt:
    db.session.expire_all()
    return db.session.scalars(sa.select(Attempt).order_by(Attempt.id.desc()).limit(1)).one()


def _text(html: str) -> str:
    """Visible words, one space between them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def _try_again_forms(html: str, check_id: int) -> list[str]:
    """The button of each form on the page that starts (or continues) an attempt."""
    forms = re.findall(
        rf'<form method="post" action="/checks/{check_id}/start"[^>]*>(.*?)</form>', html, re.S
    )
    return [_text(form) for form in forms]


@pytest.fixture
def check():
    return check_for(import_bank_text(small_bank()))


@pytest.fixture
def practitioner(auth):
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")


def test_the_result_starts_with_a_summary_linking_to_each_wrong_question(
    client, check, practitioner
):
    attempt = _submit(client, check, MIXED)
    html = client.get(f"/checks/attempts/{attempt.id}/result").get_data(as_text=True)
    summary, feedback = html.split("Feedback on each question</h2>")
    words = _text(summary)

    assert "You have not passed yet" in words
    assert "You scored 3 out of 5 marks (60.0%). The pass mark is 80%." in words
    # What was wrong: the two questions not right, under their parts, linked to their
    # feedback further down, where each link's target is.
    assert "Questions to look at again" in words
    assert "You got 2 of 4 questions wrong or only partly right." in words
    assert "First part: question 1" in words
    assert "Second part: question 4" in words
    links = re.findall(r'href="#(question-\d+)"', summary)
    assert links == ["question-1", "question-4"]
    for target in links:
        assert f'id="{target}"' in feedback
    # Each question's feedback is in a details component, closed, below its heading.
    assert len(re.findall(r"<details[^>]*>", feedback)) == 4
    assert " open" not in "".join(re.findall(r"<details[^>]*>", feedback))
    for number in (1, 2, 3, 4):
        assert f"Feedback on question {number}" in feedback

    # Certainty in words first, then the mark, then the table. Sure and right: q-multiple
    # (fairly) and q-true-false (very). Marks: -6 (single, very, wrong) + 2 x 2 (multiple,
    # fairly) + 3 (true/false, very) + 0 (ordering, not sure, wrong) = 1 of 5 = 20%.
    in_words = words.index("You were sure (“Fairly sure” or “Very sure”) and right on 2 of 4")
    assert "“Very sure”: 2 answers, 1 right and 1 wrong" in words
    assert "“Fairly sure”: 1 answer, 1 right" in words
    assert "“Not sure”: 1 answer, 1 wrong" in words
    assert "1 answer marked “Very sure” was wrong." in words
    mark = words.index("Your certainty-based mark is 20%. It does not change whether you pass.")
    table = words.index("Accuracy at each level of certainty")
    assert in_words < mark < table

    # After a fail with attempts left, no right answers anywhere (check.after_fail is
    # "feedback"): the feedback explains, and says why the answers are held back.
    assert "Right answer" not in html
    assert "Children&#39;s social care" not in html
    assert 'id="answers-held-back"' in feedback

    # Try again, at the top (in the summary) and at the bottom.
    top, bottom = _try_again_forms(html, check.id)
    assert top == bottom == "Try again"
    forms = re.findall(
        rf'<form method="post" action="/checks/{check.id}/start".*?</form>', html, re.S
    )
    assert not any("govuk-button--secondary" in form for form in forms)  # the next step
    assert "Try again" in _text(summary)
    assert html.index("Where to get advice") < html.rindex("Try again")


def test_every_answer_right_says_so_and_lists_nothing_to_look_at_again(client, check, practitioner):
    everything_right = {key: (True, "3") for key in MIXED}
    attempt = _submit(client, check, everything_right)
    html = client.get(f"/checks/attempts/{attempt.id}/result").get_data(as_text=True)
    summary = _text(html.split("Feedback on each question</h2>")[0])
    assert "You passed" in summary
    assert "Every answer was right" in summary
    assert "You answered all 4 questions correctly." in summary
    assert "Questions to look at again" not in summary
    assert not re.search(r'href="#question-\d+"', html)
    assert "You were sure (“Fairly sure” or “Very sure”) and right on 4 of 4" in summary
    assert "“Very sure”: 4 answers, 4 right" in summary
    # Passing needs no second try, but one is allowed: a secondary button.
    assert _try_again_forms(html, check.id) == ["Try again", "Try again"]
    forms = re.findall(
        rf'<form method="post" action="/checks/{check.id}/start".*?</form>', html, re.S
    )
    assert all("govuk-button--secondary" in form for form in forms)


def test_try_again_starts_a_new_attempt_and_then_continues_it(client, check, practitioner):
    attempt = _submit(client, check, MIXED)
    result_url = f"/checks/attempts/{attempt.id}/result"
    response = client.post(f"/checks/{check.id}/start")
    assert response.status_code == 302
    second = _latest()
    assert (second.number, second.submitted_at) == (2, None)
    html = client.get(result_url).get_data(as_text=True)
    assert _try_again_forms(html, check.id) == ["Continue your next attempt"] * 2


def test_no_try_again_when_every_attempt_allowed_is_used(client, practitioner):
    one_attempt = small_bank(**{"  refresh_months: 12": "  refresh_months: 12\n  attempts: 1"})
    check = check_for(import_bank_text(one_attempt))
    attempt = _submit(client, check, MIXED)
    html = client.get(f"/checks/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "You have not passed yet" in html
    assert _try_again_forms(html, check.id) == []
    assert "Try again" not in html


def test_no_try_again_once_the_check_is_retired(client, check, practitioner):
    from quizapp.workforce.operations import retire_check

    attempt = _submit(client, check, MIXED)
    result_url = f"/checks/attempts/{attempt.id}/result"
    assert _try_again_forms(client.get(result_url).get_data(as_text=True), check.id)
    retire_check(db.session.merge(check), now=utcnow())
    db.session.commit()
    html = client.get(result_url).get_data(as_text=True)
    assert _try_again_forms(html, check.id) == []
    assert "Try again" not in html


def test_the_result_without_certainty_has_no_certainty_summary(client, practitioner):
    no_certainty = small_bank(**{"  certainty: true": "  certainty: false"})
    check = check_for(import_bank_text(no_certainty))
    attempt = _submit(client, check, MIXED)
    html = client.get(f"/checks/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "Questions to look at again" in html
    assert "How well you judged your certainty" not in html
    assert "You were sure" not in html
    assert "certainty-based mark" not in html


def test_resuming_says_how_many_questions_are_answered(client, check, practitioner):
    overview = client.get(f"/checks/{check.id}").get_data(as_text=True)
    assert "You have answered" not in overview
    start(client, check)
    attempt = only_attempt()
    questions = attempt.bank_version.questions
    for question in questions[:2]:
        assert answer(client, attempt.id, question).status_code == 302

    overview = _text(client.get(f"/checks/{check.id}").get_data(as_text=True))
    assert "You have answered 2 of 4 questions." in overview
    assert "Continue your check" in overview
    listing = _text(client.get("/checks/").get_data(as_text=True))
    assert "In progress: 2 of 4 questions answered" in listing

    # Changing an answer is not another answer.
    assert answer(client, attempt.id, questions[0], right=False).status_code == 302
    listing = _text(client.get("/checks/").get_data(as_text=True))
    assert "In progress: 2 of 4 questions answered" in listing


def test_the_overview_counts_questions_and_reflections_as_the_pages_do(client, check, practitioner):
    overview = _text(client.get(f"/checks/{check.id}").get_data(as_text=True))
    assert (
        "4 questions and 1 reflection in 2 parts, one on each page; reflections are for you"
        " alone and have no marks"
    ) in overview


def _finished_attempts(check, minutes: list[float]) -> None:
    """Submitted attempts by as many people, each taking the given minutes."""
    version = check.bank.versions[0]
    now = utcnow()
    for index, taken in enumerate(minutes):
        person = create_user(email=f"person{index}@timing.example.org")
        started = now - timedelta(days=index + 1)
        db.session.add(
            Attempt(
                user=person,
                check=check,
                bank_version=version,
                number=1,
                seed=1,
                pass_mark=80,
                certainty=True,
                started_at=started,
                submitted_at=started + timedelta(minutes=taken),
                score=5,
                max_score=5,
                percent=100,
                passed=True,
            )
        )
    db.session.commit()


def test_the_overview_states_an_estimate_until_enough_attempts_are_finished(
    client, check, practitioner
):
    _finished_attempts(check, [40] * 9)
    overview = _text(client.get(f"/checks/{check.id}").get_data(as_text=True))
    # 9 finished attempts are too few: 1 minute for each of the 5 questions.
    assert "it should take about 5 minutes" in overview
    assert "going by the people who have finished it" not in overview


def test_the_overview_gives_the_median_time_of_finished_attempts(client, check, practitioner):
    # The median of these 11 is 17 minutes, rounded to 15; someone who came back three
    # days later does not move it.
    _finished_attempts(check, [8, 9, 12, 14, 16, 17, 18, 21, 25, 40, 3 * 24 * 60])
    overview = _text(client.get(f"/checks/{check.id}").get_data(as_text=True))
    assert "it usually takes about 15 minutes, going by the people who have finished it" in (
        overview
    )
