"""Item statistics for a check, as Moodle's quiz statistics report computes them.

Pure arithmetic on sufficient statistics (counts, sums, sums of squares and products),
so the database does the heavy lifting and nothing here loads a response. All variances
and covariances use n - 1. Definitions follow Moodle's `question/classes/statistics` and
`mod/quiz/report/statistics` calculators.

Decisions, so that readers of the figures know what they mean:

- A missing response to a scored question counts as a mark of 0, as in Moodle; every
  item is then over the same attempts as the totals, which alpha needs.
- "Wrong" means a fraction of 0 (within scoring's tolerance), the answers CBM gives its
  "wrong" mark. Partial credit is not wrong: CBM pays it as a scaled right answer.
- "Confidently wrong" is the share of the wrong answers that were given at certainty 3
  ("Very sure"): of the people who got it wrong, how many were sure they were right.
- Error ratio follows Moodle: computed whenever alpha is defined, even when alpha <= 0
  (it is then 100% or more: the total is all noise). Alpha never exceeds 100, so the
  square root is always real; None only when alpha itself is undefined.
- Undefined figures (no variance, fewer than two attempts, one item for alpha, no
  marks for facility) are None, never NaN and never an exception.
- Below the minimum number of attempts no figure at all is returned: too few to mean
  anything, and too few to keep individuals anonymous.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: Fewer first attempts than this and no statistics are shown.
DEFAULT_MINIMUM = 10
#: Moodle flags an item whose discriminative efficiency is below this as doubtful.
DOUBTFUL_EFFICIENCY = 15.0
#: Facility (%) above which an item tells the lead little: nearly everyone knows it.
EASY_FACILITY = 95.0
#: Facility (%) below which most people get the item wrong.
HARD_FACILITY = 30.0
#: A fraction at or below this is wrong, as in quizapp.scoring (Moodle's tolerance).
WRONG_FRACTION = 0.00000005
#: Relative size below which a variance is float noise, not spread.
_RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class OptionCount:
    """How many answers chose one option (for true/false, "True" or "False")."""

    text: str
    #: Whether choosing it is right; None where the option has no rightness.
    correct: bool | None
    count: int


@dataclass(frozen=True)
class ItemSums:
    """What the database adds up for one scored question over the counted attempts.

    x is the item's mark (fraction x points, 0 when not answered), t the attempt's
    total and rest = t - x.
    """

    key: str
    position: int
    type: str
    #: The item's maximum mark (its points).
    max_mark: float
    #: Attempts counted (every counted attempt has a mark on every item).
    n: int
    sum_x: float
    sum_x2: float
    sum_xt: float
    #: Sum of x_(k) * rest_(k), the two lists each sorted ascending on its own.
    sum_sorted_x_rest: float
    #: Responses actually given, the denominator of option shares.
    answered: int = 0
    #: Answers with a fraction of 0.
    wrong: int = 0
    #: Of those, answers given at certainty 3.
    confidently_wrong: int = 0
    #: Option choice counts in option order; empty where options don't apply (ordering).
    options: tuple[OptionCount, ...] = ()


@dataclass(frozen=True)
class TotalSums:
    """Attempt totals over the counted attempts."""

    n: int
    sum_t: float
    sum_t2: float


@dataclass(frozen=True)
class OptionFrequency:
    text: str
    correct: bool | None
    count: int
    #: Share of the answers given that chose this option (multiple choice: shares can
    #: add up to more than 100); None when nobody answered.
    percent: float | None

    @property
    def never_chosen(self) -> bool:
        return self.count == 0


@dataclass(frozen=True)
class Flag:
    """Something a lead or author should look at, in plain English."""

    code: str
    text: str


@dataclass(frozen=True)
class ItemStatistics:
    key: str
    position: int
    type: str
    max_mark: float
    attempts: int
    #: Mean mark as a percentage of the maximum mark.
    facility: float | None
    #: Standard deviation of the item's marks, in marks.
    sd: float | None
    #: The same as a percentage of the maximum mark (as Moodle shows it).
    sd_percent: float | None
    #: Corrected item-total correlation x 100 (item against the rest of the check).
    discrimination_index: float | None
    #: Cov(item, rest) as a percentage of the largest covariance the marks allow.
    discriminative_efficiency: float | None
    answered: int
    wrong: int
    confidently_wrong: int
    #: Percentage of wrong answers given at "Very sure"; None when none were wrong.
    confidently_wrong_percent: float | None
    options: tuple[OptionFrequency, ...]
    flags: tuple[Flag, ...]

    @property
    def doubtful(self) -> bool:
        return any(flag.code == "doubtful" for flag in self.flags)


@dataclass(frozen=True)
class CheckStatistics:
    """Statistics for one set of attempts; with too few attempts, no figures at all."""

    attempts: int
    minimum: int
    #: Plain-English reason no figures are shown, or None when they are.
    message: str | None
    items: tuple[ItemStatistics, ...] = ()
    max_total: float | None = None
    mean_total: float | None = None
    sd_total: float | None = None
    #: Cronbach's alpha x 100 (Moodle's "coefficient of internal consistency").
    alpha: float | None = None
    error_ratio: float | None = None
    #: In marks, like sd_total.
    standard_error: float | None = None

    @property
    def too_few_attempts(self) -> bool:
        return self.message is not None


def _variance(n: int, total: float, squares: float) -> float | None:
    if n < 2:
        return None
    variance = (squares - total * total / n) / (n - 1)
    # Cancellation leaves a tiny (possibly negative) residue where there is no spread.
    scale = max(1.0, abs(squares) / n)
    return 0.0 if variance <= _RELATIVE_TOLERANCE * scale else variance


def _covariance(n: int, sum_xy: float, sum_x: float, sum_y: float) -> float | None:
    if n < 2:
        return None
    return (sum_xy - sum_x * sum_y / n) / (n - 1)


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return 100 * numerator / denominator


def item_statistics(item: ItemSums, totals: TotalSums) -> ItemStatistics:
    """One item's figures; `totals` must be over the same attempts as `item`."""
    n = item.n
    var_x = _variance(n, item.sum_x, item.sum_x2)
    var_t = _variance(n, totals.sum_t, totals.sum_t2)
    cov_xt = _covariance(n, item.sum_xt, item.sum_x, totals.sum_t)

    facility = sd = sd_percent = discrimination = efficiency = None
    if n > 0 and item.max_mark > 0:
        facility = 100 * (item.sum_x / n) / item.max_mark
    if var_x is not None:
        sd = math.sqrt(var_x)
        sd_percent = 100 * sd / item.max_mark if item.max_mark > 0 else None
    if var_x is not None and var_t is not None and cov_xt is not None:
        cov_rest = cov_xt - var_x
        var_rest = var_t + var_x - 2 * cov_xt
        # Same noise guard as _variance, against the scale of the totals.
        if var_rest <= _RELATIVE_TOLERANCE * max(1.0, abs(totals.sum_t2) / n):
            var_rest = 0.0
        if var_x > 0 and var_rest > 0:
            discrimination = 100 * cov_rest / math.sqrt(var_x * var_rest)
        sum_rest = totals.sum_t - item.sum_x
        cov_max = _covariance(n, item.sum_sorted_x_rest, item.sum_x, sum_rest)
        # Cov_max is 0 exactly when either list is constant; otherwise it is positive.
        if var_x > 0 and var_rest > 0 and cov_max is not None:
            efficiency = _ratio(cov_rest, cov_max)

    options = tuple(
        OptionFrequency(
            text=option.text,
            correct=option.correct,
            count=option.count,
            percent=100 * option.count / item.answered if item.answered else None,
        )
        for option in item.options
    )
    confidently_wrong_percent = 100 * item.confidently_wrong / item.wrong if item.wrong else None
    return ItemStatistics(
        key=item.key,
        position=item.position,
        type=item.type,
        max_mark=item.max_mark,
        attempts=n,
        facility=facility,
        sd=sd,
        sd_percent=sd_percent,
        discrimination_index=discrimination,
        discriminative_efficiency=efficiency,
        answered=item.answered,
        wrong=item.wrong,
        confidently_wrong=item.confidently_wrong,
        confidently_wrong_percent=confidently_wrong_percent,
        options=options,
        flags=_flags(facility, efficiency, options),
    )


