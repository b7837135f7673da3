"""No answering pattern passes the HS check without reading it, and nothing in a question
page's HTML says which option is right (issue 14).

Each strategy takes the check through the app, the way a script or a practitioner
clicking without reading would: it sees only the page (the options as shown, their
labels, their values and the fields' names), answers every question "Very sure", and
submits. Before options were shuffled, "first option" scored 72.7% and "first option,
ordering by the fields' names" 81.8%, a pass.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.models import Attempt
from quizapp.take import operations

from .factories import check_for, create_user, import_hs_bank
from .question_page import Choice, choices_on

SEEDS = range(1, 51)

Strategy = Callable[[str, list[Choice]], dict[str, list[str]]]


def _by_position(pick: Callable[[list[Choice]], list[Choice]]) -> Strategy:
    """Choices picked from the options as shown; ordering positions as shown."""

    def answer(kind: str, choices: list[Choice]) -> dict[str, list[str]]:
        if kind == "select":
            return {c.name: [str(place)] for place, c in enumerate(choices, start=1)}
        picked = pick(choices) if kind == "checkbox" else pick(choices)[:1]
        return {"answer": [c.value for c in picked]}

    return answer


def _field_names(kind: str, choices: list[Choice]) -> dict[str, list[str]]:
    """First option; ordering positions from the fields' names in sorted order."""
    if kind == "select":
        ranked = sorted(choices, key=lambda c: c.name)
        return {c.name: [str(ranked.index(c) + 1)] for c in choices}
    return _by_position(lambda cs: cs[:3])(kind, choices)


def _longest(choices: list[Choice]) -> list[Choice]:
    half = math.ceil(len(choices) / 2)
    return sorted(choices, key=lambda c: len(c.label), reverse=True)[:half]


def _reversed(kind: str, choices: list[Choice]) -> dict[str, list[str]]:
    if kind == "select":
        count = len(choices)
        return {c.name: [str(count - place)] for place, c in enumerate(choices)}
    return _by_position(lambda cs: cs[::-1][:3])(kind, choices)


STRATEGIES: dict[str, Strategy] = {
    # Single choice: the first option; multiple choice: the first three boxes.
    "first option": _by_position(lambda cs: cs[:3]),
    "first option, ordering by field names": _field_names,
    # Single choice: the longest; multiple: the longer half; true/false: "False".
    "longest option": _by_position(_longest),
    "last option": _reversed,
    "tick every box": _by_position(lambda cs: cs),
}


def _take(client, check, strategy: Strategy) -> Attempt:
    assert client.post(f"/checks/{check.id}/start").status_code == 302
    db.session.expire_all()
    attempt = db.session.scalars(sa.select(Attempt).order_by(Attempt.id.desc())).first()
    keys = {q.id: q.key for q in attempt.bank_version.questions}
    for question_id in attempt.question_ids:
        url = f"/checks/attempts/{attempt.id}/questions/{keys[question_id]}"
        page = client.get(url).get_data(as_text=True)
        choices = choices_on(page)
        data: dict[str, list[str]] = {"answer": ["I would ask more questions."]}
        if choices:
            data = strategy(choices[0].kind, choices)
        if "How sure are you?" in page:
            data["certainty"] = ["3"]
        response = client.post(url, data=data)
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert client.post(f"/checks/attempts/{attempt.id}/check-answers").status_code == 302
    db.session.expire_all()
    return db.session.get(Attempt, attempt.id)


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_no_answering_pattern_passes_the_hs_check(client, auth, monkeypatch, name):
    check = check_for(import_hs_bank())
    create_user(email="guesser@example.org")
    auth.sign_in("guesser@example.org")
    scores = []
    for seed in SEEDS:
        monkeypatch.setattr(operations, "new_seed", lambda seed=seed: seed)
        attempt = _take(client, check, STRATEGIES[name])
        assert attempt.seed == seed
        assert not attempt.passed, f"{name} passed with seed {seed}: {attempt.percent}%"
        scores.append(attempt.percent)
    print(f"{name}: mean {statistics.mean(scores):.1f}%, highest {max(scores):.1f}%")
    assert statistics.mean(scores) < 50, (name, statistics.mean(scores))
    # The seed matters: scores vary (a fixed layout would give the same score 50 times).
    assert len(set(scores)) > 5


