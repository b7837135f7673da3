"""The dashboards' pages: figures as shown, each a slice of one suppressed cube.

Every page, filter and CSV of a scope shows cells of the same cubes
(quizapp.dashboards.disclosure): completion statuses per check; first attempts, people
passing and marks per check and reporting year. A filter (agency, team, level) only
chooses which cells to show, so two pages can never be subtracted to read a group the
cubes hide. The queries behind them are in quizapp.dashboards.queries.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup

from ..models import SECTOR_LABELS
from ..models.tally import NO_LEVEL
from .charts import Bar, bar_chart
from .disclosure import (
    ALL_LEVELS,
    NO_ITEM,
    TOTAL,
    Cell,
    Layout,
    Rule,
    Suppressed,
    cube,
    suppress_cube,
)
from .grid import MARK_BANDS, MARK_KEY, Grid, GridCell, GridRow, band, finding_kind
from .impact import WHOLE as IMPACT_WHOLE
from .impact import ImpactCube, ReportLine, impact_cubes, report_lines
from .periods import Period
from .queries import (
    Choices,
    Filters,
    FindingLabel,
    MarkSums,
    PassCounts,
    StatusCounts,
    finding_labels,
    mark_sums,
    passes_by_month,
    question_finding_keys,
    question_prompts,
    status_counts,
    year_figures,
)
from .scope import Scope
from .suppression import PROTECTED_TEXT, Equation, Hidden, Share, hidden_text, suppress

#: Weakest questions listed on the learning page.
WEAKEST = 5
#: The item of a whole attempt's marks (all its scored questions).
WHOLE = ("whole",)

STATUS_RULES = (
    Rule("required", ("held", "due", "overdue"), group=True),
    Rule("held", ("complete", "expiring"), group=True),
)
FIRST_RULES = (Rule("attempted", ("passed", "failed"), group=True),)
LEARNING_RULES = (
    # Nothing about the wrong answers of people too few to show their marks.
    Rule("marks", ("wrong",), group=True, adds_up=False),
    # Wrong answers are those given "very sure" and the others, from the same people.
    Rule("wrong", ("sure", "unsure"), group=True, disjoint=False),
)


def _status_measures(c: StatusCounts) -> dict[str, int]:
    return {
        "required": c.required,
        "held": c.held,
        "complete": c.complete,
        "expiring": c.expiring,
        "due": c.due,
        "overdue": c.overdue,
    }


def _first_measures(p: PassCounts) -> dict[str, int]:
    return {"attempted": p.attempted, "passed": p.passed, "failed": p.attempted - p.passed}


def _learning_measures(s: MarkSums) -> dict[str, int]:
    return {
        "marks": s.people,
        "wrong": s.wrong_people,
        "sure": s.sure_people,
        "unsure": s.unsure_people,
    }


@dataclass
class People:
    """A count of people, as a cube's value."""

    count: int = 0

    def add(self, other: People) -> None:
        self.count += other.count


# ---------------------------------------------------------------------------------------
# Cubes


def layout_for(scope: Scope, options: Choices) -> Layout:
    """The scope's rows (agencies; or an agency's teams and its people in no team) and
    the levels its filters offer."""
    if scope.partnership:
        groups: tuple[Hashable, ...] = tuple(i for i, _ in options.agencies)
        parents = {agency: sector_key(sector) for agency, sector in options.sectors.items()}
        return Layout(groups, tuple(options.levels), parents)
    groups = (*(i for i, _ in options.teams), None)
    return Layout(groups, tuple(options.levels))


def sector_key(sector: str) -> tuple[str, str]:
    """A sector as a group of the partnership's cubes: its agencies added up."""
    return ("sector", sector)


def _broad(filters: Filters) -> Filters:
    """What a cube counts: the whole scope for the check and period, whatever the page's
    agency, team or level filter shows of it."""
    return Filters(period=filters.period, check_id=filters.check_id)


def _per_check(finest: Mapping[tuple[Any, Any, int], Any]) -> dict[int, dict[Cell, Any]]:
    """{(group, level, check): value} as {check: {(group, level, NO_ITEM): value}}."""
    split: dict[int, dict[Cell, Any]] = defaultdict(dict)
    for (group, level, check), value in finest.items():
        split[check][(group, level, NO_ITEM)] = value
    return split


