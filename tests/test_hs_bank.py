"""The shipped HS bank meets the content rules set for it."""

from __future__ import annotations

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
