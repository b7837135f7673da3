"""The pure parts of a practitioner's result and check overview: how long a check takes,
in words, and the counts behind "you were sure and right on 18 of 22"."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from quizapp.take.results import CertaintyCount, certainty_counts
from quizapp.take.timing import TimeEstimate, duration_text, rounded_minutes


@pytest.mark.parametrize(
    ("minutes", "rounded"),
    [
        (0.2, 1),  # never "about 0 minutes"
        (1.4, 1),
        (2.5, 3),  # halves go up, not to the even number
        (9.4, 9),
        (9.6, 10),
        (12.4, 10),
        (12.5, 15),
        (17, 15),
        (57.4, 55),
        (57.5, 60),
        (67, 60),
        (67.5, 75),
        (100, 105),
        (152, 150),
    ],
)
def test_minutes_are_rounded_as_people_say_them(minutes: float, rounded: int) -> None:
    assert rounded_minutes(minutes) == rounded


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (1, "1 minute"),
        (15, "15 minutes"),
        (60, "1 hour"),
        (75, "1 hour 15 minutes"),
        (120, "2 hours"),
        (150, "2 hours 30 minutes"),
    ],
)
def test_durations_in_words(minutes: int, text: str) -> None:
    assert duration_text(minutes) == text
    assert TimeEstimate(minutes, 12).text == f"about {text}"


def _item(outcome: str, certainty: int | None) -> SimpleNamespace:
    response = SimpleNamespace(certainty=certainty)
    return SimpleNamespace(outcome=outcome, response=response)


def test_certainty_counts_go_from_most_sure_and_leave_out_unused_levels() -> None:
    items = [
        _item("correct", 3),
        _item("incorrect", 3),
        _item("partly correct", 3),
        _item("correct", 3),
        _item("incorrect", None),  # no certainty given counts as "Not sure"
        _item("correct", 1),
    ]
    counts = certainty_counts(items)  # type: ignore[arg-type]
    assert counts == [
        CertaintyCount(label="Very sure", answers=4, right=2, partly=1, wrong=1),
        CertaintyCount(label="Not sure", answers=2, right=1, partly=0, wrong=1),
    ]
    assert [count.outcomes for count in counts] == [
        "2 right, 1 partly right and 1 wrong",
        "1 right and 1 wrong",
    ]


@pytest.mark.parametrize(
    ("right", "partly", "wrong", "text"),
    [
        (3, 0, 0, "3 right"),
        (0, 0, 2, "2 wrong"),
        (0, 1, 1, "1 partly right and 1 wrong"),
    ],
)
def test_outcomes_leave_out_the_noughts(right: int, partly: int, wrong: int, text: str) -> None:
    count = CertaintyCount("Fairly sure", right + partly + wrong, right, partly, wrong)
    assert count.outcomes == text