def status_cubes(
    scope: Scope, layout: Layout, filters: Filters, *, now: datetime, threshold: int
) -> dict[int, Suppressed]:
    """Completion statuses now, per check. An agency's own lead sees their people's
    statuses by name (the overdue list), so their counts are never hidden from them."""
    counts = status_counts(scope, _broad(filters), now=now, by_level=True)
    if scope.named:
        threshold = 1
    return {
        check: suppress_cube(
            cube(finest, layout, (NO_ITEM,), StatusCounts),
            layout,
            (NO_ITEM,),
            measures=_status_measures,
            rules=STATUS_RULES,
            threshold=threshold,
        )
        for check, finest in _per_check(counts).items()
    }


def year_cubes(
    scope: Scope, layout: Layout, filters: Filters, *, threshold: int
) -> tuple[dict[int, Suppressed], dict[int, Suppressed]]:
    """First attempts (and passes among them) and people passing, per check in the
    reporting year `filters.period`: one statement over the yearly counts. People passing
    are published for all levels only, so their cube has no levels."""
    first, passing, _ = year_figures(scope, _broad(filters), by_level=True)
    firsts = {
        check: suppress_cube(
            cube(finest, layout, (NO_ITEM,), PassCounts),
            layout,
            (NO_ITEM,),
            measures=_first_measures,
            rules=FIRST_RULES,
            threshold=threshold,
        )
        for check, finest in _per_check(first).items()
    }
    by_group = Layout(layout.groups, (), layout.parents)
    passed = {check: {} for check in {c for *_, c in passing}}
    for (group, _, check), count in passing.items():
        passed[check].setdefault((group, NO_LEVEL, NO_ITEM), People()).add(People(count))
    passers = {
        check: suppress_cube(
            cube(finest, by_group, (NO_ITEM,), People),
            by_group,
            (NO_ITEM,),
            measures=lambda p: {"passing": p.count},
            threshold=threshold,
        )
        for check, finest in passed.items()
    }
    return firsts, passers


@dataclass(frozen=True)
class LearningCube:
    cube: Suppressed
    #: (bank key, finding key) of the findings with answers, and of the questions.
    findings: list[tuple[str, str]]
    questions: list[tuple[str, str]]
    #: Question -> the findings it tests.
    tests: dict[tuple[str, str], list[tuple[str, str]]]


def finding_item(key: tuple[str, str]) -> tuple[str, str, str]:
    return ("finding", *key)


def question_item(key: tuple[str, str]) -> tuple[str, str, str]:
    return ("question", *key)


def learning_cubes(
    scope: Scope, layout: Layout, filters: Filters, *, threshold: int
) -> dict[int, LearningCube]:
    """Marks per check in the period, by group, level and item: each finding, each
    question and whole attempts, suppressed as one (a finding is the sum of its
    questions, a whole attempt of all of them). Three statements, and the questions'
    findings."""
    broad, period = _broad(filters), filters.period
    by = ("check", "group", "level")
    finest: dict[tuple[Any, ...], MarkSums] = {}
    for key, value in mark_sums(scope, broad, period, by=(*by, "finding")).items():
        finest[(*key[:3], finding_item(key[3:]))] = value
    for key, value in mark_sums(scope, broad, period, by=by).items():
        finest[(*key, WHOLE)] = value
    for key, value in mark_sums(scope, broad, period, by=(*by, "question")).items():
        finest[(*key[:3], question_item(key[3:]))] = value
    tests = question_finding_keys()
    per_check: dict[int, dict[Cell, MarkSums]] = defaultdict(dict)
    for (check, group, level, item), value in finest.items():
        per_check[check][(group, level, item)] = value
    cubes = {}
    for check, cells in per_check.items():
        present = {item for _, _, item in cells}
        findings = sorted(item[1:] for item in present if item[0] == "finding")
        questions = sorted(item[1:] for item in present if item[0] == "question")
        items = (
            *(finding_item(f) for f in findings),
            *(question_item(q) for q in questions),
            WHOLE,
        )
        sums = [
            (finding_item(f), [question_item(q) for q in questions if f in tests.get(q, [])])
            for f in findings
        ]
        sums.append((WHOLE, [question_item(q) for q in questions]))
        cubes[check] = LearningCube(
            suppress_cube(
                cube(cells, layout, items, MarkSums),
                layout,
                items,
                measures=_learning_measures,
                rules=LEARNING_RULES,
                item_sums=[(total, parts) for total, parts in sums if parts],
                threshold=threshold,
            ),
            findings,
            questions,
            tests,
        )
    return cubes


