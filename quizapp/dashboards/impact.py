"""Did the learning change practice? The impact figures of a check for leads, suppressed
as one cube, and the plain-English sentence per finding of the yearly report.

The figures of one check and reporting year form one cube (quizapp.dashboards.disclosure):
group (each agency or team, and the scope's total) x item (each finding, and the whole
check for figures about people rather than findings) x measure. Each measure counts
distinct people, so a cell built from fewer than the threshold is hidden, and the cube's
equations (groups add up to the total; a share's part and its complement add up to its
whole) hide a second cell wherever a hidden one could be worked out by subtraction. The
impact page, the yearly report and its downloads show cells of that one result, so none
can be subtracted from another. Levels are not offered here: the cube has none.

Measures per finding: people rating their confidence before, after and at follow-up;
people answering the finding's questions at the check and at follow-up (and of them,
those with an answer wrong at "very sure", and with any other). Per check (WHOLE): people
who passed, who answered the follow-up (and who did not), who said whether they have used
the learning (yes, or another answer), and who gave each reaction.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from ..models.tally import NO_LEVEL
from . import impact_queries as q
from .disclosure import ALL_LEVELS, TOTAL, Layout, Rule, Suppressed, cube, suppress_cube
from .grid import Grid, GridCell, GridRow, band
from .periods import Period
from .queries import Choices, Filters
from .scope import Scope
from .suppression import PROTECTED_TEXT, Hidden, Share, format_amount, hidden_text

#: The item of figures about people, not one finding.
WHOLE = ("whole",)
#: Confidence moments, as ConfidenceRating names them, and as the pages say them.
MOMENTS = (
    ("before", "before the check"),
    ("after", "after the check"),
    ("follow-up", "at follow-up"),
)
FINDING_MEASURES = (
    "before",
    "after",
    "follow-up",
    "check",
    "check_sure",
    "check_other",
    "fu",
    "fu_sure",
    "fu_other",
)
WHOLE_MEASURES = (
    "passed",
    "followed",
    "not_followed",
    "used",
    "used_yes",
    "used_other",
    *(name for name, _ in q.REACTIONS),
)
RULES = (
    # A share's part and its complement make its whole (from the same people: a person
    # can have a confidently wrong answer and another one).
    Rule("check", ("check_sure", "check_other"), group=True, disjoint=False),
    Rule("fu", ("fu_sure", "fu_other"), group=True, disjoint=False),
    # Everyone who passed either answered the follow-up or did not.
    Rule("passed", ("followed", "not_followed"), group=True),
    Rule("used", ("used_yes", "used_other"), group=True),
)
#: Out of 5: the bands of a mean rating.
CONFIDENCE_BANDS = {"mid": 3.0, "high": 4.0}
#: Percent: the bands of a share of marks (80 is a usual pass mark).
MARK_BANDS = {"mid": 60, "high": 80}
NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
)


class Sums(dict[str, float]):
    """A cube's value: named sums, added key by key."""

    def add(self, other: Sums) -> None:
        for name, value in other.items():
            self[name] = self.get(name, 0) + value

    def people(self, measure: str) -> int:
        return int(self.get(f"{measure}:people", 0))


def _measures(sums: Sums) -> dict[str, int]:
    return {name: sums.people(name) for name in (*FINDING_MEASURES, *WHOLE_MEASURES)}


def _put(sums: Sums, measure: str, people: int, **values: float) -> None:
    sums[f"{measure}:people"] = sums.get(f"{measure}:people", 0) + people
    for name, value in values.items():
        sums[f"{measure}:{name}"] = sums.get(f"{measure}:{name}", 0) + value


def _put_marks(sums: Sums, prefix: str, marks: q.Marks) -> None:
    _put(
        sums,
        prefix,
        marks.people,
        marks=marks.marks,
        points=marks.points,
        answers=marks.answers,
        sure=marks.confidently_wrong,
    )
    _put(sums, f"{prefix}_sure", marks.sure_people)
    _put(sums, f"{prefix}_other", marks.other_people)


