"""The yearly report as a workbook: one sheet per table, the figures hidden exactly as on
the page ("fewer than 5", "[c]"), and nothing a spreadsheet would run as a formula."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.styles import Font

from .pages import LearningFigures, ReportPage
from .suppression import PROTECTED_TEXT

_NUMBER = re.compile(r"-?\d+(\.\d+)?")

LEARNING_COLUMNS = [
    "People answering",
    "Marks gained",
    "Marks available",
    "Marks gained %",
    "Wrong answers",
    "Wrong answers given very sure",
    "Very sure when wrong %",
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
            c = row.completion
            if c is not None:
                completion.append(
                    [
                        check.title,
                        c.label,
                        c.required.part_text,
                        c.held.part_text,
                        c.held.percent_text,
                        c.expiring.part_text,
                        c.due.part_text,
                        c.overdue.part_text,
                        c.overdue.percent_text,
                    ]
                )
            passes.append(
                [
                    check.title,
                    row.learning.label,
                    row.passed_in_year.part_text,
                    row.first_pass.whole_text,
                    row.first_pass.part_text,
                    row.first_pass.percent_text,
                ]
            )
            learning.append([check.title, row.learning.label, *_learning(row.learning)])
        for label, figures in check.findings:
            findings.append([check.title, label.text, *_learning(figures)])
    tables = []
    if page.current:
        tables.append(
            (
                "Completion",
                [
                    "Check",
                    group,
                    "People required",
                    "Complete or expiring soon",
                    "Completion %",
                    "Expiring soon",
                    "Due",
                    "Overdue",
                    "Overdue %",
                ],
                completion,
            )
        )
    tables += [
        (
            "Passes",
            [
                "Check",
                group,
                "People passing in the year",
                "First attempts",
                "First attempts passed",
                "First-attempt pass %",
            ],
            passes,
        ),
        ("Learning", ["Check", group, *LEARNING_COLUMNS], learning),
        ("Learning by finding", ["Check", "Finding", *LEARNING_COLUMNS], findings),
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
        elif value and value[0] in "=+-@\t\r":
            yield "'" + value
        else:
            yield value
