"""A pass must mean knowledge: pools, shuffled and opaque options, what a failed result
shows, and attempts made before all this still showing and scoring as they did."""

from __future__ import annotations

import random
import re

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from quizapp.banks import content_hash, load_bank_text
from quizapp.banks.export import dump_bank
from quizapp.extensions import db
from quizapp.models import FIRST_LAYOUT, LATEST_LAYOUT, Attempt, Question, utcnow
from quizapp.questions import get_type
from quizapp.take import operations

from .factories import (
    answer_form,
    check_for,
    create_user,
    import_bank_text,
    small_bank,
)
from .question_page import answer_from_page, choices_on

#: The small bank with two pools: three ways to ask who to tell (one with a pinned
#: "None of these"), and two true/false statements about consent.
POOLED = small_bank(
    **{
        "  - id: q-single\n    stage: first\n": "  - id: q-single\n    stage: first\n"
        "    pool: who-to-tell\n",
        "  - id: q-multiple\n": """\
  - id: q-single-b
    stage: first
    pool: who-to-tell
    type: single
    findings: [sharing]
    prompt: A neighbour tells you a baby is left alone at night. Who do you call?
    feedback: Children's social care decide whether a child is at risk.
    options:
      - text: Children's social care, the same day
        correct: true
        feedback: Right.
      - text: The baby's GP at their next appointment
        correct: false
        feedback: Too late, and not the GP's decision.
      - text: None of these
        correct: false
        fixed: true
        feedback: Someone must be told.
  - id: q-single-c
    stage: first
    pool: who-to-tell
    type: single
    findings: [sharing]
    prompt: A child tells you a secret about home that worries you. Who do you tell?
    feedback: Your safeguarding lead, and children's social care.
    options:
      - text: Your safeguarding lead, today
        correct: true
        feedback: Right.
      - text: Nobody, as you promised the child
        correct: false
        feedback: You can never promise to keep a secret like this.
  - id: q-multiple
""",
        "  - id: q-true-false\n    stage: second\n": "  - id: q-true-false\n"
        "    stage: second\n    pool: consent\n",
        "  - id: q-ordering\n": """\
  - id: q-true-false-b
    stage: second
    pool: consent
    type: true_false
    findings: [referral]
    prompt: You may share information without consent to protect a child.
    feedback: Yes, when a child is at risk of significant harm.
    answer: true
    feedback_true: Right.
    feedback_false: Consent is not needed when a child is at risk.
  - id: q-ordering
""",
    }
)


@pytest.fixture
def pooled():
    return check_for(import_bank_text(POOLED))


@pytest.fixture
def practitioner(auth):
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")


def _start(client, check) -> Attempt:
    assert client.post(f"/checks/{check.id}/start").status_code == 302
    db.session.expire_all()
    return db.session.scalars(sa.select(Attempt).order_by(Attempt.id.desc())).first()


def _questions(attempt: Attempt) -> list[Question]:
    by_id = {q.id: q for q in attempt.bank_version.questions}
    return [by_id[question_id] for question_id in attempt.question_ids]