# ---------------------------------------------------------------------------------------
# Figures as shown


def _hidden_as(
    hidden: Hidden, part: Hashable, whole: Hashable, *others: Hashable, threshold: int
) -> str | None:
    """What a figure (a part of a whole: never more) drawn from these cells shows instead,
    or None when it is shown: "fewer than N" when its part or whole is small, "[c]" when
    it is hidden to protect another figure (or because a cell it is drawn from is)."""
    if not any(key in hidden for key in (part, whole, *others)):
        return None
    small = part in hidden.small or whole in hidden.small
    return hidden_text(threshold) if small else PROTECTED_TEXT


@dataclass(frozen=True)
class Context:
    """Where a cube's cells come from, to name them (`Share.cells`)."""

    kind: str
    check_id: int
    period: str | None

    def cells(self, *keys: tuple[Any, ...]) -> tuple[tuple[Any, ...], ...]:
        return tuple((self.kind, self.check_id, self.period, *key) for key in keys)


def _figure(
    suppressed: Suppressed,
    context: Context,
    part: tuple[Any, ...],
    whole: tuple[Any, ...],
    values: tuple[float, float],
    *others: tuple[Any, ...],
    threshold: int,
) -> Share:
    return Share(
        values[0],
        values[1],
        _hidden_as(suppressed.hidden, part, whole, *others, threshold=threshold),
        cells=context.cells(part, whole, *others),
    )


@dataclass(frozen=True)
class CompletionFigures:
    label: str
    #: A group id (agency or team; None for "No team"), or TOTAL.
    key: Hashable
    required: Share
    complete: Share
    expiring: Share
    due: Share
    overdue: Share
    #: Complete or expiring soon, out of people required: the completion rate.
    held: Share
    #: First attempts passed, out of first attempts in the period.
    first_pass: Share

    @property
    def is_total(self) -> bool:
        return self.key == TOTAL


def completion_figures(
    status: Suppressed | None,
    first: Suppressed | None,
    *,
    check_id: int,
    period: Period,
    group: Hashable,
    level: Any,
    label: str,
    threshold: int,
) -> CompletionFigures:
    """One row of a check's completion table: its statuses now, its first attempts in the
    period."""
    status = status or EMPTY
    first = first or EMPTY
    counts = status.get(group, level) or StatusCounts()
    passes = first.get(group, level) or PassCounts()
    at = (group, level, NO_ITEM)
    context = Context("status", check_id, None)
    required = ("required", *at)

    def of(name: str) -> Share:
        value = getattr(counts, name)
        return _figure(
            status, context, (name, *at), required, (value, counts.required), threshold=threshold
        )

    first_context = Context("first", check_id, period.key)
    return CompletionFigures(
        label=label,
        key=group,
        required=_figure(
            status,
            context,
            required,
            required,
            (counts.required, counts.required),
            threshold=threshold,
        ),
        complete=of("complete"),
        expiring=of("expiring"),
        due=of("due"),
        overdue=of("overdue"),
        held=of("held"),
        first_pass=_figure(
            first,
            first_context,
            ("passed", *at),
            ("attempted", *at),
            (passes.passed, passes.attempted),
            ("failed", *at),
            threshold=threshold,
        ),
    )


#: A cube with no figures.
EMPTY = Suppressed({}, Hidden((), ()))


