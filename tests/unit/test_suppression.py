"""Small-number suppression, on hand-made tables."""

from __future__ import annotations

from quizapp.dashboards.suppression import (
    Equation,
    Share,
    format_amount,
    hidden_text,
    percent,
    suppress,
)


def test_cells_from_fewer_people_than_the_threshold_are_hidden_but_zeros_show():
    assert suppress({"a": 0, "b": 1, "c": 4, "d": 5, "e": 40}, threshold=5) == {"b", "c"}


def test_threshold_is_a_parameter():
    assert suppress({"a": 9, "b": 10}, threshold=10) == {"a"}
    assert suppress({"a": 1}, threshold=1) == frozenset()


def test_a_row_total_with_one_hidden_cell_hides_the_next_smallest_non_zero():
    # 20 = 2 + 0 + 7 + 11: with 2 hidden, 20 - 0 - 7 - 11 would give it away.
    people = {"total": 20, "a": 2, "b": 0, "c": 7, "d": 11}
    equation = Equation("total", ("a", "b", "c", "d"))
    assert suppress(people, threshold=5, equations=[equation]) == {"a", "c"}


def test_a_zero_is_hidden_only_when_nothing_else_can_be():
    people = {"total": 3, "a": 3, "b": 0}
    # total and a are both small: two hidden already, nothing more to do.
    assert suppress(people, threshold=5, equations=[Equation("total", ("a", "b"))]) == {
        "total",
        "a",
    }
    people = {"total": 20, "a": 2, "b": 0, "c": 18}
    hidden = suppress(people, threshold=5, equations=[Equation("total", ("a", "b", "c"))])
    assert hidden == {"a", "c"}


def test_a_part_is_hidden_before_a_total_of_the_same_size():
    people = {"total": 5, "a": 0, "b": 5, "c": 3}
    hidden = suppress(people, threshold=5, equations=[Equation("total", ("a", "b", "c"))])
    assert hidden == {"b", "c"}


def test_two_hidden_cells_in_an_equation_need_nothing_more():
    people = {"total": 30, "a": 2, "b": 3, "c": 25}
    assert suppress(people, threshold=5, equations=[Equation("total", ("a", "b", "c"))]) == {
        "a",
        "b",
    }


def test_a_known_total_counts_as_visible():
    people = {"a": 2, "b": 8, "c": 9}
    assert suppress(people, threshold=5, equations=[Equation(None, ("a", "b", "c"))]) == {
        "a",
        "b",
    }


def test_secondary_suppression_cascades_across_rows_and_columns():
    # Two rows (x, y) of two columns (p, q) with row and column totals:
    #        p    q   | row
    #   x    2    10  | 12
    #   y    9    10  | 19
    #   col  11   20  | 31
    people = {
        ("x", "p"): 2,
        ("x", "q"): 10,
        ("y", "p"): 9,
        ("y", "q"): 10,
        ("x", "row"): 12,
        ("y", "row"): 19,
        ("col", "p"): 11,
        ("col", "q"): 20,
    }
    equations = [
        Equation(("x", "row"), (("x", "p"), ("x", "q"))),
        Equation(("y", "row"), (("y", "p"), ("y", "q"))),
        Equation(("col", "p"), (("x", "p"), ("y", "p"))),
        Equation(("col", "q"), (("x", "q"), ("y", "q"))),
    ]
    hidden = suppress(people, threshold=5, equations=equations)
    # x,p is small; its row hides x,q; its column hides y,p; then row y and column q
    # each have one hidden cell... and y,q closes both.
    assert hidden == {("x", "p"), ("x", "q"), ("y", "p"), ("y", "q")}
    for equation in equations:
        assert sum(key in hidden for key in equation.members) != 1


def test_a_group_too_small_to_show_hides_everything_about_it_zeros_included():
    people = {"required": 3, "complete": 3, "due": 0, "overdue": 0}
    group = Equation("required", ("complete", "due", "overdue"), group=True)
    assert suppress(people, threshold=5, equations=[group]) == set(people)
    # Without the group mark, zeros would stay.
    plain = Equation("required", ("complete", "due", "overdue"))
    assert suppress(people, threshold=5, equations=[plain]) == {"required", "complete"}