def _finest(scope: Scope, check_id: int | None, period: Period) -> dict[int, dict[Any, Sums]]:
    """check -> {(group, NO_LEVEL, item): sums}, from the five statements."""
    cells: dict[int, dict[Any, Sums]] = defaultdict(lambda: defaultdict(Sums))
    for (check, group, key, moment), r in q.confidence_ratings(scope, check_id, period).items():
        _put(cells[check][(group, NO_LEVEL, key)], moment, r.people, count=r.count, total=r.total)
    for (check, group, key), marks in q.check_marks(scope, check_id, period).items():
        _put_marks(cells[check][(group, NO_LEVEL, key)], "check", marks)
    for (check, group, key), marks in q.follow_up_marks(scope, check_id, period).items():
        _put_marks(cells[check][(group, NO_LEVEL, key)], "fu", marks)
    for (check, group), c in q.cohort(scope, check_id, period).items():
        sums = cells[check][(group, NO_LEVEL, WHOLE)]
        _put(sums, "passed", c.passed)
        _put(sums, "followed", c.followed)
        _put(sums, "not_followed", c.passed - c.followed)
        _put(sums, "used", c.used_answered)
        _put(sums, "used_yes", c.used_yes)
        _put(sums, "used_other", c.used_other)
    for (check, group, name), r in q.reactions(scope, check_id, period).items():
        _put(cells[check][(group, NO_LEVEL, WHOLE)], name, r.people, count=r.count, total=r.total)
    return cells


@dataclass(frozen=True)
class ImpactCube:
    cube: Suppressed
    findings: list[q.ImpactFinding]
    #: Weeks from a pass to its follow-up (the check's setting), None: no follow-up.
    weeks: int | None = None

    def get(self, group: Hashable, item: Hashable) -> Sums:
        return self.cube.get(group, ALL_LEVELS, item) or Sums()


def impact_cubes(
    scope: Scope,
    layout: Layout,
    period: Period,
    *,
    threshold: int,
    check_id: int | None = None,
) -> dict[int, ImpactCube]:
    """The impact cube of each check with figures in the period (or of `check_id` only):
    six statements whatever the number of checks, groups or people."""
    by_group = Layout(layout.groups, (), layout.parents)
    finest = _finest(scope, check_id, period)
    findings = q.check_findings(finest)
    cubes = {}
    for check, cells in finest.items():
        weeks, check_findings = findings.get(check, (None, []))
        known = [f.key for f in check_findings]
        present = {item for _, _, item in cells}
        items = (*known, *sorted(i for i in present if isinstance(i, str) and i not in known))
        items = (*items, WHOLE)
        cubes[check] = ImpactCube(
            suppress_cube(
                cube(dict(cells), by_group, items, Sums),
                by_group,
                items,
                measures=_measures,
                rules=RULES,
                threshold=threshold,
            ),
            check_findings,
            weeks,
        )
    return cubes


# ---------------------------------------------------------------------------------------
# Figures as shown


def _hidden_as(hidden: Hidden, keys: list[tuple[Any, ...]], threshold: int) -> str | None:
    """'fewer than N' when the figure's own cells are small, '[c]' when it is hidden to
    protect another, None when shown. The first two keys are the figure's part and whole."""
    if not any(key in hidden for key in keys):
        return None
    small = any(key in hidden.small for key in keys[:2])
    return hidden_text(threshold) if small else PROTECTED_TEXT


def round_mean(value: float) -> float:
    """One decimal place, halves rounded up (as percentages are)."""
    return math.floor(value * 10 + 0.5) / 10


@dataclass(frozen=True)
class Mean:
    """A mean rating out of 5 as shown, with the people it comes from, or hidden."""

    count: int
    total: float
    people: int
    hidden_as: str | None = None

    @property
    def hidden(self) -> bool:
        return self.hidden_as is not None

    @property
    def value(self) -> float | None:
        if self.hidden or not self.count:
            return None
        return round_mean(self.total / self.count)

    @property
    def shown(self) -> bool:
        return self.value is not None

    @property
    def value_text(self) -> str:
        return "" if self.value is None else f"{self.value:.1f}"

    @property
    def text(self) -> str:
        if self.hidden_as is not None:
            return self.hidden_as
        if self.value is None:
            return "No ratings"
        return f"{self.value_text} out of 5"

    @property
    def detail(self) -> str:
        if not self.shown:
            return ""
        return f"from {self.people} {'person' if self.people == 1 else 'people'}"