@dataclass(frozen=True)
class LearningFigures:
    label: str
    key: Hashable
    people: Share
    marks: Share
    #: Wrong answers given at certainty 3, out of wrong answers.
    confidently_wrong: Share

    @property
    def hidden(self) -> bool:
        return self.marks.hidden

    @property
    def is_total(self) -> bool:
        return self.key == TOTAL


def learning_figures(
    learning: LearningCube | None,
    *,
    check_id: int,
    period: Period,
    group: Hashable,
    level: Any,
    item: Hashable,
    label: str,
    threshold: int,
) -> LearningFigures:
    """One cell of marks: a group's marks on an item (a finding, a question, whole
    attempts), and of its wrong answers, those given "very sure"."""
    suppressed = learning.cube if learning is not None else EMPTY
    sums = suppressed.get(group, level, item) or MarkSums()
    at = (group, level, item)
    context = Context("learning", check_id, period.key)
    marks = ("marks", *at)
    return LearningFigures(
        label=label,
        key=group,
        people=_figure(
            suppressed, context, marks, marks, (sums.people, sums.people), threshold=threshold
        ),
        marks=_figure(
            suppressed, context, marks, marks, (sums.marks, sums.points), threshold=threshold
        ),
        confidently_wrong=_figure(
            suppressed,
            context,
            ("sure", *at),
            ("wrong", *at),
            (sums.confidently_wrong, sums.wrong),
            ("unsure", *at),
            marks,
            threshold=threshold,
        ),
    )


# ---------------------------------------------------------------------------------------
# Rows


def total_label(scope: Scope) -> str:
    return "All agencies" if scope.partnership else f"All of {scope.agency_name}"


def _impact_groups(
    scope: Scope,
    filters: Filters,
    options: Choices,
    layout: Layout,
    impact: ImpactCube | None,
    threshold: int,
) -> list[tuple[str, list[ReportLine]]]:
    """A check's impact lines per group with figures (as the impact page's columns),
    then the scope's total."""
    if impact is None:
        return []

    def has_figures(group: Hashable) -> bool:
        return any(
            any(v for k, v in impact.get(group, item).items() if k.endswith(":people"))
            for item in (IMPACT_WHOLE, *(f.key for f in impact.findings))
        )

    groups = [
        *_shown_groups(scope, filters, options, layout, has_figures),
        (TOTAL, total_label(scope)),
    ]
    return [
        (
            label,
            report_lines(impact, scope, threshold=threshold, group=group, who=f"people in {label}"),
        )
        for group, label in groups
    ]


def _shown_groups(
    scope: Scope,
    filters: Filters,
    options: Choices,
    layout: Layout,
    has_figures: Callable[[Hashable], bool],
    *,
    by_sector: bool = False,
) -> list[tuple[Hashable, str]]:
    """The rows a table shows: the groups (or sectors) with figures (in label order),
    narrowed to the agency or team filtered on."""
    if by_sector:
        labels: dict[Any, str] = {key: SECTOR_LABELS[key[1]] for key in layout.middle}
        candidates: tuple[Hashable, ...] = layout.middle
    else:
        labels, candidates = options.group_labels(scope), layout.groups
    chosen = filters.agency_id if scope.partnership else filters.team_id
    groups = [
        group
        for group in candidates
        if has_figures(group) and (chosen is None or group == chosen) and group in labels
    ]
    groups.sort(key=lambda group: (group is None, labels[group].casefold()))
    return [(group, labels[group]) for group in groups]


def _level(filters: Filters) -> Any:
    return ALL_LEVELS if filters.level is None else filters.level


def _focus(scope: Scope, filters: Filters) -> Hashable:
    """The group a page's single figures are about: the agency or team filtered on, or the
    scope's total."""
    chosen = filters.agency_id if scope.partnership else filters.team_id
    return TOTAL if chosen is None else chosen


# ---------------------------------------------------------------------------------------
# Completion


@dataclass(frozen=True)
class CheckCompletion:
    check_id: int
    title: str
    rows: list[CompletionFigures]
    chart: Markup

    @property
    def total(self) -> CompletionFigures:
        return self.rows[-1]

    @property
    def groups(self) -> list[CompletionFigures]:
        return self.rows[:-1]


