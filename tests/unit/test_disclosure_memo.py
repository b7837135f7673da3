"""suppress_cube remembers its results: the same cube is not suppressed twice, and any
change to what the result depends on is suppressed afresh, with the right answer."""

from __future__ import annotations

import random
from unittest import mock

import pytest

from quizapp.dashboards import disclosure
from quizapp.dashboards.disclosure import Layout, cube, suppress_cube
from quizapp.dashboards.pages import LEARNING_RULES, _learning_measures
from quizapp.dashboards.queries import MarkSums
from quizapp.models.tally import NO_LEVEL

LAYOUT = Layout(groups=("a", "b", "c"), levels=("L1", "L2"), parents={"a": "s", "b": "s"})
ITEMS = (("finding", "hs", "f1"), ("question", "hs", "q1"), ("question", "hs", "q2"), "whole")
SUMS = [(ITEMS[0], [ITEMS[1], ITEMS[2]]), (ITEMS[3], [ITEMS[1], ITEMS[2]])]


def _finest(seed: int) -> dict:
    rng = random.Random(seed)
    finest = {}
    for group in LAYOUT.groups:
        for level in (*LAYOUT.levels, NO_LEVEL):
            for item in ITEMS:
                people = rng.choice((0, 1, 2, 3, 6, 9, 14))
                wrong = rng.randint(0, people)
                sure = rng.randint(0, wrong)
                finest[(group, level, item)] = MarkSums(
                    people=people,
                    marks=float(people),
                    points=float(people),
                    wrong=wrong,
                    confidently_wrong=sure,
                    wrong_people=wrong,
                    sure_people=sure,
                    unsure_people=wrong - sure,
                )
    return finest


def _suppress(finest: dict, *, threshold: int = 5, already_hidden=()):
    return suppress_cube(
        cube(finest, LAYOUT, ITEMS, MarkSums),
        LAYOUT,
        ITEMS,
        measures=_learning_measures,
        rules=LEARNING_RULES,
        item_sums=SUMS,
        already_hidden=already_hidden,
        threshold=threshold,
    )


def _afresh(finest: dict, **arguments):
    disclosure.forget()
    return _suppress(finest, **arguments)


@pytest.fixture(autouse=True)
def _empty_memo():
    disclosure.forget()
    yield
    disclosure.forget()


def test_the_same_cube_is_suppressed_once_and_gives_the_same_cells():
    finest = _finest(1)
    with mock.patch.object(disclosure, "_suppress_cube", wraps=disclosure._suppress_cube) as spy:
        first = _suppress(finest)
        again = _suppress(_finest(1))  # equal figures, built anew
    assert spy.call_count == 1
    assert again.hidden == first.hidden and again.hidden.small == first.hidden.small
    assert len(first.hidden) > 0 and first.hidden.small


@pytest.mark.parametrize("seed", range(8))
def test_a_changed_figure_is_suppressed_afresh_and_right(seed):
    finest = _finest(seed)
    before = _suppress(finest)
    rng = random.Random(seed)
    cell = rng.choice(sorted(finest, key=repr))
    changed = dict(finest)
    old = finest[cell]
    changed[cell] = MarkSums(**{**old.__dict__, "people": old.people + 1})
    with mock.patch.object(disclosure, "_suppress_cube", wraps=disclosure._suppress_cube) as spy:
        after = _suppress(changed)
    assert spy.call_count == 1
    right = _afresh(changed)
    assert after.hidden == right.hidden and after.hidden.small == right.hidden.small
    assert before.values != after.values


def test_the_threshold_and_cells_hidden_elsewhere_are_part_of_what_is_remembered():
    finest = _finest(3)
    five = _suppress(finest)
    ten = _suppress(finest, threshold=10)
    assert ten.hidden == _afresh(finest, threshold=10).hidden
    assert ten.hidden != five.hidden
    visible = next(
        key
        for cell, value in sorted(five.values.items(), key=repr)
        for measure, people in _learning_measures(value).items()
        if people and (key := (measure, *cell)) not in five.hidden
    )
    elsewhere = _suppress(finest, already_hidden=[visible])
    assert visible in elsewhere.hidden
    assert elsewhere.hidden == _afresh(finest, already_hidden=[visible]).hidden


def test_the_memo_is_bounded_by_the_hidden_cells_it_holds():
    assert disclosure._RESULTS.maxsize == 250_000
    for seed in range(5):
        _suppress(_finest(seed))
    assert 0 < disclosure._RESULTS.currsize <= disclosure._RESULTS.maxsize
    assert disclosure._RESULTS.currsize == sum(
        len(hidden) + 1 for hidden in disclosure._RESULTS.values()
    )
