"""Certainty-based marking against Moodle's figures, and attempt summaries by hand."""

from __future__ import annotations

import pytest

from quizapp.scoring import (
    CERTAINTY_LABELS,
    CERTAINTY_LEVELS,
    ItemResult,
    cbm_mark,
    confidence_sentence,
    judge,
    summarise,
)


def test_levels_and_labels() -> None:
    assert CERTAINTY_LEVELS == (1, 2, 3)
    assert CERTAINTY_LABELS == {1: "Not sure", 2: "Fairly sure", 3: "Very sure"}


@pytest.mark.parametrize(
    ("certainty", "right", "wrong"),
    [(1, 1.0, 0.0), (2, 2.0, -2.0), (3, 3.0, -6.0), (None, 1.0, 0.0)],
)
def test_cbm_table(certainty: int | None, right: float, wrong: float) -> None:
    assert cbm_mark(1.0, certainty) == right
    assert cbm_mark(0.0, certainty) == wrong


@pytest.mark.parametrize(("certainty", "mark"), [(1, 0.5), (2, 1.0), (3, 1.5)])
def test_moodle_partial_credit(certainty: int, mark: float) -> None:
    assert cbm_mark(0.5, certainty) == mark


def test_tiny_fraction_counts_as_wrong() -> None:
    # Moodle's tolerance: float noise from partial marking is not "a little right".
    assert cbm_mark(1e-9, 3) == -6.0
    assert cbm_mark(0.001, 3) == pytest.approx(0.003)


@pytest.mark.parametrize(("fraction", "certainty"), [(1.5, 1), (-0.1, 1), (1.0, 4), (1.0, 0)])
def test_cbm_rejects_impossible_input(fraction: float, certainty: int) -> None:
    with pytest.raises(ValueError):
        cbm_mark(fraction, certainty)


def test_item_result_rejects_impossible_input() -> None:
    with pytest.raises(ValueError, match="fraction"):
        ItemResult(fraction=2.0, points=1)
    with pytest.raises(ValueError, match="points"):
        ItemResult(fraction=1.0, points=-1)
    with pytest.raises(ValueError, match="certainty"):
        ItemResult(fraction=1.0, points=1, certainty=5)


def test_all_right_at_certainty_1_is_100_percent() -> None:
    result = summarise([ItemResult(1.0, 1, 1)] * 4, pass_mark=80, certainty_based=True)
    assert result.cbm_score == 4.0
    assert result.cbm_percent == 100.0


def test_all_right_at_certainty_3_is_300_percent() -> None:
    result = summarise([ItemResult(1.0, 2, 3)] * 3, pass_mark=80, certainty_based=True)
    assert result.cbm_score == 18.0
    assert result.cbm_percent == 300.0
    assert result.percent == 100.0


def test_totals_can_be_negative() -> None:
    items = [ItemResult(0.0, 1, 3), ItemResult(1.0, 1, 1)]
    result = summarise(items, pass_mark=50, certainty_based=True)
    assert result.cbm_score == -5.0
    assert result.cbm_percent == -250.0
    assert result.percent == 50.0
    assert result.passed is True  # pass/fail is on accuracy, not on CBM


def test_summary_figures_by_hand() -> None:
    items = [
        ItemResult(fraction=1.0, points=1, certainty=3),  # cbm  3
        ItemResult(fraction=0.5, points=2, certainty=2),  # cbm  2 x 0.5 x 2 = 2
        ItemResult(fraction=0.0, points=1, certainty=3),  # cbm -6
        ItemResult(fraction=1.0, points=1, certainty=None),  # cbm 1 (as "Not sure")
        ItemResult(fraction=0.0, points=2, certainty=2),  # cbm -2 x 2 = -4
    ]
    result = summarise(items, pass_mark=50, certainty_based=True)
    assert result.score == 3.0  # 1 + 1 + 0 + 1 + 0
    assert result.max_score == 7
    assert result.percent == 42.86  # 300 / 7 = 42.857...
    assert result.passed is False
    assert result.cbm_score == -4.0  # 3 + 2 - 6 + 1 - 4
    assert result.cbm_percent == -57.14  # -400 / 7
    assert result.confidently_wrong == 1
    by_level = {report.certainty: report for report in result.confidence}
    # Not sure (given as None): right, so better than "Not sure" suggests.
    assert by_level[1].count == 1
    assert by_level[1].accuracy == 1.0
    assert by_level[1].judgement == "under-confident"
    # Fairly sure: weighted by points, (0.5 x 2 + 0 x 2) / 4 = 0.25, below 2/3.
    assert by_level[2].count == 2
    assert by_level[2].accuracy == 0.25
    assert by_level[2].judgement == "over-confident"
    # Very sure: one right, one wrong -> 50%.
    assert by_level[3].count == 2
    assert by_level[3].accuracy == 0.5
    assert by_level[3].judgement == "over-confident"
    assert by_level[3].label == "Very sure"
    assert by_level[3].window == (0.8, 1.0)