@dataclass(frozen=True)
class TrendMonth:
    label: str
    passes: Share


@dataclass(frozen=True)
class CompletionPage:
    checks: list[CheckCompletion]
    #: Passes per month: for one check over the whole scope only (empty otherwise).
    trend: list[TrendMonth]
    trend_chart: Markup | None
    hidden_as: str


def completion_page(
    scope: Scope, filters: Filters, options: Choices, *, now: datetime, threshold: int
) -> CompletionPage:
    """Status counts, first attempts and (for one check) passes per month: three
    statements."""
    layout = layout_for(scope, options)
    statuses = status_cubes(scope, layout, filters, now=now, threshold=threshold)
    firsts, _ = year_cubes(scope, layout, filters, threshold=threshold)
    titles = dict(options.checks)
    level = _level(filters)
    sections = []
    for check_id in sorted(
        set(statuses) | set(firsts), key=lambda check: titles.get(check, "").casefold()
    ):
        status, first = statuses.get(check_id), firsts.get(check_id)

        def has_figures(group: Hashable, status=status, first=first) -> bool:
            counts = status.get(group, level) if status else None
            passes = first.get(group, level) if first else None
            return bool((counts and counts.required) or (passes and passes.attempted))

        rows = [
            *_shown_groups(scope, filters, options, layout, has_figures),
            (TOTAL, total_label(scope)),
        ]
        if not has_figures(TOTAL):
            continue
        figures = [
            completion_figures(
                status,
                first,
                check_id=check_id,
                period=filters.period,
                group=group,
                level=level,
                label=label,
                threshold=threshold,
            )
            for group, label in rows
        ]
        title = titles.get(check_id, "Check")
        chart = bar_chart(
            chart_id=f"completion-{check_id}",
            title=f"{title}: completion by {scope.group_word}",
            description=(
                f"Horizontal bars: the percentage of people required who hold a current"
                f" pass, for each {scope.group_word} and in total. Figures under"
                f" {threshold} people are hidden, and so are figures that would give"
                " them away."
            ),
            bars=[
                Bar(row.label, None if row.held.hidden else row.held.percent, row.held.text)
                for row in figures
                if row.required.hidden or row.required.part
            ],
            maximum=100,
        )
        sections.append(CheckCompletion(check_id, title, figures, chart))
    trend: list[TrendMonth] = []
    trend_chart = None
    whole_scope = filters.agency_id is None and filters.team_id is None and filters.level is None
    if filters.check_id is not None and whole_scope:
        trend = _trend(scope, filters, threshold=threshold)
        trend_chart = bar_chart(
            chart_id="trend",
            title="Passes per month",
            description=(
                "Horizontal bars, one per month, oldest first: how many passes were recorded"
                f" that month. Months with fewer than {threshold} people passing are hidden,"
                " and so are months that would give them away."
            ),
            bars=[
                Bar(m.label, None if m.passes.hidden else m.passes.part, m.passes.part_text)
                for m in trend
            ],
            maximum=max((m.passes.part or 0 for m in trend if not m.passes.hidden), default=0),
        )
    return CompletionPage(sections, trend, trend_chart, hidden_text(threshold))


def _trend(scope: Scope, filters: Filters, *, threshold: int) -> list[TrendMonth]:
    """People passing the check each month of the period, over the whole scope. The
    months add up to about the people passing in the year (the yearly report's figure),
    so they are suppressed as parts of that total."""
    months = passes_by_month(scope, _broad(filters), filters.period)
    people = {index: months.get(index, (0, 0))[1] for index in range(len(filters.period.months))}
    hidden = suppress(people, threshold=threshold, equations=[Equation(None, tuple(people))])
    context = Context("trend", filters.check_id or 0, filters.period.key)
    trend = []
    for index, month in enumerate(filters.period.months):
        count = months.get(index, (0, 0))[0]
        hidden_as = None
        if index in hidden:
            hidden_as = hidden_text(threshold) if index in hidden.small else PROTECTED_TEXT
        trend.append(
            TrendMonth(
                month.label,
                Share(
                    count,
                    count,
                    hidden_as,
                    cells=context.cells(("passing", TOTAL, ALL_LEVELS, index)),
                ),
            )
        )
    return trend