@dataclass(frozen=True)
class FindingImpact:
    """One finding's impact figures for one group (or the scope's total)."""

    before: Mean
    after: Mean
    follow_up: Mean
    #: Marks gained of marks available on the finding's questions, by the same people.
    check_marks: Share
    follow_up_marks: Share
    #: Of the answers to the finding's questions, those wrong and given "very sure".
    check_sure: Share
    follow_up_sure: Share

    def means(self) -> list[Mean]:
        return [self.before, self.after, self.follow_up]


@dataclass(frozen=True)
class CohortFigures:
    #: People who passed in the year.
    passed: Share
    #: Of them, those who answered the follow-up.
    followed: Share
    #: Of follow-up answerers saying whether they have used the learning, those saying yes.
    used: Share


def _mean(
    impact: ImpactCube, group: Hashable, item: Hashable, measure: str, threshold: int
) -> Mean:
    sums = impact.get(group, item)
    key = (measure, group, ALL_LEVELS, item)
    return Mean(
        int(sums.get(f"{measure}:count", 0)),
        float(sums.get(f"{measure}:total", 0)),
        sums.people(measure),
        _hidden_as(impact.cube.hidden, [key, key], threshold),
    )


def _share(
    impact: ImpactCube,
    group: Hashable,
    item: Hashable,
    measures: tuple[str, ...],
    values: tuple[float, float],
    threshold: int,
) -> Share:
    keys = [(m, group, ALL_LEVELS, item) for m in measures]
    return Share(
        values[0],
        values[1],
        _hidden_as(impact.cube.hidden, keys, threshold),
        cells=tuple(("impact", *key) for key in keys),
    )


def finding_impact(
    impact: ImpactCube, group: Hashable, key: str, *, threshold: int
) -> FindingImpact:
    sums = impact.get(group, key)

    def marks(prefix: str) -> Share:
        return _share(
            impact,
            group,
            key,
            (prefix, prefix),
            (sums.get(f"{prefix}:marks", 0), sums.get(f"{prefix}:points", 0)),
            threshold,
        )

    def sure(prefix: str) -> Share:
        return _share(
            impact,
            group,
            key,
            (f"{prefix}_sure", prefix, f"{prefix}_other"),
            (sums.get(f"{prefix}:sure", 0), sums.get(f"{prefix}:answers", 0)),
            threshold,
        )

    before, after, follow_up = (_mean(impact, group, key, m, threshold) for m, _ in MOMENTS)
    return FindingImpact(
        before, after, follow_up, marks("check"), marks("fu"), sure("check"), sure("fu")
    )


def cohort_figures(impact: ImpactCube, group: Hashable, *, threshold: int) -> CohortFigures:
    sums = impact.get(group, WHOLE)
    passed, followed = sums.people("passed"), sums.people("followed")
    return CohortFigures(
        _share(impact, group, WHOLE, ("passed", "passed"), (passed, passed), threshold),
        _share(
            impact,
            group,
            WHOLE,
            ("followed", "passed", "not_followed"),
            (followed, passed),
            threshold,
        ),
        _share(
            impact,
            group,
            WHOLE,
            ("used_yes", "used", "used_other"),
            (sums.people("used_yes"), sums.people("used")),
            threshold,
        ),
    )


def reaction_figures(
    impact: ImpactCube, group: Hashable, *, threshold: int
) -> list[tuple[str, Mean]]:
    return [(text, _mean(impact, group, WHOLE, name, threshold)) for name, text in q.REACTIONS]


# ---------------------------------------------------------------------------------------
# Sentences