def test_levels_without_answers_are_left_out() -> None:
    result = summarise([ItemResult(1.0, 1, 2)], pass_mark=80, certainty_based=True)
    assert [report.certainty for report in result.confidence] == [2]
    assert result.confidence[0].judgement == "under-confident"


def test_certainty_off() -> None:
    result = summarise([ItemResult(1.0, 1, 3), ItemResult(0.0, 1, 3)], 50, certainty_based=False)
    assert result.cbm_score is None
    assert result.cbm_percent is None
    assert result.confidence == ()
    assert result.confidently_wrong == 0
    assert result.percent == 50.0
    assert result.passed is True
    assert confidence_sentence(result) is None


@pytest.mark.parametrize(
    ("right", "total", "pass_mark", "passed"),
    [(4, 5, 80, True), (3, 4, 80, False), (2, 3, 67, False), (2, 3, 66, True), (0, 1, 0, True)],
)
def test_pass_fail_on_accuracy(right: int, total: int, pass_mark: int, passed: bool) -> None:
    items = [ItemResult(1.0, 1)] * right + [ItemResult(0.0, 1)] * (total - right)
    assert summarise(items, pass_mark, certainty_based=True).passed is passed


def test_empty_attempt() -> None:
    result = summarise([], pass_mark=80, certainty_based=True)
    assert (result.score, result.max_score, result.percent, result.passed) == (0, 0, 0.0, False)
    assert result.cbm_percent == 0.0
    assert result.confidence == ()


@pytest.mark.parametrize(
    ("certainty", "accuracy", "judgement"),
    [
        (3, 0.8, "well judged"),  # Moodle's windows are closed: 80% at "Very sure" is fine
        (3, 0.7999, "over-confident"),
        (3, 1.0, "well judged"),
        (2, 2 / 3, "well judged"),
        (2, 0.6666, "over-confident"),
        (2, 0.8, "well judged"),
        (2, 0.8001, "under-confident"),
        (1, 0.0, "well judged"),  # "Not sure" cannot be over-confident
        (1, 2 / 3, "well judged"),
        (1, 0.6667, "under-confident"),
        (1, 1.0, "under-confident"),
    ],
)
def test_judgement_boundaries(certainty: int, accuracy: float, judgement: str) -> None:
    assert judge(certainty, accuracy) == judgement


def test_judgement_ignores_float_noise() -> None:
    # 4 of 5 right computed the long way round must not flip to over-confident.
    accuracy = sum([0.1] * 8) / 1.0
    assert accuracy != 0.8
    assert judge(3, accuracy) == "well judged"


def test_confidence_sentence() -> None:
    wrong_twice = summarise([ItemResult(0.0, 1, 3)] * 2, 80, certainty_based=True)
    assert confidence_sentence(wrong_twice) == "2 answers marked \u201cVery sure\u201d were wrong."
    over = summarise([ItemResult(1.0, 1, 2), ItemResult(0.0, 1, 2)], 80, certainty_based=True)
    assert confidence_sentence(over) == (
        "Answers marked \u201cFairly sure\u201d were right less often than that certainty suggests."
    )
    fine = summarise([ItemResult(1.0, 1, 3)], 80, certainty_based=True)
    assert confidence_sentence(fine) == "No answer marked \u201cVery sure\u201d was wrong."