# ---------------------------------------------------------------------------------------
# Learning


@dataclass(frozen=True)
class FindingGrid:
    label: FindingLabel
    rows: list[LearningFigures]

    @property
    def total(self) -> LearningFigures:
        return self.rows[-1]

    @property
    def groups(self) -> list[LearningFigures]:
        return self.rows[:-1]


@dataclass(frozen=True)
class BankGrid:
    title: str
    findings: list[FindingGrid]
    #: The findings by group as one grid: what the page draws.
    grid: Grid | None = None


@dataclass(frozen=True)
class WeakQuestion:
    bank_key: str
    key: str
    prompt: str
    findings: list[FindingLabel]
    figures: LearningFigures


@dataclass(frozen=True)
class LearningPage:
    banks: list[BankGrid]
    weakest: list[WeakQuestion]
    hidden_as: str


def _learning_cube(
    scope: Scope, filters: Filters, options: Choices, *, threshold: int
) -> LearningCube | None:
    if filters.check_id is None:
        return None
    layout = layout_for(scope, options)
    return learning_cubes(scope, layout, filters, threshold=threshold).get(filters.check_id)


def _finding_grid(
    filters: Filters,
    learning: LearningCube,
    label: FindingLabel,
    rows: list[tuple[Hashable, str]],
    threshold: int,
) -> FindingGrid:
    """A finding's figures for each of `rows` (the grid's columns)."""
    level, item = _level(filters), finding_item((label.bank_key, label.key))
    return FindingGrid(
        label,
        [
            learning_figures(
                learning,
                check_id=filters.check_id or 0,
                period=filters.period,
                group=group,
                level=level,
                item=item,
                label=text,
                threshold=threshold,
            )
            for group, text in rows
        ],
    )


def _learning_cell(finding: FindingLabel, row: LearningFigures) -> GridCell:
    """A grid cell: the share of marks gained, its band and its count, linking to the
    drill-down for that group (or the total)."""
    if row.hidden:
        return GridCell(row.marks.text, hidden=True)
    if not row.people.part:
        return GridCell("No answers")
    value = row.marks.percent
    people = row.people.part_text
    link: dict[str, Any] | None = {"bank_key": finding.bank_key, "finding_key": finding.key}
    if not row.is_total:
        # The people of an agency in no team have no drill-down.
        link = None if row.key is None else {**(link or {}), "group": row.key}
    return GridCell(
        f"{value}%",
        f"{row.marks.part_text} of {row.marks.whole_text} marks, from {people}"
        f" {'person' if row.people.part == 1 else 'people'}",
        band(value, **MARK_BANDS),
        link=link,
        link_hint=f" of marks gained, {row.label}: figures for each question on this finding",
    )


def _learning_grid(
    bank_key: str, grids: list[FindingGrid], columns: list[tuple[Hashable, str]]
) -> Grid:
    return Grid(
        f"learning-{bank_key}",
        f"{grids[0].label.bank_title}: marks gained on each finding's questions",
        "Finding",
        columns,
        [
            GridRow(
                finding.label.text,
                [_learning_cell(finding.label, row) for row in finding.rows],
                kind=finding_kind(finding.label.kind),
                markdown=True,
            )
            for finding in grids
        ],
        key=MARK_KEY,
    )