def _flags(
    facility: float | None, efficiency: float | None, options: Sequence[OptionFrequency]
) -> tuple[Flag, ...]:
    flags = []
    if efficiency is not None and efficiency < DOUBTFUL_EFFICIENCY:
        flags.append(
            Flag(
                "doubtful",
                "Doubtful: it barely separates people who do well on the rest of the check"
                f" from those who don't (discriminative efficiency below"
                f" {DOUBTFUL_EFFICIENCY:g}%).",
            )
        )
    if facility is not None and facility > EASY_FACILITY:
        flags.append(Flag("easy", "Almost everyone gets this right."))
    if facility is not None and facility < HARD_FACILITY:
        flags.append(Flag("hard", "Most people get this wrong."))
    for option in options:
        if option.never_chosen:
            flags.append(Flag("option-never-chosen", f"Option never chosen: {option.text}"))
    return tuple(flags)


def check_statistics(
    items: Sequence[ItemSums], totals: TotalSums, *, minimum: int = DEFAULT_MINIMUM
) -> CheckStatistics:
    """Every item's figures and the check's reliability, or only a "too few" message.

    `items` are the check's scored questions; p for alpha is their number.
    """
    if minimum < 1:
        raise ValueError(f"minimum must be at least 1, not {minimum!r}")
    n = totals.n
    if n < minimum:
        return CheckStatistics(
            attempts=n,
            minimum=minimum,
            message=(
                f"Too few attempts to show statistics: {n} first"
                f" {'attempt' if n == 1 else 'attempts'} so far, {minimum} needed."
            ),
        )
    for item in items:
        if item.n != n:
            raise ValueError(f"item {item.key!r} counts {item.n} attempts, the totals {n}")

    results = tuple(item_statistics(item, totals) for item in items)
    var_t = _variance(n, totals.sum_t, totals.sum_t2)
    sd_total = math.sqrt(var_t) if var_t is not None else None

    alpha = error_ratio = standard_error = None
    p = len(items)
    item_variances = [_variance(n, item.sum_x, item.sum_x2) for item in items]
    if p > 1 and var_t is not None and var_t > 0 and None not in item_variances:
        summed = sum(variance for variance in item_variances if variance is not None)
        alpha = 100 * p / (p - 1) * (1 - summed / var_t)
        # alpha <= 100 always; max() only absorbs float noise just above it.
        error_ratio = 100 * math.sqrt(max(0.0, 1 - alpha / 100))
        assert sd_total is not None
        standard_error = error_ratio * sd_total / 100

    return CheckStatistics(
        attempts=n,
        minimum=minimum,
        message=None,
        items=results,
        max_total=sum(item.max_mark for item in items),
        mean_total=totals.sum_t / n,
        sd_total=sd_total,
        alpha=alpha,
        error_ratio=error_ratio,
        standard_error=standard_error,
    )