def test_a_small_column_total_does_not_hide_its_zero_parts():
    people = {"total": 4, "a": 4, "b": 0, "c": 0}
    column = Equation("total", ("a", "b", "c"))
    assert suppress(people, threshold=5, equations=[column]) == {"total", "a"}


def test_already_hidden_cells_take_part_in_secondary_suppression():
    people = {"total": 30, "a": 10, "b": 20}
    hidden = suppress(
        people, threshold=5, equations=[Equation("total", ("a", "b"))], already_hidden=["total"]
    )
    assert hidden == {"total", "a"}


def test_every_equation_ends_with_zero_or_at_least_two_hidden_cells():
    import random

    rng = random.Random(5)
    for _ in range(200):
        rows = [[rng.choice([0, 1, 2, 3, 4, 5, 8, 13, 30]) for _ in range(3)] for _ in range(4)]
        people = {}
        equations = []
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                people[(r, c)] = value
            people[(r, "t")] = sum(row)
            equations.append(Equation((r, "t"), tuple((r, c) for c in range(3)), group=True))
        for c in range(3):
            people[("t", c)] = sum(row[c] for row in rows)
            equations.append(Equation(("t", c), tuple((r, c) for r in range(4))))
        hidden = suppress(people, threshold=5, equations=equations)
        for key, value in people.items():
            if 0 < value < 5:
                assert key in hidden
        for equation in equations:
            assert sum(key in hidden for key in equation.members) != 1
            # What a reader can subtract (a visible total less its visible parts) comes
            # from none or from at least 5 people.
            if equation.total not in hidden:
                revealed = sum(people[k] for k in equation.parts if k in hidden)
                assert not 0 < revealed < 5


def test_hidden_parts_together_must_come_from_enough_people():
    # 30 = 2 + 2 + 26: two hidden cells, but 30 - 26 gives away 4 people's figures.
    people = {"total": 30, "a": 2, "b": 2, "c": 26}
    hidden = suppress(people, threshold=5, equations=[Equation("total", ("a", "b", "c"))])
    assert hidden == {"a", "b", "c"}
    assert hidden.small == {"a", "b"}


def test_parts_answered_by_the_same_people_count_the_largest_not_the_sum():
    # A finding and its two questions, answered by the same 3 people: hiding both
    # questions still leaves 3 people's marks a subtraction away from the finding.
    people = {"finding": 9, "q1": 3, "q2": 3, "q3": 9}
    shared = Equation("finding", ("q1", "q2", "q3"), disjoint=False)
    assert suppress(people, threshold=5, equations=[shared]) == {"q1", "q2", "q3"}
    disjoint = Equation("finding", ("q1", "q2", "q3"))
    assert suppress(people, threshold=5, equations=[disjoint]) == {"q1", "q2"}


def test_a_group_rule_alone_hides_but_adds_nothing_up():
    people = {"marks": 3, "wrong": 0, "other": 40}
    cover = Equation("marks", ("wrong",), group=True, adds_up=False)
    hidden = suppress(people, threshold=5, equations=[cover])
    assert hidden == hidden.small == {"marks", "wrong"}


def test_cells_hidden_to_protect_others_are_not_called_small():
    people = {"total": 20, "a": 2, "b": 7, "c": 11}
    hidden = suppress(people, threshold=5, equations=[Equation("total", ("a", "b", "c"))])
    assert hidden == {"a", "b"}
    assert hidden.small == {"a"}


def test_share_texts_give_count_and_percentage():
    assert Share(6, 10).text == "6 of 10 (60%)"
    assert Share(2.5, 3).text == "2.5 of 3 (83%)"
    assert Share(0, 0).text == "none"
    hidden = Share(3, 10, hidden_text(5))
    assert hidden.text == hidden.part_text == hidden.percent_text == "fewer than 5"
    assert hidden.percent is None
    assert Share(None, None).text == ""


def test_percentages_round_halves_up_and_amounts_drop_trailing_zeros():
    assert percent(1, 8) == 13  # 12.5
    assert percent(5, 8) == 63  # 62.5
    assert percent(1, 3) == 33
    assert percent(1, 0) is None
    assert format_amount(17.0) == "17"
    assert format_amount(2.50) == "2.5"
    assert format_amount(1 / 3) == "0.33"
    assert hidden_text(10) == "fewer than 10"