def learning_page(
    scope: Scope, filters: Filters, options: Choices, *, threshold: int
) -> LearningPage:
    """One check's findings by group, and its weakest questions: the learning cube
    (three statements and the questions' findings), finding labels and prompts."""
    learning = _learning_cube(scope, filters, options, threshold=threshold)
    if learning is None:
        return LearningPage([], [], hidden_text(threshold))
    labels = finding_labels()
    level = _level(filters)
    shown = []
    for key, label in labels.items():
        sums = learning.cube.get(TOTAL, level, finding_item(key))
        if key in learning.findings and sums and sums.people:
            shown.append(label)

    def has_figures(group: Hashable) -> bool:
        """A column for every group with marks on any finding shown, so the grid's
        columns are the same for every finding."""
        for label in shown:
            sums = learning.cube.get(group, level, finding_item((label.bank_key, label.key)))
            if sums and sums.people:
                return True
        return False

    columns = [
        *_shown_groups(scope, filters, options, layout_for(scope, options), has_figures),
        (TOTAL, total_label(scope)),
    ]
    findings: dict[str, list[FindingGrid]] = {}
    for label in shown:
        grid = _finding_grid(filters, learning, label, columns, threshold)
        findings.setdefault(label.bank_key, []).append(grid)
    banks = {
        bank: BankGrid(grids[0].label.bank_title, grids, _learning_grid(bank, grids, columns))
        for bank, grids in findings.items()
    }
    focus = _focus(scope, filters)
    prompts = question_prompts(bank for bank, _ in learning.questions)
    figures = {
        key: learning_figures(
            learning,
            check_id=filters.check_id or 0,
            period=filters.period,
            group=focus,
            level=level,
            item=question_item(key),
            label="",
            threshold=threshold,
        )
        for key in learning.questions
    }
    ranked = sorted(
        (
            (shown.marks.part / shown.marks.whole, key)
            for key, shown in figures.items()
            if not shown.hidden and shown.marks.whole
        ),
        key=lambda item: (item[0], prompts.get(item[1], ("", 0))[1]),
    )
    weakest = [
        WeakQuestion(
            bank_key=key[0],
            key=key[1],
            prompt=prompts.get(key, (key[1], 0))[0],
            findings=[labels[f] for f in learning.tests.get(key, []) if f in labels],
            figures=figures[key],
        )
        for _, key in ranked[:WEAKEST]
    ]
    return LearningPage(list(banks.values()), weakest, hidden_text(threshold))


@dataclass(frozen=True)
class QuestionFigures:
    key: str
    prompt: str
    figures: LearningFigures


@dataclass(frozen=True)
class FindingPage:
    label: FindingLabel
    #: The grid cell this page opens: the group's row, or the scope's total.
    cell: LearningFigures
    questions: list[QuestionFigures]
    hidden_as: str


def finding_page(
    scope: Scope,
    filters: Filters,
    options: Choices,
    finding: tuple[str, str],
    *,
    group: Any,
    threshold: int,
) -> FindingPage | None:
    """One finding's figures for one group (TOTAL: the whole scope) and its questions':
    cells of the same learning cube as the learning page. None when the finding is
    unknown."""
    label = finding_labels().get(finding)
    if label is None:
        return None
    learning = _learning_cube(scope, filters, options, threshold=threshold)
    level = _level(filters)
    group_label = (
        total_label(scope) if group == TOTAL else options.group_labels(scope).get(group, "")
    )

    def figures(item: Hashable, text: str) -> LearningFigures:
        return learning_figures(
            learning,
            check_id=filters.check_id or 0,
            period=filters.period,
            group=group,
            level=level,
            item=item,
            label=text,
            threshold=threshold,
        )

    cell = figures(finding_item(finding), group_label)
    questions: list[QuestionFigures] = []
    if learning is not None:
        prompts = question_prompts([finding[0]])
        keys = [
            key
            for key in learning.questions
            if finding in learning.tests.get(key, [])
            and (learning.cube.get(group, level, question_item(key)) or MarkSums()).people
        ]
        keys.sort(key=lambda key: prompts.get(key, ("", 0))[1])
        for key in keys:
            prompt = prompts.get(key, (key[1], 0))[0]
            questions.append(QuestionFigures(key[1], prompt, figures(question_item(key), prompt)))
    return FindingPage(label, cell, questions, hidden_text(threshold))


# ---------------------------------------------------------------------------------------
# The yearly report


@dataclass
class ReportRow:
    completion: CompletionFigures | None
    passed_in_year: Share
    first_pass: Share
    learning: LearningFigures


