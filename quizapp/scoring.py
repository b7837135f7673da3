"""Marks for an attempt, with certainty-based marking (CBM) as Moodle does it.

Pass or fail is always decided on accuracy: CBM feels harsh on short checks, so the
certainty figures are reported beside it, to show where a practitioner is confidently
wrong. The case reviews name over-optimism; a practitioner who is wrong and very sure is
the risk a lead needs to see. Figures and windows follow Moodle's `question_cbm` and
`qbehaviour_deferredcbm` (see docs/bank-format.md for the table).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

CERTAINTY_LEVELS = (1, 2, 3)
CERTAINTY_LABELS = {1: "Not sure", 2: "Fairly sure", 3: "Very sure"}
#: Moodle's default when a practitioner gives no certainty.
DEFAULT_CERTAINTY = 1
#: (mark if right, mark if wrong) per certainty level, per unit of points.
CBM_MARKS = {1: (1.0, 0.0), 2: (2.0, -2.0), 3: (3.0, -6.0)}
#: Accuracy window in which each certainty is the best bet, closed at both ends as in
#: Moodle: exactly 80% right at "Very sure" is well judged, as is exactly 2/3 at
#: "Fairly sure" or "Not sure".
OPTIMAL_WINDOWS = {1: (0.0, 2 / 3), 2: (2 / 3, 0.8), 3: (0.8, 1.0)}
#: Moodle's slack so that float noise (0.7999999) does not flip a judgement or a mark.
_TOLERANCE = 0.0000005
_MARK_TOLERANCE = 0.00000005

Judgement = Literal["over-confident", "under-confident", "well judged"]


def _checked_certainty(certainty: int | None) -> int:
    if certainty is None:
        return DEFAULT_CERTAINTY
    if isinstance(certainty, bool) or certainty not in CBM_MARKS:
        raise ValueError(f"certainty must be one of {CERTAINTY_LEVELS} or None, not {certainty!r}")
    return certainty


def cbm_mark(fraction: float, certainty: int | None) -> float:
    """CBM mark per unit of points: partial credit scales the "right" mark; anything not
    above zero (within Moodle's tolerance) takes the full "wrong" mark."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be between 0 and 1, not {fraction!r}")
    right, wrong = CBM_MARKS[_checked_certainty(certainty)]
    return wrong if fraction <= _MARK_TOLERANCE else right * fraction


def judge(certainty: int, accuracy: float) -> Judgement:
    """Compare accuracy (0..1) at one certainty level with the window where that level
    pays best: below it the practitioner claimed more certainty than they had."""
    low, high = OPTIMAL_WINDOWS[_checked_certainty(certainty)]
    if accuracy < low - _TOLERANCE:
        return "over-confident"
    if accuracy > high + _TOLERANCE:
        return "under-confident"
    return "well judged"


@dataclass(frozen=True)
class ItemResult:
    """One scored question in an attempt. Unscored questions are not passed in."""

    fraction: float
    points: int
    certainty: int | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError(f"fraction must be between 0 and 1, not {self.fraction!r}")
        if isinstance(self.points, bool) or not isinstance(self.points, int) or self.points < 0:
            raise ValueError(f"points must be a whole number >= 0, not {self.points!r}")
        _checked_certainty(self.certainty)


@dataclass(frozen=True)
class CertaintyReport:
    """How well one certainty level was used. `accuracy` (0..1) is weighted by points,
    as Moodle does, so it agrees with the attempt's overall accuracy."""

    certainty: int
    label: str
    count: int
    accuracy: float
    judgement: Judgement

    @property
    def window(self) -> tuple[float, float]:
        return OPTIMAL_WINDOWS[self.certainty]


@dataclass(frozen=True)
class AttemptScore:
    score: float
    max_score: int
    #: Accuracy, 0-100, 2 dp; pass/fail is decided on this rounded figure.
    percent: float
    passed: bool
    #: None when the check does not use certainty-based marking.
    cbm_score: float | None
    #: CBM total / max_score x 100: 100 is all right at "Not sure", 300 the maximum,
    #: and it can be negative.
    cbm_percent: float | None
    #: One entry per certainty level used, lowest first; empty when CBM is off.
    confidence: tuple[CertaintyReport, ...]
    #: Wrong answers (fraction 0) given as "Very sure"; 0 when CBM is off.
    confidently_wrong: int


def summarise(items: Sequence[ItemResult], pass_mark: int, certainty_based: bool) -> AttemptScore:
    """Totals for an attempt. A missing certainty counts as "Not sure" for marks and for
    the confidence report alike, as in Moodle."""
    max_score = sum(item.points for item in items)
    score = sum(item.fraction * item.points for item in items)
    percent = round(100 * score / max_score, 2) if max_score else 0.0
    cbm_score = cbm_percent = None
    confidence: tuple[CertaintyReport, ...] = ()
    confidently_wrong = 0
    if certainty_based:
        cbm_score = sum(cbm_mark(item.fraction, item.certainty) * item.points for item in items)
        cbm_percent = round(100 * cbm_score / max_score, 2) if max_score else 0.0
        confidence = _confidence(items)
        confidently_wrong = sum(
            1 for item in items if item.certainty == 3 and item.fraction <= _MARK_TOLERANCE
        )
    return AttemptScore(
        score=score,
        max_score=max_score,
        percent=percent,
        passed=percent >= pass_mark,
        cbm_score=cbm_score,
        cbm_percent=cbm_percent,
        confidence=confidence,
        confidently_wrong=confidently_wrong,
    )


def _confidence(items: Sequence[ItemResult]) -> tuple[CertaintyReport, ...]:
    reports = []
    for level in CERTAINTY_LEVELS:
        at_level = [item for item in items if _checked_certainty(item.certainty) == level]
        if not at_level:
            continue
        weight = sum(item.points for item in at_level)
        if weight:
            accuracy = sum(item.fraction * item.points for item in at_level) / weight
        else:
            accuracy = sum(item.fraction for item in at_level) / len(at_level)
        reports.append(
            CertaintyReport(
                certainty=level,
                label=CERTAINTY_LABELS[level],
                count=len(at_level),
                accuracy=accuracy,
                judgement=judge(level, accuracy),
            )
        )
    return tuple(reports)


def confidence_sentence(result: AttemptScore) -> str | None:
    """One plain-English line for a results page or a lead's dashboard; None without CBM."""
    if result.cbm_score is None:
        return None
    wrong = result.confidently_wrong
    if wrong:
        answers, verb = ("answer", "was") if wrong == 1 else ("answers", "were")
        return f"{wrong} {answers} marked \u201cVery sure\u201d {verb} wrong."
    over = [report.label for report in result.confidence if report.judgement == "over-confident"]
    if over:
        return f"Answers marked {_joined(over)} were right less often than that certainty suggests."
    return "No answer marked \u201cVery sure\u201d was wrong."


def _joined(labels: list[str]) -> str:
    quoted = [f"\u201c{label}\u201d" for label in labels]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