def test_no_attribute_of_the_page_says_which_option_is_right(client, auth, monkeypatch):
    """For every question of the HS bank, over many attempts: every attribute value an
    option carries in more than one attempt (ids, classes, names...) is carried by right
    and by wrong options alike, and values unique to an attempt (the opaque values) do
    not sort the right option first more often than chance."""
    check = check_for(import_hs_bank())
    create_user(email="reader@example.org")
    auth.sign_in("reader@example.org")
    right_by_value: dict[tuple[str, str, str], set[bool]] = defaultdict(set)
    attempts_by_value: dict[tuple[str, str, str], set[int]] = defaultdict(set)
    first_by_value = first_by_chance = 0.0
    seen_questions: set[str] = set()
    for seed in range(1, 31):
        monkeypatch.setattr(operations, "new_seed", lambda seed=seed: seed)
        assert client.post(f"/checks/{check.id}/start").status_code == 302
        db.session.expire_all()
        attempt = db.session.scalars(sa.select(Attempt).order_by(Attempt.id.desc())).first()
        questions = {q.id: q for q in attempt.bank_version.questions}
        for question_id in attempt.question_ids:
            question = questions[question_id]
            if question.type not in ("single", "multiple", "ordering"):
                continue
            seen_questions.add(question.key)
            url = f"/checks/attempts/{attempt.id}/questions/{question.key}"
            choices = choices_on(client.get(url).get_data(as_text=True))
            assert choices
            for place, choice in enumerate(choices):
                right = _is_right(question.spec, choice, place)
                for attribute, value in {**choice.attrs, "(place)": str(place)}.items():
                    key = (question.key, attribute, value)
                    right_by_value[key].add(right)
                    attempts_by_value[key].add(attempt.id)
            if question.type == "single":
                by_value = sorted(choices, key=lambda c: c.value)
                first_by_value += _is_right(question.spec, by_value[0], 0)
                first_by_chance += 1 / len(choices)
        # Leave the attempt: answer nothing, start the next one as another person would.
        db.session.delete(attempt)
        db.session.commit()
    assert len(seen_questions) >= 15
    telling = [
        key
        for key, outcomes in right_by_value.items()
        if len(attempts_by_value[key]) > 1 and outcomes == {True} and key[1] != "(place)"
    ]
    assert telling == []
    # Place on the page: the right option is not always in one place.
    always_right_place = [
        key
        for key, outcomes in right_by_value.items()
        if key[1] == "(place)" and outcomes == {True} and len(attempts_by_value[key]) > 3
    ]
    assert always_right_place == []
    assert first_by_value < first_by_chance * 1.6 + 3


def _is_right(spec: dict, choice: Choice, place: int) -> bool:
    if spec["type"] == "ordering":
        # "Right" for an item: it is shown where it belongs.
        return spec["items"].index(choice.label) == place
    return next(o["correct"] for o in spec["options"] if o["text"] == choice.label)


def _shown(client, attempt: Attempt) -> dict[str, tuple[str, ...]]:
    """Each question the attempt drew, with its options (or items) in the order shown."""
    keys = {q.id: q.key for q in attempt.bank_version.questions}
    shown = {}
    for question_id in attempt.question_ids:
        url = f"/checks/attempts/{attempt.id}/questions/{keys[question_id]}"
        shown[keys[question_id]] = tuple(
            c.label for c in choices_on(client.get(url).get_data(as_text=True))
        )
    return shown


def test_two_attempts_differ_in_pooled_questions_and_in_every_shuffled_order(
    client, auth, monkeypatch
):
    check = check_for(import_hs_bank())
    pairs = []
    for pair in range(10):
        attempts = []
        for person in range(2):
            email = f"person{pair}-{person}@example.org"
            create_user(email=email)
            auth.sign_in(email)
            seed = 1000 + pair * 2 + person
            monkeypatch.setattr(operations, "new_seed", lambda seed=seed: seed)
            assert client.post(f"/checks/{check.id}/start").status_code == 302
            db.session.expire_all()
            attempt = db.session.scalars(sa.select(Attempt).order_by(Attempt.id.desc())).first()
            first = _shown(client, attempt)
            assert _shown(client, attempt) == first  # the same page on every visit
            attempts.append(first)
            auth.sign_out()
        pairs.append(attempts)
    same_order: dict[str, int] = defaultdict(int)
    compared: dict[str, int] = defaultdict(int)
    for first, second in pairs:
        assert first.keys() != second.keys()  # at least one pooled question differs
        for key in first.keys() & second.keys():
            if len(first[key]) > 2:  # choices and items (true/false is never shuffled)
                compared[key] += 1
                same_order[key] += first[key] == second[key]
    assert len(compared) >= 15
    for key, count in compared.items():
        assert same_order[key] <= count // 3, (key, same_order[key], count)
