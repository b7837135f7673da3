"""The yearly report as CSV and as a workbook (one sheet per table): the figures hidden
exactly as on the page ("fewer than 5", "[c]"), and nothing a spreadsheet would run as a
formula."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.styles import Font

from .impact import Mean, ReportLine
from .pages import CompletionFigures, LearningFigures, ReportPage, ReportRow
from .suppression import PROTECTED_TEXT

_NUMBER = re.compile(r"-?\d+(\.\d+)?")

STATUS_COLUMNS = [
    "People required",
    "Complete or expiring soon",
    "Completion %",
    "Expiring soon",
    "Due",
    "Overdue",
    "Overdue %",
]
PASS_COLUMNS = [
    "People passing in the year",
    "First attempts",
    "First attempts passed",
    "First-attempt pass %",
]
LEARNING_COLUMNS = [
    "People answering",
    "Marks gained",
    "Marks available",
    "Marks gained %",
    "Wrong answers",
    "Wrong answers given very sure",
    "Very sure when wrong %",
]
#: The CSV: a row per check and group, every figure of the report page.
REPORT_COLUMNS = [
    "Year",
    "Check",
    "Agency or team",
    *STATUS_COLUMNS,
    *PASS_COLUMNS,
    *LEARNING_COLUMNS,
]


def _status(c: CompletionFigures) -> list[str]:
    return [
        c.required.part_text,
        c.held.part_text,
        c.held.percent_text,
        c.expiring.part_text,
        c.due.part_text,
        c.overdue.part_text,
        c.overdue.percent_text,
    ]


def _passes(row: ReportRow) -> list[str]:
    return [
        row.passed_in_year.part_text,
        row.first_pass.whole_text,
        row.first_pass.part_text,
        row.first_pass.percent_text,
    ]


def _learning(row: LearningFigures) -> list[str]:
    return [
        row.people.part_text,
        row.marks.part_text,
        row.marks.whole_text,
        row.marks.percent_text,
        row.confidently_wrong.whole_text,
        row.confidently_wrong.part_text,
        row.confidently_wrong.percent_text,
    ]


def report_rows(page: ReportPage) -> Iterable[list[str]]:
    """The CSV's rows. Status columns stay empty for a past year (status at its end is
    not recorded)."""
    for check in page.checks:
        for row in check.rows:
            status = _status(row.completion) if row.completion else [""] * len(STATUS_COLUMNS)
            yield [
                page.period.label,
                check.title,
                row.learning.label,
                *status,
                *_passes(row),
                *_learning(row.learning),
            ]


#: The impact CSV and sheet: a row per check and finding, for the whole scope.
IMPACT_COLUMNS = [
    "Year",
    "Check",
    "Agency or team",
    "Finding",
    "Offered a follow-up",
    "Answered the follow-up",
    "Answered the follow-up %",
    "Said they used the learning",
    "Answering whether they used it",
    "Used the learning %",
    "Confidence before (mean out of 5, paired)",
    "People rating before and after",
    "Confidence after (mean out of 5, paired)",
    "People rating before and after (after)",
    "Confidence at follow-up (mean out of 5, of them)",
    "Of them, rating at follow-up",
    "Weak findings: marks at the check",
    "Weak findings: marks available at the check",
    "Weak findings: marks at the check %",
    "Weak findings: marks at follow-up",
    "Weak findings: marks available at follow-up",
    "Weak findings: marks at follow-up %",
    "Weak findings: wrong answers given very sure at the check %",
    "Weak findings: wrong answers given very sure at follow-up %",
    "Sentence",
]


def _mean(mean: Mean) -> list[str]:
    if mean.hidden_as is not None:
        return [mean.hidden_as, mean.hidden_as]
    return [mean.value_text, str(mean.people) if mean.shown else ""]


def impact_rows(page: ReportPage) -> Iterable[list[str]]:
    """The impact section's rows, per agency (per team for an agency's lead) and the
    scope's total: hidden figures read as on the page. Never what anyone wrote as their
    example of practice: only figures and the generated sentence."""
    for check in page.checks:
        for label, lines in check.impact_groups:
            for line in lines:
                yield _impact_row(page, check.title, label, line)


def _impact_row(page: ReportPage, title: str, label: str, line: ReportLine) -> list[str]:
    cohort, f = line.cohort, line.figures
    # A check with no follow-ups: its follow-up columns are empty.
    follow = (
        [
            cohort.offered.part_text,
            cohort.followed.part_text,
            cohort.followed.percent_text,
            cohort.used.part_text,
            cohort.used.whole_text,
            cohort.used.percent_text,
        ]
        if cohort
        else [""] * 6
    )
    marks = [
        f.check_marks.part_text,
        f.check_marks.whole_text,
        f.check_marks.percent_text,
        f.follow_up_marks.part_text,
        f.follow_up_marks.whole_text,
        f.follow_up_marks.percent_text,
        f.check_sure.percent_text,
        f.follow_up_sure.percent_text,
    ]
    return [
        page.period.label,
        title,
        label,
        line.finding.text,
        *follow,
        *_mean(f.before),
        *_mean(f.after),
        *(_mean(f.follow_up) if cohort else ["", ""]),
        *(marks if cohort else [""] * len(marks)),
        line.sentence,
    ]


def safe_text(value: str) -> str:
    """Names and titles are typed by people: keep spreadsheets from running them as
    formulas."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def report_tables(
    page: ReportPage, group_word: str
) -> list[tuple[str, list[str], list[list[str]]]]:
    """(sheet name, header, rows) for every table of the report page."""
    group = group_word.capitalize()
    completion = []
    passes = []
    learning = []
    findings = []
    for check in page.checks:
        for row in check.rows:
            if row.completion is not None:
                completion.append([check.title, row.completion.label, *_status(row.completion)])
            passes.append([check.title, row.learning.label, *_passes(row)])
            learning.append([check.title, row.learning.label, *_learning(row.learning)])
        for label, figures in check.findings:
            findings.append([check.title, label.text, *_learning(figures)])
    tables = []
    if page.current:
        tables.append(("Completion", ["Check", group, *STATUS_COLUMNS], completion))
    tables += [
        ("Passes", ["Check", group, *PASS_COLUMNS], passes),
        ("Learning", ["Check", group, *LEARNING_COLUMNS], learning),
        ("Learning by finding", ["Check", "Finding", *LEARNING_COLUMNS], findings),
        ("Impact", IMPACT_COLUMNS, list(impact_rows(page))),
    ]
    return tables


def workbook(page: ReportPage, *, title: str, group_word: str, threshold: int) -> bytes:
    """The report's tables as an XLSX workbook, after a sheet saying what it is."""
    book = Workbook()
    about = book.active
    about.title = "About"
    for line in (
        [title],
        [f"1 April {page.period.start.year} to 31 March {page.period.start.year + 1}."],
        [
            f"Figures built from fewer than {threshold} people read 'fewer than {threshold}'."
            f" Figures that would let someone work a hidden one out read '{PROTECTED_TEXT}'."
        ],
        ["Results are for learning, not blame."],
    ):
        about.append(line)
    about["A1"].font = Font(bold=True)
    for name, header, rows in report_tables(page, group_word):
        sheet = book.create_sheet(name)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(list(_values(row)))
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _values(row: list[str]) -> Iterable[object]:
    """Numbers as numbers; text as text that no spreadsheet runs as a formula."""
    for value in row:
        if _NUMBER.fullmatch(value):
            yield float(value) if "." in value else int(value)
        else:
            yield safe_text(value)