# ---------------------------------------------------------------------------------------
# Branching scenarios: each alternative of each decision


@dataclass(frozen=True)
class AlternativeSums:
    """What the database adds up for one alternative of a scenario's decision, over the
    counted attempts that reached the decision (their first choice there, on the path).

    x is 1 when the attempt chose this alternative, 0 when it chose another; rest is
    the attempt's total less the scenario's mark (so the scenario does not correlate
    with itself).
    """

    decision: str
    key: str
    text: str
    #: Attempts that reached the decision.
    reached: int
    #: Of those, attempts choosing this alternative (sum of x, and of x squared).
    chosen: int
    #: Sums of rest and rest squared over the attempts reaching the decision.
    sum_rest: float
    sum_rest2: float
    #: Sum of rest over the attempts choosing this alternative (sum of x * rest).
    sum_rest_chosen: float
    #: The alternative's points as published.
    points: int = 0


@dataclass(frozen=True)
class AlternativeStatistics:
    decision: str
    key: str
    text: str
    points: int
    reached: int
    chosen: int
    #: Share (%) of the attempts reaching the decision that chose it; None when none did.
    percent: float | None
    #: Choosing it against the rest of the check, x 100, like the items' discrimination
    #: index (a point-biserial correlation): positive when the people who choose it do
    #: better on the rest of the check. None when undefined (nobody or everybody chose
    #: it, the rest does not vary, fewer than two attempts).
    discrimination_index: float | None

    @property
    def never_chosen(self) -> bool:
        return self.chosen == 0


def alternative_statistics(sums: AlternativeSums) -> AlternativeStatistics:
    """One alternative's figures, with n - 1 variances like the items'."""
    n, k = sums.reached, sums.chosen
    var_x = _variance(n, float(k), float(k))
    var_rest = _variance(n, sums.sum_rest, sums.sum_rest2)
    cov = _covariance(n, sums.sum_rest_chosen, float(k), sums.sum_rest)
    discrimination = None
    if var_x and var_rest and cov is not None:
        discrimination = 100 * cov / math.sqrt(var_x * var_rest)
    return AlternativeStatistics(
        decision=sums.decision,
        key=sums.key,
        text=sums.text,
        points=sums.points,
        reached=n,
        chosen=k,
        percent=100 * k / n if n else None,
        discrimination_index=discrimination,
    )