@dataclass(frozen=True)
class ReportCheck:
    check_id: int
    title: str
    rows: list[ReportRow] = field(default_factory=list)
    #: The scope's marks on each finding of the check, labelled by the finding's text.
    findings: list[tuple[FindingLabel, LearningFigures]] = field(default_factory=list)
    #: Confidence, follow-ups and use in practice per finding, with a sentence each.
    impact: list[ReportLine] = field(default_factory=list)
    #: The same per agency (per team for an agency's lead), then the scope's total: the
    #: impact download's rows, cells of the one cube the impact page shows.
    impact_groups: list[tuple[str, list[ReportLine]]] = field(default_factory=list)


@dataclass(frozen=True)
class ReportPage:
    period: Period
    #: True when the year includes today, so today's completion status belongs in it.
    current: bool
    checks: list[ReportCheck]
    hidden_as: str


def report_page(
    scope: Scope,
    period: Period,
    options: Choices,
    *,
    now: datetime,
    threshold: int,
    by_sector: bool = False,
) -> ReportPage:
    """Completion and learning per group (or, for the partnership, per sector) and check
    for one reporting year: the same cubes as the completion and learning pages for that
    year, at all levels."""
    filters = Filters(period=period)
    layout = layout_for(scope, options)
    current = period.start <= now < period.end
    statuses = status_cubes(scope, layout, filters, now=now, threshold=threshold) if current else {}
    firsts, passing = year_cubes(scope, layout, filters, threshold=threshold)
    learning = learning_cubes(scope, layout, filters, threshold=threshold)
    impacts = impact_cubes(scope, layout, period, threshold=threshold)
    labels = finding_labels() if learning else {}
    titles = dict(options.checks)
    checks = []
    for check_id in sorted(
        set(statuses) | set(firsts) | set(passing) | set(learning) | set(impacts),
        key=lambda check: titles.get(check, "").casefold(),
    ):
        status, first = statuses.get(check_id), firsts.get(check_id)
        passed, learned = passing.get(check_id), learning.get(check_id)

        def has_figures(
            group: Hashable, status=status, first=first, passed=passed, learned=learned
        ) -> bool:
            values = [cubed.get(group, ALL_LEVELS) if cubed else None for cubed in (status, first)]
            values.append(passed.get(group, ALL_LEVELS) if passed else None)
            values.append(learned.cube.get(group, ALL_LEVELS, WHOLE) if learned else None)
            return any(value is not None and any(dataclasses.astuple(value)) for value in values)

        rows = [
            *_shown_groups(scope, filters, options, layout, has_figures, by_sector=by_sector),
            (TOTAL, total_label(scope)),
        ]
        report_rows = []
        for group, label in rows:
            completion = completion_figures(
                status,
                first,
                check_id=check_id,
                period=period,
                group=group,
                level=ALL_LEVELS,
                label=label,
                threshold=threshold,
            )
            count = (passed.get(group, ALL_LEVELS) if passed else None) or People()
            key = ("passing", group, ALL_LEVELS, NO_ITEM)
            report_rows.append(
                ReportRow(
                    completion=completion if current else None,
                    passed_in_year=_figure(
                        passed or EMPTY,
                        Context("passing", check_id, period.key),
                        key,
                        key,
                        (count.count, count.count),
                        threshold=threshold,
                    ),
                    first_pass=completion.first_pass,
                    learning=learning_figures(
                        learned,
                        check_id=check_id,
                        period=period,
                        group=group,
                        level=ALL_LEVELS,
                        item=WHOLE,
                        label=label,
                        threshold=threshold,
                    ),
                )
            )
        findings = [
            (
                labels[key],
                learning_figures(
                    learned,
                    check_id=check_id,
                    period=period,
                    group=TOTAL,
                    level=ALL_LEVELS,
                    item=finding_item(key),
                    label=labels[key].text,
                    threshold=threshold,
                ),
            )
            for key in labels  # in the bank's order
            if learned and key in learned.findings
        ]
        checks.append(
            ReportCheck(
                check_id,
                titles.get(check_id, "Check"),
                report_rows,
                findings,
                report_lines(impacts.get(check_id), scope, threshold=threshold),
                _impact_groups(scope, filters, options, layout, impacts.get(check_id), threshold),
            )
        )
    return ReportPage(period, current, checks, hidden_text(threshold))
