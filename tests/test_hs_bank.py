"""The shipped HS bank meets the content rules set for it."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from quizapp.banks import load_bank_file
from quizapp.questions import get_type

from .factories import HS_BANK

REFLECTIONS = [
    "How do you ensure that your information is shared correctly and appropriately?",
    "How do you challenge decisions made in meetings when you disagree?",
    "Are you confident that all appropriate agencies attend meetings? If not how do you deal"
    " with this?",
    "Would you be able to recognise disguised compliance? What would you do to tackle this?",
]


@pytest.fixture(scope="module")
def bank():
    result = load_bank_file(HS_BANK)
    assert not result.errors, "\n".join(map(str, result.errors))
    return result.bank.to_data()


def scored(bank):
    return [q for q in bank["questions"] if get_type(q["type"]).scored]


def test_all_eight_findings_two_of_them_good_practice(bank):
    kinds = Counter(f["kind"] for f in bank["findings"])
    assert kinds == {"concern": 6, "good-practice": 2}


def test_every_finding_is_phrased_as_practice_and_imported_so(app):
    """Both HS banks ask the same confidence questions, each a "to <verb> ..." phrase;
    the importer stores them on the findings."""
    import sqlalchemy as sa

    from quizapp.extensions import db
    from quizapp.models import Finding

    from .factories import import_hs_bank

    conference_bank = HS_BANK.with_name("hs-baby-2016-conference.yaml")
    phrases = {}
    for path in (HS_BANK, conference_bank):
        findings = load_bank_file(path).bank.to_data()["findings"]
        phrases[path] = {f["id"]: f["confidence"] for f in findings}
        assert all(p.startswith("to ") for p in phrases[path].values()), path
    assert phrases[HS_BANK] == phrases[conference_bank]
    conference = phrases[HS_BANK]["conference-differences-unresolved"]
    assert conference == "to challenge a decision made at a child protection conference"
    version = import_hs_bank().version
    stored = db.session.execute(
        sa.select(Finding.key, Finding.confidence).where(Finding.version_id == version.id)
    ).all()
    assert dict(stored) == phrases[HS_BANK]


def test_at_least_18_scored_questions_of_at_least_four_types(bank):
    questions = scored(bank)
    assert len(questions) >= 18
    assert {"single", "multiple", "true_false", "ordering"} <= {q["type"] for q in questions}


def test_every_question_tests_a_finding_and_every_concern_is_tested_twice(bank):
    counts = Counter(f for q in scored(bank) for f in q["findings"])
    assert all(q["findings"] for q in scored(bank))
    for finding in bank["findings"]:
        if finding["kind"] == "concern":
            assert counts[finding["id"]] >= 2, finding["id"]


def test_the_story_runs_in_time_order(bank):
    titles = [s["title"].lower() for s in bank["stages"]]
    assert "before birth" in titles[0]
    narrative = " ".join(s["narrative"] for s in bank["stages"]).lower()
    order = ["child protection plan", "swollen", "skeletal survey"]
    positions = [narrative.index(phrase) for phrase in order]
    assert positions == sorted(positions)
    assert "bruise" in narrative and "wrist" in narrative


def test_four_reflections_are_the_briefings_own_questions(bank):
    reflections = [q["prompt"].strip() for q in bank["questions"] if q["type"] == "reflection"]
    assert reflections == REFLECTIONS


def test_signposting_and_check_settings(bank):
    assert "0121 569 4800" in bank["signposting"]
    assert bank["check"] == {"pass_mark": 80, "certainty": True, "refresh_months": 36}


def test_questions_describe_behaviour_rather_than_ask_for_the_label(bank):
    for question in scored(bank):
        assert "disguised compliance" not in question["prompt"].lower(), question["id"]


# --- item-writing properties (issue 14: the check could be passed without reading) ---


def choice(bank, kind):
    return [q for q in bank["questions"] if q["type"] == kind]


def key_index(question):
    return next(i for i, o in enumerate(question["options"]) if o["correct"])


def test_the_bank_has_no_item_writing_warnings():
    result = load_bank_file(HS_BANK)
    assert result.warnings == [], "\n".join(map(str, result.warnings))


def test_single_choice_keys_are_spread_over_positions(bank):
    questions = choice(bank, "single")
    positions = Counter(key_index(q) for q in questions)
    options = {len(q["options"]) for q in questions}
    assert options == {4}
    # Every position is used, and none holds more than a third of the keys.
    assert set(positions) == {0, 1, 2, 3}, positions
    assert max(positions.values()) * 3 <= len(questions), positions


def test_the_single_choice_key_is_rarely_the_longest_or_the_shortest(bank):
    questions = choice(bank, "single")
    longest = shortest = 0
    for question in questions:
        key = len(question["options"][key_index(question)]["text"])
        others = [len(o["text"]) for o in question["options"] if not o["correct"]]
        longest += key > max(others)
        shortest += key < min(others)
    assert longest * 4 <= len(questions), longest
    assert shortest * 2 < len(questions), shortest


def test_multiple_choice_right_options_are_interleaved_and_not_the_longest(bank):
    for question in choice(bank, "multiple"):
        options = question["options"]
        right = [i for i, o in enumerate(options) if o["correct"]]
        wrong = [i for i, o in enumerate(options) if not o["correct"]]
        assert wrong and right != list(range(len(right))), question["id"]
        assert min(wrong) < max(right), question["id"]  # a wrong one sits among the right
        by_length = sorted(range(len(options)), key=lambda i: len(options[i]["text"]))
        assert set(by_length[-len(right) :]) != set(right), question["id"]
        assert set(by_length[: len(right)]) != set(right), question["id"]


def test_true_false_keys_are_balanced(bank):
    answers = Counter(q["answer"] for q in choice(bank, "true_false"))
    total = sum(answers.values())
    assert total >= 4
    assert max(answers.values()) * 10 <= total * 6, answers


def test_at_least_six_pools_of_two_or_three_variants_that_differ(bank):
    pools = {}
    for question in bank["questions"]:
        if "pool" in question:
            pools.setdefault(question["pool"], []).append(question)
    assert len(pools) >= 6
    ids = [q["id"] for q in bank["questions"]]
    for pool, members in pools.items():
        assert 2 <= len(members) <= 3, pool
        prompts = {" ".join(q["prompt"].split()) for q in members}
        assert len(prompts) == len(members), pool
        assert all(q["feedback"].strip() for q in members), pool
        # Variants follow the original in the file.
        places = [ids.index(q["id"]) for q in members]
        assert places == list(range(places[0], places[0] + len(members))), pool


def _guess(question, strategy, order):
    kind = question["type"]
    if kind == "true_false":
        return strategy != "last"
    if kind == "ordering":
        return list(reversed(order)) if order == sorted(order) else order
    options = question["options"]
    if kind == "single":
        if strategy == "longest":
            return max(order, key=lambda i: len(options[i]["text"]))
        return order[-1] if strategy == "last" else order[0]
    if strategy == "every":
        return order
    if strategy == "longest":
        return sorted(order, key=lambda i: -len(options[i]["text"]))[:3]
    return {"first": order[:1], "last": order[-1:], "first3": order[:3]}[strategy]


def _guessed_score(bank, strategy, rng):
    slots, pools = [], {}
    for question in scored(bank):
        pool = question.get("pool")
        if pool in pools:
            pools[pool].append(question)
            continue
        slots.append([question])
        if pool:
            pools[pool] = slots[-1]
    marks = total = 0.0
    for slot in slots:
        question = rng.choice(slot)
        count = len(question.get("options", question.get("items", [])))
        order = list(range(count))
        rng.shuffle(order)
        answer = _guess(question, strategy, order)
        if question["type"] == "true_false":
            fraction = float(answer == question["answer"])
        else:
            fraction = get_type(question["type"]).score(question, answer)
        marks += fraction * question["points"]
        total += question["points"]
    return 100 * marks / total


@pytest.mark.parametrize("strategy", ["first", "last", "longest", "every", "first3"])
def test_guessing_without_reading_scores_well_under_half_and_never_passes(bank, strategy):
    rng = random.Random(14)
    scores = [_guessed_score(bank, strategy, rng) for _ in range(500)]
    assert sum(scores) / len(scores) < 40, strategy
    assert max(scores) < bank["check"]["pass_mark"], strategy
