"""Small-number suppression, on hand-made tables."""

from __future__ import annotations

import gc

import pytest

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
    # x,p is small. Hiding x,q would leave column q with one hidden cell, and y,p row y:
    # four cells in all. Row x's total appears in no other equation, so hiding it opens
    # nothing new; column p's total then closes column p. Three cells, and x,p stays
    # unknown: x,row = x,p + 10 and col,p = x,p + 9, with x,row and col,p hidden.
    assert hidden == {("x", "p"), ("x", "row"), ("col", "p")}
    for equation in equations:
        assert sum(key in hidden for key in equation.members) != 1
    assert not determined(hidden, equations)


def test_the_narrowest_equations_choose_first_so_one_neighbour_protects_a_small_cell():
    # Agencies a (2 people, small) and b in sector s1, c alone in sector s2, d alone in
    # s3. Protecting a in the total across agencies first hid c (the smallest), which
    # its one-agency sector then gave away, and so on: 4 cells. Its sector first hides
    # its neighbour b, which protects it in the total as well: 2 cells.
    people = {"a": 2, "b": 25, "c": 12, "d": 40, "s1": 27, "s2": 12, "s3": 40, "total": 79}
    equations = [
        Equation("s1", ("a", "b")),
        Equation("s2", ("c",)),
        Equation("s3", ("d",)),
        Equation("total", ("a", "b", "c", "d")),
        Equation("total", ("s1", "s2", "s3")),
    ]
    hidden = suppress(people, threshold=5, equations=equations, last=["total"])
    assert hidden == {"a", "b"}
    assert not determined(hidden, equations)


def test_fewer_cells_are_hidden_than_one_equation_at_a_time_and_none_small_is_determined():
    """Random tables of agencies in sectors by levels, with all their sums: every small
    cell stays undetermined by the visible figures, and the cells hidden to protect them
    are at most as many as choosing equation by equation in the order given hid."""
    import random

    rng = random.Random(18)
    hidden_before = hidden_now = 0
    for _ in range(60):
        agencies = {f"g{i}": f"s{i % 3}" for i in range(6)}
        levels = ("L1", "L2")
        people = {}
        for agency in agencies:
            for level in levels:
                people[(agency, level)] = rng.choice([0, 1, 3, 6, 12, 25, 40])
        groups = {**{a: [a] for a in agencies}}
        for sector in set(agencies.values()):
            groups[sector] = [a for a, s in agencies.items() if s == sector]
        groups["total"] = list(agencies)
        equations = []
        for group, members in groups.items():
            for level in levels:
                people[(group, level)] = sum(people[(a, level)] for a in members)
            people[(group, None)] = sum(people[(group, level)] for level in levels)
            equations.append(Equation((group, None), tuple((group, lv) for lv in levels)))
        for level in (*levels, None):
            equations.append(Equation(("total", level), tuple((a, level) for a in agencies)))
            equations.append(
                Equation(
                    ("total", level), tuple((s, level) for s in sorted(set(agencies.values())))
                )
            )
            for sector in sorted(set(agencies.values())):
                equations.append(
                    Equation((sector, level), tuple((a, level) for a in groups[sector]))
                )
        last = [key for key in people if key[0] == "total"]
        hidden = suppress(people, threshold=5, equations=equations, last=last)
        for key in hidden.small:
            assert key not in visible_values(hidden, equations, people)
        assert not determined(hidden, equations)
        hidden_now += len(hidden)
        hidden_before += len(one_at_a_time(people, equations, last))
    assert hidden_now < hidden_before


def one_at_a_time(people, equations, last) -> set:
    """The cells hidden by the rule before it chose by the narrowest equation and the
    fewest equations opened: kept here to show the difference."""
    keep, order = frozenset(last), {key: index for index, key in enumerate(people)}
    hidden = {key for key, n in people.items() if 0 < n < 5}
    pending = list(range(len(equations)))
    while pending:
        equation = equations[pending.pop()]
        members = equation.members
        covered = [key for key in members if key in hidden]
        visible = [key for key in members if key not in hidden]
        if not covered or not visible or (len(covered) > 1 and equation.total in hidden):
            continue
        revealed = sum(people[key] for key in covered if key != equation.total)
        if len(covered) > 1 and not 0 < revealed < 5:
            continue
        choice = min(
            visible,
            key=lambda key: (
                key in keep,
                people[key] == 0,
                people[key],
                key == equation.total,
                order[key],
            ),
        )
        hidden.add(choice)
        pending.extend(i for i, e in enumerate(equations) if choice in e.members)
    return hidden


def visible_values(hidden, equations, people) -> set:
    """The hidden cells a reader works out by repeated subtraction of visible figures."""
    known = {key for key in people if key not in hidden}
    changed = True
    while changed:
        changed = False
        for equation in equations:
            unknown = [key for key in equation.members if key not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                changed = True
    return known


def determined(hidden, equations) -> set:
    """The hidden cells whose values follow from the visible ones by any combination of
    the equations (linear algebra, exact): a hidden cell is determined when its unit
    vector lies in the span of the equations restricted to the hidden cells."""
    from fractions import Fraction

    cells = sorted(hidden, key=repr)
    index = {key: i for i, key in enumerate(cells)}
    rows = []
    for equation in equations:
        row = [Fraction(0)] * len(cells)
        if equation.total in index:
            row[index[equation.total]] += 1
        for part in equation.parts:
            if part in index:
                row[index[part]] -= 1
        if any(row):
            rows.append(row)
    # Reduced row echelon form.
    pivots = []
    r = 0
    for c in range(len(cells)):
        pivot = next((i for i in range(r, len(rows)) if rows[i][c]), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        rows[r] = [v / rows[r][c] for v in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c]:
                rows[i] = [a - rows[i][c] * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append(c)
        r += 1
    rows = rows[:r]
    return {cells[c] for row, c in zip(rows, pivots, strict=True) if sum(1 for v in row if v) == 1}


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


def test_the_collector_is_paused_while_suppressing_and_left_as_it_was():
    seen = []

    class Watch(dict):
        def values(self):
            seen.append(gc.isenabled())
            return super().values()

    assert gc.isenabled()
    assert suppress(Watch({"a": 1, "b": 7}), threshold=5) == {"a"}
    assert seen == [False]
    assert gc.isenabled()
    with pytest.raises(KeyError):
        suppress({"a": 1}, threshold=5, equations=[Equation("a", ("b",))])
    assert gc.isenabled()
    gc.disable()
    try:
        suppress({"a": 1}, threshold=5)
        assert not gc.isenabled()  # paused by someone else: not for us to restart
    finally:
        gc.enable()