def number_words(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def confidence_phrase(finding: q.ImpactFinding) -> str:
    """'confidence to challenge a decision ...': the finding's practice phrasing (it
    completes "How confident are you ...?"), else its text."""
    if finding.confidence:
        return f"confidence {finding.confidence.strip().rstrip('?.').strip()}"
    text = " ".join(finding.text.split()).rstrip(".")
    return f"confidence on “{text}”"


def sentence(
    finding: q.ImpactFinding,
    cohort: CohortFigures,
    figures: FindingImpact,
    *,
    who: str,
    weeks: int | None,
    threshold: int,
) -> str:
    """One plain-English sentence from a finding's figures for the scope. A hidden figure
    is never mentioned: its clause is left out, and a sentence with nothing to say says
    why."""
    clauses = []
    if not cohort.passed.hidden and cohort.passed.part:
        passed = format_amount(cohort.passed.part)
        if not cohort.followed.hidden and cohort.followed.percent is not None:
            clauses.append(
                f"of {passed} {who} who passed, {cohort.followed.percent}% answered the follow-up"
            )
        else:
            clauses.append(f"{passed} {who} passed")
    later = (
        f"{number_words(weeks)} week{'' if weeks == 1 else 's'} later" if weeks else "at follow-up"
    )
    before, after, follow = (m.value if m.shown else None for m in figures.means())
    phrase = confidence_phrase(finding)
    if before is not None and after is not None:
        if after > before:
            change = f"rose from {before:.1f} to {after:.1f} out of 5"
        elif after < before:
            change = f"fell from {before:.1f} to {after:.1f} out of 5"
        else:
            change = f"stayed at {after:.1f} out of 5"
        if follow is not None:
            if abs(follow - after) <= 0.2 + 1e-9:
                change += f" and held at {follow:.1f} {later}"
            elif follow > after:
                change += f" and rose to {follow:.1f} {later}"
            else:
                change += f" and fell back to {follow:.1f} {later}"
        clauses.append(f"{phrase} {change}")
    else:
        moments = [
            f"{value:.1f} out of 5 {when}"
            for value, when in (
                (before, "before the check"),
                (after, "after the check"),
                (follow, later),
            )
            if value is not None
        ]
        if moments:
            clauses.append(f"{phrase} was {' and '.join(moments)}")
    if not clauses:
        return (
            "Figures on this finding are not shown: they come from fewer than"
            f" {threshold} people, or would give such figures away."
        )
    text = "; ".join(clauses)
    return text[0].upper() + text[1:] + "."


# ---------------------------------------------------------------------------------------
# The impact page


def _mean_cell(mean: Mean) -> GridCell:
    return GridCell(
        mean.text,
        mean.detail,
        band(mean.value, **CONFIDENCE_BANDS) if mean.shown else None,
        mean.hidden,
    )


def _share_cell(share: Share, noun: str, *, banded: bool = True) -> GridCell:
    if share.hidden:
        return GridCell(share.text, hidden=True)
    if not share.whole:
        return GridCell("None")
    value = share.percent
    return GridCell(
        f"{value}%",
        f"{share.part_text} of {share.whole_text} {noun}",
        band(value, **MARK_BANDS) if banded else None,
    )


def _count_cell(share: Share) -> GridCell:
    if share.hidden:
        return GridCell(share.text, hidden=True)
    return GridCell(share.part_text or "0")


#: The finding grids of the impact page: title, and how a cell is drawn.
FINDING_GRIDS = (
    ("before", "Confidence before the check (mean, out of 5)", lambda f: _mean_cell(f.before)),
    ("after", "Confidence after the check (mean, out of 5)", lambda f: _mean_cell(f.after)),
    ("follow-up", "Confidence at follow-up (mean, out of 5)", lambda f: _mean_cell(f.follow_up)),
    (
        "check-marks",
        "Marks at the check on the finding's questions, by the people asked about it again",
        lambda f: _share_cell(f.check_marks, "marks"),
    ),
    (
        "follow-up-marks",
        "Marks at follow-up on the finding's questions",
        lambda f: _share_cell(f.follow_up_marks, "marks"),
    ),
    (
        "check-sure",
        "Answers wrong and given “very sure” at the check",
        lambda f: _share_cell(f.check_sure, "answers", banded=False),
    ),
    (
        "follow-up-sure",
        "Answers wrong and given “very sure” at follow-up",
        lambda f: _share_cell(f.follow_up_sure, "answers", banded=False),
    ),
)


@dataclass(frozen=True)
class ImpactPage:
    check_id: int
    title: str
    period: Period
    weeks: int | None
    #: People who passed and their follow-ups, by group.
    cohort: Grid
    #: One grid per figure: findings by group.
    grids: list[Grid]
    reactions: list[tuple[str, Mean]]
    hidden_as: str
    #: The cube's figures, for tests and checks: (finding key, group) -> figures.
    figures: dict[tuple[str, Hashable], FindingImpact]
    cohorts: dict[Hashable, CohortFigures]

    @property
    def empty(self) -> bool:
        return not self.cohort.columns[:-1] and not any(g.rows for g in self.grids)


def impact_page(
    scope: Scope,
    filters: Filters,
    options: Choices,
    check_id: int,
    *,
    title: str,
    threshold: int,
) -> ImpactPage:
    """A check's impact figures by group for the reporting year `filters.period`."""
    from .pages import _shown_groups, layout_for, total_label  # the pages import us

    layout = layout_for(scope, options)
    period = filters.period
    impact = impact_cubes(scope, layout, period, threshold=threshold, check_id=check_id).get(
        check_id
    )
    if impact is None:
        weeks, findings = q.check_findings([check_id]).get(check_id, (None, []))
        impact = ImpactCube(Suppressed({}, Hidden((), ())), findings, weeks)

    def has_figures(group: Hashable) -> bool:
        return any(
            any(v for k, v in impact.get(group, item).items() if k.endswith(":people"))
            for item in (WHOLE, *(f.key for f in impact.findings))
        )

    columns = [
        *_shown_groups(scope, filters, options, layout, has_figures),
        (TOTAL, total_label(scope)),
    ]
    cohorts = {group: cohort_figures(impact, group, threshold=threshold) for group, _ in columns}
    cohort = Grid(
        "impact-cohort",
        "People who passed in the year, and their follow-ups",
        "Figure",
        columns,
        [
            GridRow("People who passed", [_count_cell(cohorts[g].passed) for g, _ in columns]),
            GridRow(
                "Answered the follow-up",
                [_share_cell(cohorts[g].followed, "people", banded=False) for g, _ in columns],
            ),
            GridRow(
                "Said they have used the learning in their practice",
                [
                    _share_cell(cohorts[g].used, "people answering", banded=False)
                    for g, _ in columns
                ],
            ),
        ],
    )
    figures = {
        (finding.key, group): finding_impact(impact, group, finding.key, threshold=threshold)
        for finding in impact.findings
        for group, _ in columns
    }
    shown = [
        finding
        for finding in impact.findings
        if any(v for k, v in impact.get(TOTAL, finding.key).items() if k.endswith(":people"))
    ]
    grids = [
        Grid(
            f"impact-{name}",
            caption,
            "Finding",
            columns,
            [
                GridRow(
                    finding.text,
                    [draw(figures[(finding.key, group)]) for group, _ in columns],
                    kind="Good practice" if finding.kind == "good-practice" else "Concern",
                    markdown=True,
                )
                for finding in shown
            ],
            key=(
                "Low: under 3; Mid: 3 to 3.9; High: 4 or more."
                if name in ("before", "after", "follow-up")
                else "Low: under 60%; Mid: 60% to 79%; High: 80% or more."
                if name.endswith("marks")
                else ""
            ),
        )
        for name, caption, draw in FINDING_GRIDS
    ]
    return ImpactPage(
        check_id,
        title,
        period,
        impact.weeks,
        cohort,
        grids,
        reaction_figures(impact, TOTAL, threshold=threshold),
        hidden_text(threshold),
        figures,
        cohorts,
    )


# ---------------------------------------------------------------------------------------
# The yearly report


@dataclass(frozen=True)
class ReportLine:
    """A finding's impact for the scope as a whole, and its sentence."""

    finding: q.ImpactFinding
    cohort: CohortFigures
    figures: FindingImpact
    sentence: str


def who_passed(scope: Scope) -> str:
    """Who the sentences are about: 'people', or 'people in Police'."""
    return f"people in {scope.agency_name}" if scope.named else "people"


def report_lines(impact: ImpactCube | None, scope: Scope, *, threshold: int) -> list[ReportLine]:
    """The impact section of a check in the yearly report: each finding with ratings or
    follow-up marks, in the bank's order, for the whole scope."""
    if impact is None:
        return []
    cohort = cohort_figures(impact, TOTAL, threshold=threshold)
    lines = []
    for finding in impact.findings:
        sums = impact.get(TOTAL, finding.key)
        if not any(v for k, v in sums.items() if k.endswith(":people")):
            continue
        figures = finding_impact(impact, TOTAL, finding.key, threshold=threshold)
        text = sentence(
            finding,
            cohort,
            figures,
            who=who_passed(scope),
            weeks=impact.weeks,
            threshold=threshold,
        )
        lines.append(ReportLine(finding, cohort, figures, text))
    return lines
