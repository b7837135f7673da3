"""Disclosure control over a whole cube, on hand-made figures (issue 12, part 2)."""

from __future__ import annotations

from quizapp.dashboards.disclosure import ALL_LEVELS, NO_ITEM, TOTAL, Layout, cube, suppress_cube
from quizapp.dashboards.pages import (
    FIRST_RULES,
    LEARNING_RULES,
    WHOLE,
    LearningCube,
    _first_measures,
    _learning_measures,
    completion_figures,
    learning_figures,
)
from quizapp.dashboards.periods import reporting_year
from quizapp.dashboards.queries import MarkSums, PassCounts

YEAR = reporting_year(2026)
LAYOUT = Layout(groups=("a", "b"), levels=("L1", "L2"))


def first_cube(finest):
    return suppress_cube(
        cube(finest, LAYOUT, (NO_ITEM,), PassCounts),
        LAYOUT,
        (NO_ITEM,),
        measures=_first_measures,
        rules=FIRST_RULES,
        threshold=5,
    )


def first_pass(suppressed, group, level=ALL_LEVELS):
    return completion_figures(
        None,
        suppressed,
        check_id=1,
        period=YEAR,
        group=group,
        level=level,
        label=str(group),
        threshold=5,
    ).first_pass


def test_a_rate_is_hidden_when_its_complement_comes_from_too_few_people():
    # "3 of 6 passed" says that 3 failed.
    suppressed = first_cube(
        {("a", "L1", NO_ITEM): PassCounts(6, 3), ("b", "L1", NO_ITEM): PassCounts(20, 10)}
    )
    assert first_pass(suppressed, "a").text == "fewer than 5"
    # 20 of 26 passed overall would give agency a's away: b is hidden with it, as "[c]".
    assert first_pass(suppressed, "b").text == "[c]"
    assert first_pass(suppressed, TOTAL).text == "13 of 26 (50%)"


def test_a_rate_with_a_small_complement_but_a_large_part_says_c_not_fewer_than():
    suppressed = first_cube({("a", "L1", NO_ITEM): PassCounts(12, 9)})  # 3 failed
    shown = first_pass(suppressed, "a")
    assert shown.hidden and shown.text == "[c]"


def test_a_group_too_small_shows_no_zeros():
    # 0 passed beside 3 hidden attempts would say everyone failed.
    suppressed = first_cube(
        {("a", "L1", NO_ITEM): PassCounts(3, 0), ("b", "L1", NO_ITEM): PassCounts(30, 10)}
    )
    shown = first_pass(suppressed, "a")
    assert shown.hidden and shown.text == "fewer than 5" and shown.part_text == "fewer than 5"


def test_a_level_is_hidden_when_all_levels_less_the_others_would_give_it_away():
    # Agency a: 12 people at L1 and 2 at L2. Its all-levels figure shows, so L1 must not.
    suppressed = first_cube(
        {
            ("a", "L1", NO_ITEM): PassCounts(12, 6),
            ("a", "L2", NO_ITEM): PassCounts(2, 1),
            ("b", "L1", NO_ITEM): PassCounts(40, 20),
            ("b", "L2", NO_ITEM): PassCounts(40, 20),
        }
    )
    assert first_pass(suppressed, "a", "L2").text == "fewer than 5"
    assert first_pass(suppressed, "a", "L1").hidden
    assert not first_pass(suppressed, "a").hidden


def test_people_with_no_published_level_are_protected_like_a_level():
    # 2 people in agency a have a level not offered (or none): all levels less L1 and L2
    # would be their figures.
    suppressed = first_cube(
        {
            ("a", "L1", NO_ITEM): PassCounts(10, 5),
            ("a", "L2", NO_ITEM): PassCounts(10, 5),
            ("a", "Level 9", NO_ITEM): PassCounts(2, 2),
        }
    )
    assert not first_pass(suppressed, "a").hidden
    assert first_pass(suppressed, "a", "L1").hidden or first_pass(suppressed, "a", "L2").hidden


def test_very_sure_share_is_hidden_when_its_complement_comes_from_too_few_people():
    items = (WHOLE,)
    finest = {
        ("a", "L1", WHOLE): MarkSums(
            people=20,
            marks=50,
            points=80,
            wrong=30,
            confidently_wrong=25,
            wrong_people=12,
            sure_people=11,
            unsure_people=3,
        ),
    }
    suppressed = suppress_cube(
        cube(finest, LAYOUT, items, MarkSums),
        LAYOUT,
        items,
        measures=_learning_measures,
        rules=LEARNING_RULES,
        threshold=5,
    )
    figures = learning_figures(
        LearningCube(suppressed, [], [], {}),
        check_id=1,
        period=YEAR,
        group="a",
        level=ALL_LEVELS,
        item=WHOLE,
        label="a",
        threshold=5,
    )
    assert figures.marks.text == "50 of 80 (63%)"
    assert figures.confidently_wrong.text == "[c]"


def test_a_cube_with_no_items_hides_only_what_is_hidden_elsewhere():
    """A check with no scenario has no items: nothing to suppress, and no error."""
    from quizapp.dashboards.disclosure import Rule, forget

    forget()
    elsewhere = ("people", "a", "L1", "gone")
    suppressed = suppress_cube(
        cube({}, LAYOUT, (), PassCounts),
        LAYOUT,
        (),
        measures=_first_measures,
        rules=(Rule("people", ("passed",), group=True),),
        already_hidden=[elsewhere],
        threshold=5,
    )
    assert suppressed.values == {}
    assert set(suppressed.hidden) == {elsewhere} and not suppressed.hidden.small
