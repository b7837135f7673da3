"""Did the learning change practice? The impact figures of a check for leads, suppressed
as one cube, and the plain-English sentence per finding of the yearly report.

The figures of one check and reporting year form one cube (quizapp.dashboards.disclosure):
group (each agency or team, and the scope's total) x item (each finding, and the whole
check for figures about people rather than findings) x measure. Each measure counts
distinct people, so a cell built from fewer than the threshold is hidden, and the cube's
equations (groups add up to the total; a share's part and its complement add up to its
whole) hide a second cell wherever a hidden one could be worked out by subtraction. The
impact page, the yearly report's impact section and its downloads show cells of that one
result. People passing per group is not in this cube: the yearly report's own table
(pages.year_cubes) is the one place it is published, so two independent suppressions of
the same figure can't fill each other's hidden cells. Levels are not offered here: the
cube has none. The cube doesn't know that every figure drawn from follow-ups is over
those who answered one: where a group's answerers are hidden, all those figures of the
group are hidden with them (follow_up_hidden), on the page, the report and downloads.

Measures per finding: people rating their confidence both before and after the check
(paired, one attempt a person), and of them those rating it again in a submitted
follow-up; people answering the finding's questions at the check and at follow-up (and
of them, those with a wrong answer, with one given "very sure", and with one not). Per
check (WHOLE), when the check has follow-ups: people offered a follow-up, who answered it
(and who did not), who said whether they have used the learning (yes, or another
answer); and who gave each reaction.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field, replace
from typing import Any

from markupsafe import Markup

from ..markdown import render_markdown
from ..models.tally import NO_LEVEL
from . import impact_queries as q
from .charts import Bar, bar_chart
from .disclosure import ALL_LEVELS, TOTAL, Layout, Rule, Suppressed, cube, suppress_cube
from .grid import MARK_BANDS, MARK_KEY, Grid, GridCell, GridRow, band, finding_kind
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
    "paired",
    "follow-up",
    "check",
    "check_wrong",
    "check_sure",
    "check_other",
    "fu",
    "fu_wrong",
    "fu_sure",
    "fu_other",
)
WHOLE_MEASURES = (
    "offered",
    "followed",
    "not_followed",
    "used",
    "used_yes",
    "used_other",
    *(name for name, _ in q.REACTIONS),
)
RULES = (
    # Nothing about the follow-up ratings of people too few to show their pairs, nor
    # about the wrong answers of people too few to show their marks.
    Rule("paired", ("follow-up",), group=True, adds_up=False),
    Rule("check", ("check_wrong",), group=True, adds_up=False),
    Rule("fu", ("fu_wrong",), group=True, adds_up=False),
    # Wrong answers are those given "very sure" and the others, from the same people.
    Rule("check_wrong", ("check_sure", "check_other"), group=True, disjoint=False),
    Rule("fu_wrong", ("fu_sure", "fu_other"), group=True, disjoint=False),
    # Everyone offered a follow-up either answered it or did not.
    Rule("offered", ("followed", "not_followed"), group=True),
    Rule("used", ("used_yes", "used_other"), group=True),
)
#: Out of 5: the bands of a mean rating.
CONFIDENCE_BANDS = {"mid": 3.0, "high": 4.0}
#: The shading key of a grid of mean ratings.
CONFIDENCE_KEY = "Low: under 3; Mid: 3 to 3.9; High: 4 or more."


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
        wrong=marks.wrong,
        sure=marks.confidently_wrong,
    )
    _put(sums, f"{prefix}_wrong", marks.wrong_people)
    _put(sums, f"{prefix}_sure", marks.sure_people)
    _put(sums, f"{prefix}_other", marks.other_people)


def _finest(scope: Scope, check_id: int | None, period: Period) -> dict[int, dict[Any, Sums]]:
    """check -> {(group, NO_LEVEL, item): sums}, from the five statements."""
    cells: dict[int, dict[Any, Sums]] = defaultdict(lambda: defaultdict(Sums))
    for (check, group, key), p in q.confidence_ratings(scope, check_id, period).items():
        sums = cells[check][(group, NO_LEVEL, key)]
        _put(sums, "paired", p.people, before=p.before, after=p.after)
        _put(sums, "follow-up", p.follow_up_people, total=p.follow_up)
    for (check, group, key), marks in q.check_marks(scope, check_id, period).items():
        _put_marks(cells[check][(group, NO_LEVEL, key)], "check", marks)
    for (check, group, key), marks in q.follow_up_marks(scope, check_id, period).items():
        _put_marks(cells[check][(group, NO_LEVEL, key)], "fu", marks)
    for (check, group), c in q.cohort(scope, check_id, period).items():
        sums = cells[check][(group, NO_LEVEL, WHOLE)]
        _put(sums, "offered", c.offered)
        _put(sums, "followed", c.followed)
        _put(sums, "not_followed", c.offered - c.followed)
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
    #: Weeks from a pass to its follow-up (the check's setting now), None: follow-ups
    #: are off, and no follow-up figure is shown.
    weeks: int | None = None

    @property
    def follows_up(self) -> bool:
        return self.weeks is not None

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


def people_words(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


@dataclass(frozen=True)
class FindingImpact:
    """One finding's impact figures for one group (or the scope's total)."""

    #: Paired: over the same people, those rating the finding before and after the check
    #: (their latest such attempt), so `before.people == after.people`.
    before: Mean
    after: Mean
    #: Of those same attempts, the ratings in a submitted follow-up: its own count.
    follow_up: Mean
    #: On the findings people were weak on (the follow-up asks again about those only):
    #: marks gained of marks available on the finding's questions, at the check and at
    #: follow-up, by the same people.
    check_marks: Share
    follow_up_marks: Share
    #: Of the wrong answers to the finding's questions, those given "very sure" (as
    #: Learning landed counts them).
    check_sure: Share
    follow_up_sure: Share

    def means(self) -> list[Mean]:
        return [self.before, self.after, self.follow_up]


@dataclass(frozen=True)
class CohortFigures:
    #: People offered a follow-up on a pass of the year (see impact_queries.cohort).
    offered: Share
    #: Of them, those who answered it.
    followed: Share
    #: Of follow-up answerers saying whether they have used the learning, those saying yes.
    used: Share


def _mean(
    impact: ImpactCube,
    group: Hashable,
    item: Hashable,
    measure: str,
    threshold: int,
    *,
    count: str = "count",
    total: str = "total",
    within: str | None = None,
) -> Mean:
    """A mean from `measure`'s sums; `within`: the measure whose people it is a part of,
    hidden with it."""
    sums = impact.get(group, item)
    key = (measure, group, ALL_LEVELS, item)
    keys = [key, key if within is None else (within, group, ALL_LEVELS, item)]
    people = sums.people(measure)
    return Mean(
        people if count == "people" else int(sums.get(f"{measure}:{count}", 0)),
        float(sums.get(f"{measure}:{total}", 0)),
        people,
        _hidden_as(impact.cube.hidden, keys, threshold),
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


#: The cells of a group's follow-up answerers: who answered it (a part of those offered
#: one, with its complement, as the "answered" figure is hidden), and who said whether
#: they have used the learning (a required question, so the same people as those
#: answering). Not the parts of "used": hiding them gives nothing of the answerers away.
_FOLLOWED_CELLS = ("followed", "offered", "not_followed", "used")


def follow_up_hidden(impact: ImpactCube, group: Hashable, threshold: int) -> str | None:
    """How a group's follow-up answerers are hidden, or None when they are shown.

    Whoever answered a follow-up is a part of every follow-up figure of the group, and
    "said whether they have used the learning" counts the very same people (the question
    is required) though the cube holds it as its own measure. So where either is hidden,
    every figure drawn from follow-ups in that group is hidden too: otherwise the next
    row's denominator reads the hidden figure out. Hiding the same groups for every
    follow-up figure keeps each figure's groups-add-up equations with no hidden cell or
    two or more (the pattern of the answerers' own cells), so nothing is given away by
    subtraction either."""
    return _hidden_as(
        impact.cube.hidden,
        [(measure, group, ALL_LEVELS, WHOLE) for measure in _FOLLOWED_CELLS],
        threshold,
    )


def _hide(figure: Any, hidden_as: str | None) -> Any:
    """`figure` (a Share or Mean), hidden as `hidden_as` too unless already hidden."""
    if hidden_as is None or figure.hidden:
        return figure
    return replace(figure, hidden_as=hidden_as)


def finding_impact(
    impact: ImpactCube, group: Hashable, key: str, *, threshold: int
) -> FindingImpact:
    sums = impact.get(group, key)
    # A figure over the follow-up answerers of a group whose answerers are hidden is
    # hidden with them, as
    # "[c]" (it protects them) unless small itself.
    follow_up = PROTECTED_TEXT if follow_up_hidden(impact, group, threshold) else None

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
            (f"{prefix}_sure", f"{prefix}_wrong", f"{prefix}_other", prefix),
            (sums.get(f"{prefix}:sure", 0), sums.get(f"{prefix}:wrong", 0)),
            threshold,
        )

    def paired(moment: str) -> Mean:
        return _mean(impact, group, key, "paired", threshold, count="people", total=moment)

    return FindingImpact(
        paired("before"),
        paired("after"),
        _hide(
            _mean(impact, group, key, "follow-up", threshold, count="people", within="paired"),
            follow_up,
        ),
        # Marks at the check on weak findings are over those answering the follow-up
        # too (impact_queries.check_marks).
        _hide(marks("check"), follow_up),
        _hide(marks("fu"), follow_up),
        _hide(sure("check"), follow_up),
        _hide(sure("fu"), follow_up),
    )


def cohort_figures(impact: ImpactCube, group: Hashable, *, threshold: int) -> CohortFigures:
    sums = impact.get(group, WHOLE)
    offered, followed = sums.people("offered"), sums.people("followed")
    # Answering and saying whether they have used the learning are the same people:
    # hidden together (follow_up_hidden).
    hidden = follow_up_hidden(impact, group, threshold)
    return CohortFigures(
        _share(impact, group, WHOLE, ("offered", "offered"), (offered, offered), threshold),
        _hide(
            _share(
                impact,
                group,
                WHOLE,
                ("followed", "offered", "not_followed"),
                (followed, offered),
                threshold,
            ),
            hidden,
        ),
        _hide(
            _share(
                impact,
                group,
                WHOLE,
                ("used_yes", "used", "used_other"),
                (sums.people("used_yes"), sums.people("used")),
                threshold,
            ),
            hidden,
        ),
    )


def reaction_figures(
    impact: ImpactCube, group: Hashable, *, threshold: int
) -> list[tuple[str, Mean]]:
    return [(text, _mean(impact, group, WHOLE, name, threshold)) for name, text in q.REACTIONS]


# ---------------------------------------------------------------------------------------
# Sentences


def confidence_phrase(finding: q.ImpactFinding) -> str:
    """'to challenge a decision ...': the finding's practice phrasing (it completes "How
    confident are you ...?"), else 'on “its text”'. It ends a sentence: a phrasing may
    end with a clause of its own ("..., the same day"), which reads badly before a verb."""
    if finding.confidence:
        return finding.confidence.strip().rstrip("?.").strip()
    text = " ".join(finding.text.split()).rstrip(".")
    return f"on “{text}”"


def lead_in(cohort: CohortFigures | None, *, who: str) -> str:
    """The follow-ups of a check, said once before its findings' sentences: '' when the
    check has none, or none are offered, or their number is hidden."""
    if cohort is None or cohort.offered.hidden or not cohort.offered.part:
        return ""
    offered = format_amount(cohort.offered.part)
    if not cohort.followed.hidden and cohort.followed.percent is not None:
        return (
            f"Of the {offered} {who} offered a follow-up, {cohort.followed.percent}% answered it."
        )
    return f"{offered} {who} were offered a follow-up."


def sentence(
    finding: q.ImpactFinding,
    cohort: CohortFigures | None,
    figures: FindingImpact,
    *,
    who: str,
    threshold: int,
) -> str:
    """One plain-English sentence from a finding's figures for the scope: confidence and
    marks, saying whom each figure is over (the follow-ups offered and answered are said
    once per check: lead_in). `cohort` None: the check has no follow-ups, so nothing
    about them is said. A hidden figure is never mentioned: its clause is left out, and
    a sentence with nothing to say says why.

    Follow-ups are said to be "at follow-up", not "N weeks later": the check's setting
    may have changed since those follow-ups were due."""
    clauses = []
    phrase = confidence_phrase(finding)
    before, after, follow = figures.means()
    if before.shown and after.shown:
        if after.value > before.value:  # type: ignore[operator]
            change = f"rose from {before.value_text} to {after.value_text} out of 5"
        elif after.value < before.value:  # type: ignore[operator]
            change = f"fell from {before.value_text} to {after.value_text} out of 5"
        else:
            change = f"stayed at {after.value_text} out of 5"
        clause = (
            f"of the {people_words(before.people)} who rated their confidence before and"
            f" after the check, confidence {change} {phrase}"
        )
        clauses.append(clause)
        if cohort is not None and follow.shown:
            clauses.append(
                f"the {follow.people} of them who rated it again at follow-up gave"
                f" {follow.value_text} on average"
            )
    if cohort is not None:
        at_check, at_follow_up = figures.check_marks, figures.follow_up_marks
        if (
            at_check.percent is not None
            and at_follow_up.percent is not None
            and at_check.whole
            and at_follow_up.whole
        ):
            clauses.append(
                f"on its questions, those weak on it gained {at_check.percent}% of the marks"
                f" at the check and {at_follow_up.percent}% at follow-up"
            )
    if not clauses:
        return (
            "Figures on this finding are not shown: they come from fewer than"
            f" {threshold} people, or would give such figures away."
        )
    text = "; ".join(clauses)
    return text[0].upper() + text[1:] + "."


# ---------------------------------------------------------------------------------------
# The impact page


def _mean_cell(mean: Mean, detail: str, link: dict[str, Any] | None, hint: str) -> GridCell:
    return GridCell(
        mean.text,
        detail if mean.shown else "",
        band(mean.value, **CONFIDENCE_BANDS) if mean.shown else None,
        mean.hidden,
        link=link if mean.shown else None,
        link_hint=hint,
    )


#: A share over nobody, where the group is large enough to show.
NO_ANSWERS = "No answers"


def _share_cell(
    share: Share,
    noun: str,
    link: dict[str, Any] | None = None,
    hint: str = "",
    *,
    banded: bool = True,
    empty: str = NO_ANSWERS,
) -> GridCell:
    """A share's cell; a true zero (nobody to count it over) as `empty`, shown only where
    its group is shown (a hidden group's cells are hidden, zeros included)."""
    if share.hidden:
        return GridCell(share.text, hidden=True)
    if not share.whole:
        return GridCell(empty)
    value = share.percent
    return GridCell(
        f"{value}%",
        f"{share.part_text} of {share.whole_text} {noun}",
        band(value, **MARK_BANDS) if banded else None,
        link=link,
        link_hint=hint,
    )


def _count_cell(share: Share) -> GridCell:
    if share.hidden:
        return GridCell(share.text, hidden=True)
    return GridCell(share.part_text or "0")


Draw = Callable[[FindingImpact, dict[str, Any] | None, str], GridCell]


def _before(f: FindingImpact, link: dict[str, Any] | None, hint: str) -> GridCell:
    detail = f"of {people_words(f.before.people)} rating before and after"
    return _mean_cell(f.before, detail, link, hint)


def _after(f: FindingImpact, link: dict[str, Any] | None, hint: str) -> GridCell:
    detail = f"of {people_words(f.after.people)} rating before and after"
    return _mean_cell(f.after, detail, link, hint)


def _follow_up(f: FindingImpact, link: dict[str, Any] | None, hint: str) -> GridCell:
    detail = f"from {f.follow_up.people} of them, at follow-up"
    return _mean_cell(f.follow_up, detail, link, hint)


#: The finding grids of the impact page: name, title, whether it is about follow-ups,
#: and how a cell is drawn.
FINDING_GRIDS: tuple[tuple[str, str, bool, Draw], ...] = (
    (
        "before",
        "Confidence before the check (mean, out of 5), of the people rating it both before"
        " and after",
        False,
        _before,
    ),
    (
        "after",
        "Confidence after the check (mean, out of 5), of the same people",
        False,
        _after,
    ),
    (
        "follow-up",
        "Confidence at follow-up (mean, out of 5), of those of them rating it again in a"
        " submitted follow-up",
        True,
        _follow_up,
    ),
    (
        "check-marks",
        "On the findings people were weak on: marks at the check",
        True,
        lambda f, link, hint: _share_cell(f.check_marks, "marks", link, hint),
    ),
    (
        "follow-up-marks",
        "On the findings people were weak on: marks at follow-up",
        True,
        lambda f, link, hint: _share_cell(f.follow_up_marks, "marks", link, hint),
    ),
    (
        "check-sure",
        "On the findings people were weak on: wrong answers given “very sure” at the check",
        True,
        lambda f, link, hint: _share_cell(
            f.check_sure, "wrong answers", link, hint, banded=False, empty="No wrong answers"
        ),
    ),
    (
        "follow-up-sure",
        "On the findings people were weak on: wrong answers given “very sure” at follow-up",
        True,
        lambda f, link, hint: _share_cell(
            f.follow_up_sure, "wrong answers", link, hint, banded=False, empty="No wrong answers"
        ),
    ),
)


def _mean_bar(label: str, mean: Mean) -> Bar | None:
    """A mean rating as a bar; a hidden one as a hatched box saying so, never a bar; None
    (nothing drawn) when nobody gave a rating."""
    if mean.hidden:
        return Bar(label, None, f"Hidden: {mean.text}")
    return None if mean.value is None else Bar(label, mean.value, mean.text)


def _marks_bar(label: str, share: Share) -> Bar | None:
    """A share of marks as a bar of its percentage, hidden or left out as _mean_bar."""
    if share.hidden:
        return Bar(label, None, f"Hidden: {share.text}")
    return Bar(label, float(share.percent or 0), share.text) if share.whole else None


def _chart(chart_id: str, title: str, about: str, bars: list[Bar | None], top: float) -> Markup:
    """A finding's chart of the scope's total; its description says every figure, so the
    chart alone tells a screen reader what the table's total column does."""
    drawn = [bar for bar in bars if bar is not None]
    figures = "; ".join(f"{bar.label.lower()}: {bar.text}" for bar in drawn)
    return bar_chart(
        chart_id=chart_id,
        title=title,
        description=f"{about}: {figures}. The tables below give the same"
        " figures, and each group's.",
        bars=drawn,
        maximum=top,
    )


@dataclass(frozen=True)
class FindingCharts:
    """One finding's charts on the impact page, of the scope's total (the grids' last
    column): confidence before, after and at follow-up; and marks at the check and at
    follow-up on the findings people were weak on. None: nothing to draw (no ratings; no
    follow-ups, or no marks)."""

    finding: q.ImpactFinding
    confidence: Markup | None
    marks: Markup | None

    @property
    def kind(self) -> str:
        return finding_kind(self.finding.kind)


def finding_charts(
    index: int, finding: q.ImpactFinding, figures: FindingImpact, *, total: str, follows_up: bool
) -> FindingCharts:
    text = render_markdown(finding.text).striptags()
    confidence = [
        _mean_bar("Before the check", figures.before),
        _mean_bar("After the check", figures.after),
    ]
    if follows_up:
        confidence.append(_mean_bar("At follow-up", figures.follow_up))
    marks = [
        _marks_bar("At the check", figures.check_marks),
        _marks_bar("At follow-up", figures.follow_up_marks),
    ]
    return FindingCharts(
        finding,
        _chart(
            f"impact-chart-{index}-confidence",
            f"Confidence, {total}: {text}",
            f"{total}, mean confidence out of 5",
            confidence,
            5.0,
        )
        if any(confidence)
        else None,
        _chart(
            f"impact-chart-{index}-marks",
            f"Marks on the findings people were weak on, {total}: {text}",
            f"{total}, on the findings people were weak on, marks gained of marks available",
            marks,
            100.0,
        )
        if follows_up and any(marks)
        else None,
    )


@dataclass(frozen=True)
class ImpactPage:
    check_id: int
    title: str
    period: Period
    #: The check's follow-up weeks now; None: follow-ups are off, and none are shown.
    weeks: int | None
    #: People offered a follow-up and what they answered, by group; None with no
    #: follow-ups.
    cohort: Grid | None
    #: One grid per figure: findings by group.
    grids: list[Grid]
    reactions: list[tuple[str, Mean]]
    hidden_as: str
    #: Each finding's charts, in the grids' order.
    charts: list[FindingCharts] = field(default_factory=list)

    @property
    def confidence(self) -> list[Grid]:
        return [
            g for g in self.grids if g.id in ("impact-before", "impact-after", "impact-follow-up")
        ]

    @property
    def marks(self) -> list[Grid]:
        return [g for g in self.grids if g not in self.confidence]

    @property
    def empty(self) -> bool:
        has_cohort = self.cohort is not None and any(
            not cell.hidden and cell.text not in ("0", NO_ANSWERS)
            for row in self.cohort.rows
            for cell in row.cells
        )
        return not has_cohort and not any(g.rows for g in self.grids)


def _link(finding: q.ImpactFinding, group: Hashable) -> dict[str, Any] | None:
    """The finding's drill-down (Learning landed's) for the group or the total; the
    people of an agency in no team have none."""
    if group is None or not finding.bank_key:
        return None
    link: dict[str, Any] = {"bank_key": finding.bank_key, "finding_key": finding.key}
    return link if group == TOTAL else {**link, "group": group}


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
    cohort = None
    if impact.follows_up:
        cohorts = {g: cohort_figures(impact, g, threshold=threshold) for g, _ in columns}
        cohort = Grid(
            "impact-cohort",
            "Follow-ups offered on the passes of the year, and what people answered",
            "Figure",
            columns,
            [
                GridRow(
                    "Offered a follow-up", [_count_cell(cohorts[g].offered) for g, _ in columns]
                ),
                GridRow(
                    "Answered the follow-up",
                    [
                        _share_cell(cohorts[g].followed, "people offered one", banded=False)
                        for g, _ in columns
                    ],
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
    shown = [
        finding
        for finding in impact.findings
        if any(v for k, v in impact.get(TOTAL, finding.key).items() if k.endswith(":people"))
    ]
    figures = {
        (finding.key, group): finding_impact(impact, group, finding.key, threshold=threshold)
        for finding in shown
        for group, _ in columns
    }
    grids = [
        Grid(
            f"impact-{name}",
            caption,
            "Finding",
            columns,
            [
                GridRow(
                    finding.text,
                    [
                        draw(
                            figures[(finding.key, group)],
                            _link(finding, group),
                            f", {label}: marks on each question of this finding",
                        )
                        for group, label in columns
                    ],
                    kind=finding_kind(finding.kind),
                    markdown=True,
                )
                for finding in shown
            ],
            key=(
                CONFIDENCE_KEY
                if name in ("before", "after", "follow-up")
                else MARK_KEY
                if name.endswith("marks")
                else ""
            ),
        )
        for name, caption, about_follow_ups, draw in FINDING_GRIDS
        if impact.follows_up or not about_follow_ups
    ]
    total = total_label(scope)
    charts = [
        finding_charts(
            index,
            finding,
            figures[(finding.key, TOTAL)],
            total=total,
            follows_up=impact.follows_up,
        )
        for index, finding in enumerate(shown, start=1)
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
        charts,
    )


# ---------------------------------------------------------------------------------------
# The yearly report


@dataclass(frozen=True)
class ReportLine:
    """A finding's impact for the scope as a whole, and its sentence."""

    finding: q.ImpactFinding
    #: None: the check has no follow-ups.
    cohort: CohortFigures | None
    figures: FindingImpact
    sentence: str
    #: The check's follow-ups, said once before its findings' sentences (the same on
    #: every line of a check; '' for none).
    lead_in: str = ""


def who_passed(scope: Scope) -> str:
    """Who the sentences are about: 'people', or 'people in Police'."""
    return f"people in {scope.agency_name}" if scope.named else "people"


def report_lines(
    impact: ImpactCube | None,
    scope: Scope,
    *,
    threshold: int,
    group: Hashable = TOTAL,
    who: str | None = None,
) -> list[ReportLine]:
    """The impact section of a check in the yearly report: each finding with ratings or
    follow-up marks, in the bank's order, for the whole scope (or one `group` of it,
    `who`: 'people in Team A'), from the one cube the page shows too."""
    if impact is None:
        return []
    cohort = cohort_figures(impact, group, threshold=threshold) if impact.follows_up else None
    opening = lead_in(cohort, who=who or who_passed(scope))
    lines = []
    for finding in impact.findings:
        # Findings as the scope's total has them, so every group lists the same ones.
        sums = impact.get(TOTAL, finding.key)
        if not any(v for k, v in sums.items() if k.endswith(":people")):
            continue
        figures = finding_impact(impact, group, finding.key, threshold=threshold)
        text = sentence(
            finding,
            cohort,
            figures,
            who=who or who_passed(scope),
            threshold=threshold,
        )
        lines.append(ReportLine(finding, cohort, figures, text, opening))
    return lines