def _page(client, attempt: Attempt, question) -> str:
    response = client.get(f"/checks/attempts/{attempt.id}/questions/{question.key}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _answer_all(client, attempt: Attempt, *, right: bool = True) -> None:
    for question in _questions(attempt):
        data = answer_from_page(_page(client, attempt, question), question.spec, right=right)
        if get_type(question.type).scored:
            data["certainty"] = "2"
        url = f"/checks/attempts/{attempt.id}/questions/{question.key}"
        assert client.post(url, data=data).status_code == 302
    submitted = client.post(f"/checks/attempts/{attempt.id}/check-answers")
    assert submitted.status_code == 302, submitted.get_data(as_text=True)


# --- pools -------------------------------------------------------------------------------


def test_an_attempt_draws_one_question_from_each_pool_in_its_place(client, pooled, practitioner):
    attempt = _start(client, pooled)
    keys = [q.key for q in _questions(attempt)]
    assert len(keys) == 5
    assert sum(key.startswith("q-single") for key in keys) == 1
    assert sum(key.startswith("q-true-false") for key in keys) == 1
    # Story order, each pool where its first variant is written.
    assert keys[0].startswith("q-single") and keys[1] == "q-multiple"
    assert keys[2].startswith("q-true-false") and keys[3:] == ["q-ordering", "q-reflect"]
    # A variant not drawn is not part of the attempt.
    undrawn = next(
        q
        for q in attempt.bank_version.questions
        if q.spec.get("pool") and q.id not in attempt.question_ids
    )
    url = f"/checks/attempts/{attempt.id}/questions/{undrawn.key}"
    assert client.get(url).status_code == 404
    overview = client.get(f"/checks/{pooled.id}").get_data(as_text=True)
    assert "4 questions and 1 reflection in 2 parts" in overview
    # Submitting needs only the drawn questions, and marks out of what was drawn.
    _answer_all(client, attempt)
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.max_score == 5  # 1 + 2 (multiple) + 1 + 1
    assert attempt.percent == 100 and attempt.passed


def test_a_retake_draws_other_variants_and_keeps_its_draw(client, pooled, practitioner):
    first = _start(client, pooled)
    drawn = list(first.question_ids)
    assert _start(client, pooled).question_ids == drawn  # resuming does not draw again
    _answer_all(client, first, right=False)
    second = _start(client, pooled)
    assert second.id != first.id
    pooled_first = {q.spec["pool"]: q.key for q in _questions(first) if q.spec.get("pool")}
    pooled_second = {q.spec["pool"]: q.key for q in _questions(second) if q.spec.get("pool")}
    assert pooled_first.keys() == pooled_second.keys() == {"who-to-tell", "consent"}
    for pool in pooled_first:
        assert pooled_first[pool] != pooled_second[pool]


def test_a_pinned_option_stays_last_and_the_page_is_the_same_on_every_visit(
    client, pooled, practitioner, monkeypatch
):
    seen_orders = set()
    for seed in range(1, 9):
        monkeypatch.setattr(operations, "new_seed", lambda seed=seed: seed)
        attempt = _start(client, pooled)
        question = next(q for q in _questions(attempt) if q.type == "single")
        page = _page(client, attempt, question)
        labels = [choice.label for choice in choices_on(page)]
        assert labels == [choice.label for choice in choices_on(_page(client, attempt, question))]
        if question.key == "q-single-b":
            assert labels[-1] == "None of these"
        multiple = next(q for q in _questions(attempt) if q.type == "multiple")
        seen_orders.add(tuple(c.label for c in choices_on(_page(client, attempt, multiple))))
        _answer_all(client, attempt, right=False)
    assert len(seen_orders) >= 3  # three options: six orders


# --- the same order when resuming and reviewing ------------------------------------------


def test_a_saved_answer_and_the_review_keep_the_order_shown(client, pooled, practitioner):
    pooled.after_fail = "answers"  # to see every option's feedback after a fail
    db.session.commit()
    attempt = _start(client, pooled)
    multiple = next(q for q in _questions(attempt) if q.type == "multiple")
    page = _page(client, attempt, multiple)
    shown = [choice.label for choice in choices_on(page)]
    data = {**answer_from_page(page, multiple.spec, right=False), "certainty": "1"}
    url = f"/checks/attempts/{attempt.id}/questions/{multiple.key}"
    assert client.post(url, data=data).status_code == 302
    again = _page(client, attempt, multiple)
    assert [choice.label for choice in choices_on(again)] == shown
    checked = [c.label for c in choices_on(again) if "checked" in c.attrs]
    assert checked == [label for label in shown if label == "A tidy house"]

    _answer_all(client, attempt, right=False)
    result = client.get(f"/checks/attempts/{attempt.id}/result").get_data(as_text=True)
    section = result.split('id="question-2"')[1].split("app-question-result")[0]
    mentioned = re.findall(r"chose “(.*?)”|choose “(.*?)”", section)
    order = [chosen or missed for chosen, missed in mentioned]
    assert order == [label for label in shown if label in order]
    assert len(order) == 3


# --- what a failed result shows -----------------------------------------------------------


def _result(client, attempt: Attempt) -> str:
    return client.get(f"/checks/attempts/{attempt.id}/result").get_data(as_text=True)


def test_a_fail_with_attempts_left_shows_what_was_wrong_not_the_answers(
    client, pooled, practitioner
):
    attempt = _start(client, pooled)
    _answer_all(client, attempt, right=False)
    page = _result(client, attempt)
    assert "You have not passed yet" in page
    assert page.count("Incorrect") >= 4
    assert "Right answer" not in page
    assert "which is right" not in page and "which is not right" not in page
    # The feedback that explains the principle and the finding is there.
    assert "Refer first, then follow up." in page
    assert "Information was not shared." in page
    assert 'id="answers-held-back"' in page


@pytest.mark.parametrize("setting", ["answers-setting", "last-attempt", "passed"])
def test_the_full_review_after_a_pass_when_no_attempts_remain_or_when_chosen(
    client, pooled, practitioner, setting
):
    if setting == "answers-setting":
        pooled.after_fail = "answers"
    if setting == "last-attempt":
        pooled.attempts_allowed = 1
    db.session.commit()
    attempt = _start(client, pooled)
    _answer_all(client, attempt, right=setting == "passed")
    page = _result(client, attempt)
    assert 'id="answers-held-back"' not in page
    if setting == "passed":
        assert "You passed" in page and "which is right" in page
    else:
        assert page.count("Right answer") >= 4
        assert "which is not right" in page


# --- export and import keep pools, shuffle and fixed --------------------------------------


def test_export_and_import_keep_pools_shuffle_and_fixed_exactly(app):
    text = POOLED.replace(
        "    prompt: Which may mean a risk?\n",
        "    prompt: Which may mean a risk?\n    shuffle: false\n",
    ).replace("  refresh_months: 12\n", "  refresh_months: 12\n  after_fail: answers\n")
    loaded = load_bank_text(text, "pooled.yaml")
    assert not loaded.errors, loaded.errors
    outcome = import_bank_text(text)
    exported = dump_bank(outcome.version.content)
    again = load_bank_text(exported, "exported.yaml")
    assert not again.errors, again.errors
    assert content_hash(again.bank) == content_hash(loaded.bank) == outcome.version.content_hash
    data = again.bank.to_data()
    pools = {q["id"]: q.get("pool") for q in data["questions"]}
    assert pools == {
        "q-single": "who-to-tell",
        "q-single-b": "who-to-tell",
        "q-single-c": "who-to-tell",
        "q-multiple": None,
        "q-true-false": "consent",
        "q-true-false-b": "consent",
        "q-ordering": None,
        "q-reflect": None,
    }
    by_id = {q["id"]: q for q in data["questions"]}
    assert by_id["q-multiple"]["shuffle"] is False
    assert "shuffle" not in by_id["q-single"]
    assert [o.get("fixed") for o in by_id["q-single-b"]["options"]] == [None, None, True]
    assert data["check"]["after_fail"] == "answers"
    assert "fixed: true" in exported and "shuffle: false" in exported
    # Imported again, it is the same version (nothing new to publish).
    assert import_bank_text(exported).version.id == outcome.version.id


# --- attempts made before this change -----------------------------------------------------


def test_attempts_made_before_shuffling_show_and_score_as_they_did(client, app, auth):
    """Made at head, then the columns this change added are dropped and added again by the
    migration, as an upgrade would find attempts made on the old presentation."""
    check = check_for(import_bank_text(small_bank()))
    person = create_user(email="old@example.org")
    now = utcnow()
    submitted = operations.start_attempt(person, check, now=now)
    questions = list(submitted.bank_version.questions)
    old_answers = {
        "q-single": 1,  # wrong: "Nobody"
        "q-multiple": [0, 2],  # one right, one wrong: 1/2 - 1/1, floored at 0
        "q-true-false": False,  # right
        "q-ordering": [1, 0, 2],  # no pair of neighbours kept
        "q-reflect": "Kept",
    }
    for question in questions:
        scored = get_type(question.type).scored
        operations.save_answer(
            submitted, question, old_answers[question.key], 2 if scored else None, now=now
        )
    operations.submit_attempt(submitted, now=now)
    db.session.commit()
    before = (submitted.score, submitted.max_score, submitted.percent, submitted.cbm_percent)
    assert before[:3] == (1, 5, 20)
    in_progress = operations.start_attempt(person, check, now=now)
    db.session.commit()
    ids = (submitted.id, in_progress.id)
    seed = in_progress.seed

    downgrade(revision="0010")
    upgrade()
    db.session.expire_all()

    old, current = (db.session.get(Attempt, attempt_id) for attempt_id in ids)
    assert old.layout == current.layout == FIRST_LAYOUT
    assert old.question_ids is None and current.question_ids is None
    assert (old.score, old.max_score, old.percent, old.cbm_percent) == before
    assert operations.score_attempt(old).percent == before[2]

    auth.sign_in("old@example.org")
    result = client.get(f"/checks/attempts/{old.id}/result").get_data(as_text=True)
    assert "You scored 1 out of 5 marks (20.0%)" in result
    # The question pages of the attempt in progress: file order, indexes as values, and
    # ordering items in the order the old code shuffled them to.
    by_key = {q.key: q for q in current.bank_version.questions}
    single = choices_on(_page(client, current, by_key["q-single"]))
    assert [(c.value, c.label) for c in single] == [
        ("0", "Children's social care"),
        ("1", "Nobody"),
    ]
    multiple = choices_on(_page(client, current, by_key["q-multiple"]))
    assert [c.value for c in multiple] == ["0", "1", "2"]
    ordering = choices_on(_page(client, current, by_key["q-ordering"]))
    expected = [0, 1, 2]
    random.Random(seed + by_key["q-ordering"].id).shuffle(expected)
    if expected == [0, 1, 2]:
        expected = [1, 2, 0]
    assert [c.name for c in ordering] == [f"position-{index}" for index in expected]
    # Answered as the old page sent them, and scored the same way.
    for question in current.bank_version.questions:
        data = answer_form(question.spec, right=True)
        if get_type(question.type).scored:
            data["certainty"] = "3"
        url = f"/checks/attempts/{current.id}/questions/{question.key}"
        assert client.post(url, data=data).status_code == 302
    assert client.post(f"/checks/attempts/{current.id}/check-answers").status_code == 302
    db.session.expire_all()
    assert db.session.get(Attempt, current.id).percent == 100
    # New attempts get the new layout.
    assert client.post(f"/checks/{check.id}/start").status_code == 302
    latest = db.session.scalars(sa.select(Attempt).order_by(Attempt.id.desc())).first()
    assert latest.layout == LATEST_LAYOUT and latest.question_ids is not None
