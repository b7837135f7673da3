"""Item statistics from sums, checked against figures worked out here from raw marks.

The expected values use the statistics module on the lists themselves (sample variance,
covariance, Pearson correlation, explicit sorting for Cov_max), a different route from
the sums the code under test works from.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import fields, is_dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizapp.statistics import (
    CheckStatistics,
    ItemSums,
    OptionCount,
    TotalSums,
    check_statistics,
)

# Ten attempts at four items with partial credit: (key, max mark, marks).
DATA = [
    ("single", 1.0, [1, 1, 0, 1, 0, 1, 1, 0, 1, 1]),
    ("multiple", 2.0, [2, 1, 0, 2, 1, 2, 0, 1, 2, 1]),
    ("ordering", 1.0, [1, 0.5, 0, 1, 0.5, 0.5, 1, 0, 1, 0]),
    ("true-false", 1.0, [1, 0, 0, 1, 1, 1, 0, 1, 1, 1]),
]


def approx(value: float) -> object:
    return pytest.approx(value, abs=0.0005)


def totals_of(columns: Sequence[Sequence[float]]) -> list[float]:
    return [sum(row) for row in zip(*columns, strict=True)]


def sums_for(
    key: str,
    max_mark: float,
    marks: Sequence[float],
    totals: Sequence[float],
    *,
    position: int = 1,
    kind: str = "single",
    **extra: object,
) -> ItemSums:
    """What the database would add up for one item."""
    rest = [t - x for x, t in zip(marks, totals, strict=True)]
    return ItemSums(
        key=key,
        position=position,
        type=kind,
        max_mark=max_mark,
        n=len(marks),
        sum_x=sum(marks),
        sum_x2=sum(x * x for x in marks),
        sum_xt=sum(x * t for x, t in zip(marks, totals, strict=True)),
        sum_sorted_x_rest=sum(x * r for x, r in zip(sorted(marks), sorted(rest), strict=True)),
        **extra,  # type: ignore[arg-type]
    )


def run(
    data: Sequence[tuple[str, float, Sequence[float]]], *, minimum: int = 10
) -> tuple[CheckStatistics, list[float]]:
    totals = totals_of([marks for _, _, marks in data])
    items = [
        sums_for(key, max_mark, marks, totals, position=index)
        for index, (key, max_mark, marks) in enumerate(data, start=1)
    ]
    total_sums = TotalSums(n=len(totals), sum_t=sum(totals), sum_t2=sum(t * t for t in totals))
    return check_statistics(items, total_sums, minimum=minimum), totals


def floats_in(value: object) -> list[float]:
    """Every float in a result, however deeply nested, to look for NaN and infinity."""
    if isinstance(value, float):
        return [value]
    if is_dataclass(value) and not isinstance(value, type):
        return [f for field in fields(value) for f in floats_in(getattr(value, field.name))]
    if isinstance(value, tuple | list):
        return [f for item in value for f in floats_in(item)]
    return []


def assert_finite(result: CheckStatistics) -> None:
    assert all(math.isfinite(value) for value in floats_in(result))


def test_item_figures_match_the_definitions():
    result, totals = run(DATA)

    assert result.message is None
    assert not result.too_few_attempts
    assert result.attempts == 10
    assert [item.key for item in result.items] == [key for key, _, _ in DATA]
    for item, (_key, max_mark, marks) in zip(result.items, DATA, strict=True):
        rest = [t - x for x, t in zip(marks, totals, strict=True)]
        assert item.attempts == 10
        assert item.max_mark == max_mark
        assert item.facility == approx(100 * statistics.mean(marks) / max_mark)
        assert item.sd == approx(statistics.stdev(marks))
        assert item.sd_percent == approx(100 * statistics.stdev(marks) / max_mark)
        assert item.discrimination_index == approx(100 * statistics.correlation(marks, rest))
        cov_max = statistics.covariance(sorted(marks), sorted(rest))
        assert item.discriminative_efficiency == approx(
            100 * statistics.covariance(marks, rest) / cov_max
        )
    assert_finite(result)


def test_check_figures_match_the_definitions():
    result, totals = run(DATA)

    p = len(DATA)
    item_variances = sum(statistics.variance(marks) for _, _, marks in DATA)
    alpha = 100 * p / (p - 1) * (1 - item_variances / statistics.variance(totals))
    error_ratio = 100 * math.sqrt(1 - alpha / 100)
    assert result.max_total == 5.0
    assert result.mean_total == approx(statistics.mean(totals))
    assert result.sd_total == approx(statistics.stdev(totals))
    assert result.alpha == approx(alpha)
    assert result.error_ratio == approx(error_ratio)
    assert result.standard_error == approx(error_ratio * statistics.stdev(totals) / 100)


def test_hand_worked_figures():
    """Two items, five attempts, worked by hand so the formulas themselves are checked.

    x = [0, 1, 1, 0, 1], y = [0, 0, 1, 1, 1]: t = [0, 1, 2, 1, 2], mean 6/5.
    Var(x) = Var(y) = 0.3; Cov(x, y) = 0.05; Var(t) = 0.3 + 0.3 + 2 x 0.05 = 0.7.
    For x, rest = y: discrimination = 100 x 0.05 / 0.3 = 16.667. Sorted, x and y are
    both [0, 0, 1, 1, 1], so Cov_max = Var = 0.3 and efficiency = 16.667 too.
    Alpha = 100 x 2 x (1 - 0.6 / 0.7) = 28.571.
    """
    result, _ = run([("x", 1.0, [0, 1, 1, 0, 1]), ("y", 1.0, [0, 0, 1, 1, 1])], minimum=5)

    first = result.items[0]
    assert first.facility == approx(60.0)
    assert first.sd == approx(math.sqrt(0.3))
    assert first.discrimination_index == approx(16.667)
    assert first.discriminative_efficiency == approx(16.667)
    assert result.alpha == approx(28.571)
    assert result.error_ratio == approx(100 * math.sqrt(1 - 0.28571428))


def test_efficiency_uses_independently_sorted_lists():
    """Cov_max is not the covariance of the pairs as given: a perfectly ordered item
    reaches 100%, a reversed one -100%."""
    ordered, _ = run([("x", 1.0, [0, 0, 1, 1]), ("y", 1.0, [0, 1, 1, 2])], minimum=4)
    assert ordered.items[0].discriminative_efficiency == approx(100.0)
    reversed_, _ = run([("x", 1.0, [1, 1, 0, 0]), ("y", 1.0, [0, 1, 1, 2])], minimum=4)
    assert reversed_.items[0].discriminative_efficiency == approx(-100.0)
    assert reversed_.items[0].doubtful


def test_zero_variance_item_has_no_discrimination():
    data = [*DATA[:2], ("same", 1.0, [0.5] * 10)]
    result, totals = run(data)

    same = result.items[2]
    assert same.facility == approx(50.0)
    assert same.sd == 0.0
    assert same.discrimination_index is None
    assert same.discriminative_efficiency is None
    assert not same.doubtful
    # The item still counts towards alpha, with a variance of 0.
    variances = statistics.variance(DATA[0][2]) + statistics.variance(DATA[1][2])
    assert result.alpha == approx(100 * 3 / 2 * (1 - variances / statistics.variance(totals)))
    assert_finite(result)


def test_all_right_and_all_wrong_items_are_flagged():
    data = [*DATA, ("all-right", 1.0, [1] * 10), ("all-wrong", 2.0, [0] * 10)]
    result, _ = run(data)

    right, wrong = result.items[-2:]
    assert right.facility == 100.0
    assert [flag.code for flag in right.flags] == ["easy"]
    assert right.flags[0].text == "Almost everyone gets this right."
    assert wrong.facility == 0.0
    assert [flag.code for flag in wrong.flags] == ["hard"]
    assert wrong.flags[0].text == "Most people get this wrong."
    for item in (right, wrong):
        assert item.sd == 0.0
        assert item.discrimination_index is None
        assert item.discriminative_efficiency is None
    assert result.alpha is not None
    assert_finite(result)


def test_doubtful_item_below_15_percent_efficiency():
    # Those who do well on the rest tend to get this one wrong.
    marks = [0, 1, 1, 0, 0, 0, 1, 1, 0, 0]
    result, totals = run([*DATA, ("against", 1.0, marks)])
    rest = [t - x for x, t in zip(marks, totals, strict=True)]
    cov_max = statistics.covariance(sorted(marks), sorted(rest))

    for item in result.items:
        assert item.discriminative_efficiency is not None
        assert item.doubtful == (item.discriminative_efficiency < 15)
    *others, against = result.items
    assert not any(item.doubtful for item in others)
    assert against.discriminative_efficiency == approx(
        100 * statistics.covariance(marks, rest) / cov_max
    )
    assert against.discriminative_efficiency < 0
    assert [flag.code for flag in against.flags] == ["doubtful"]
    assert against.flags[0].text.startswith("Doubtful: it barely separates")


def test_too_few_attempts_shows_no_figures():
    result, _ = run([(key, max_mark, marks[:9]) for key, max_mark, marks in DATA])

    assert result.too_few_attempts
    assert result.attempts == 9
    assert result.minimum == 10
    assert result.message == (
        "Too few attempts to show statistics: 9 first attempts so far, 10 needed."
    )
    assert result.items == ()
    assert result.mean_total is None
    assert result.sd_total is None
    assert result.alpha is None
    assert result.error_ratio is None
    assert result.standard_error is None


def test_minimum_is_a_parameter():
    data = [(key, max_mark, marks[:9]) for key, max_mark, marks in DATA]
    assert not run(data, minimum=9)[0].too_few_attempts
    assert run(DATA, minimum=11)[0].too_few_attempts
    assert run([], minimum=1)[0].message == (
        "Too few attempts to show statistics: 0 first attempts so far, 1 needed."
    )
    with pytest.raises(ValueError, match="minimum"):
        run(DATA, minimum=0)


def test_single_item_has_no_alpha():
    result, _ = run(DATA[:1])

    assert result.alpha is None
    assert result.error_ratio is None
    assert result.standard_error is None
    (item,) = result.items
    assert item.facility == approx(70.0)
    # The rest of the check is empty, so there is nothing to correlate with.
    assert item.discrimination_index is None
    assert item.discriminative_efficiency is None
    assert result.sd_total == approx(statistics.stdev(DATA[0][2]))
    assert_finite(result)


def test_one_attempt_gives_nothing_undefined():
    result, _ = run([(key, max_mark, marks[:1]) for key, max_mark, marks in DATA], minimum=1)

    assert result.attempts == 1
    assert result.sd_total is None
    assert result.alpha is None
    for item in result.items:
        assert item.facility is not None
        assert item.sd is None
        assert item.discrimination_index is None
        assert item.discriminative_efficiency is None
    assert_finite(result)


def test_everyone_with_the_same_total_has_no_alpha():
    result, _ = run([("x", 1.0, [1, 0, 1, 0]), ("y", 1.0, [0, 1, 0, 1])], minimum=4)

    assert result.sd_total == 0.0
    assert result.alpha is None
    assert result.error_ratio is None
    assert result.standard_error is None
    assert result.items[0].discrimination_index == approx(-100.0)
    assert_finite(result)


def test_negative_alpha_still_has_an_error_ratio_as_in_moodle():
    """Items that pull against each other: alpha below 0, error ratio above 100%."""
    data = [("x", 1.0, [1, 0, 1, 0, 1]), ("y", 1.0, [0, 1, 0, 1, 1])]
    result, totals = run(data, minimum=5)

    variances = sum(statistics.variance(marks) for _, _, marks in data)
    alpha = 100 * 2 * (1 - variances / statistics.variance(totals))
    assert alpha < 0
    assert result.alpha == approx(alpha)
    assert result.error_ratio == approx(100 * math.sqrt(1 - alpha / 100))
    assert result.error_ratio is not None and result.error_ratio > 100
    assert result.standard_error == approx(result.error_ratio * statistics.stdev(totals) / 100)


def test_options_confidence_and_never_chosen():
    marks = [2, 1, 0, 2, 1, 2, 0, 1, 2, 1]
    totals = [float(x) for x in marks]
    options = (
        OptionCount(text="Missed appointments", correct=True, count=8),
        OptionCount(text="Unexplained bruise", correct=True, count=7),
        OptionCount(text="A tidy house", correct=False, count=0),
    )
    item = sums_for(
        "multiple",
        2.0,
        marks,
        totals,
        kind="multiple",
        answered=9,
        wrong=2,
        confidently_wrong=1,
        options=options,
    )
    result = check_statistics([item], TotalSums(10, sum(totals), sum(t * t for t in totals)))

    (stats,) = result.items
    assert [(o.text, o.count, o.correct) for o in stats.options] == [
        ("Missed appointments", 8, True),
        ("Unexplained bruise", 7, True),
        ("A tidy house", 0, False),
    ]
    assert [o.percent for o in stats.options] == [approx(88.889), approx(77.778), 0.0]
    assert [o.never_chosen for o in stats.options] == [False, False, True]
    never = [flag for flag in stats.flags if flag.code == "option-never-chosen"]
    assert [flag.text for flag in never] == ["Option never chosen: A tidy house"]
    assert stats.answered == 9
    assert stats.wrong == 2
    assert stats.confidently_wrong == 1
    assert stats.confidently_wrong_percent == 50.0


def test_no_wrong_answers_and_no_answers_give_no_shares():
    item = sums_for(
        "single",
        1.0,
        [1.0] * 10,
        [1.0] * 10,
        options=(OptionCount("A", True, 0), OptionCount("B", False, 0)),
    )
    result = check_statistics([item], TotalSums(10, 10.0, 10.0))
    (stats,) = result.items
    assert stats.confidently_wrong_percent is None
    assert [option.percent for option in stats.options] == [None, None]


def test_items_must_cover_the_same_attempts_as_the_totals():
    item = sums_for("x", 1.0, [1.0] * 9, [1.0] * 9)
    with pytest.raises(ValueError, match="counts 9 attempts, the totals 10"):
        check_statistics([item], TotalSums(10, 10.0, 10.0))


def test_zero_point_item_has_no_facility():
    result, _ = run([*DATA, ("unmarked", 0.0, [0] * 10)])
    unmarked = result.items[-1]
    assert unmarked.facility is None
    assert unmarked.sd_percent is None
    assert unmarked.flags == ()
    assert_finite(result)


MARKS = st.sampled_from([0.0, 0.5, 1.0, 2.0])


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=2, max_value=5).flatmap(
        lambda p: st.integers(min_value=2, max_value=25).flatmap(
            lambda n: st.lists(st.lists(MARKS, min_size=n, max_size=n), min_size=p, max_size=p)
        )
    )
)
def test_any_marks_agree_with_the_definitions(columns: list[list[float]]):
    data = [(f"q{index}", 2.0, marks) for index, marks in enumerate(columns)]
    result, totals = run(data, minimum=1)

    assert_finite(result)
    var_t = statistics.variance(totals)
    for item, marks in zip(result.items, columns, strict=True):
        rest = [t - x for x, t in zip(marks, totals, strict=True)]
        assert item.sd == approx(statistics.stdev(marks))
        if statistics.variance(marks) == 0 or statistics.variance(rest) == 0:
            assert item.discrimination_index is None
            assert item.discriminative_efficiency is None
            continue
        assert item.discrimination_index == approx(100 * statistics.correlation(marks, rest))
        efficiency = 100 * statistics.covariance(marks, rest)
        efficiency /= statistics.covariance(sorted(marks), sorted(rest))
        assert item.discriminative_efficiency == approx(efficiency)
    if var_t == 0:
        assert result.alpha is None
    else:
        p = len(columns)
        summed = sum(statistics.variance(marks) for marks in columns)
        assert result.alpha == approx(100 * p / (p - 1) * (1 - summed / var_t))
