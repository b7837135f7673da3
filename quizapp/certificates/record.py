"""The learning record in the shape of the NMC's CPD log for revalidation: dates,
method, topic, link to the Code, number of hours, number of participatory hours.

No Flask here: plain data in, rows out (for the page, the CSV and the PDF alike).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

#: How the learning was done, in the words a CPD log expects.
METHOD = "Online scenario-based competency check (e-learning)"
#: The part of the NMC Code most relevant to safeguarding checks.
CODE_LINK = (
    "Preserve safety, 17: raise concerns immediately if you believe a person is"
    " vulnerable or at risk and needs extra support and protection"
)
#: The CPD log's columns, in its order.
COLUMNS = (
    "Dates",
    "Method",
    "Topic",
    "Link to the Code",
    "Number of hours",
    "Number of participatory hours",
)


@dataclass(frozen=True)
class Entry:
    attempt_id: int
    passed_at: datetime
    check_title: str
    version_number: int
    cpd_minutes: int
    participatory: bool
    code: str
    #: Plain text of the findings the attempt's questions covered.
    findings: tuple[str, ...]
    #: (prompt, the person's own answer) for reflection questions; empty unless asked.
    reflections: tuple[tuple[str, str], ...] = ()

    @property
    def hours(self) -> Decimal:
        return to_hours(self.cpd_minutes)

    @property
    def participatory_hours(self) -> Decimal:
        return self.hours if self.participatory else Decimal(0)

    def topic(self) -> str:
        """The check, what it covered and, when included, the person's reflections."""
        parts = [f"{self.check_title} (version {self.version_number})"]
        if self.findings:
            parts.append("Findings covered: " + "; ".join(self.findings))
        for prompt, answer in self.reflections:
            parts.append(f"My reflection ({prompt}): {answer}")
        return ". ".join(part.rstrip(".") for part in parts) + "."


def to_hours(minutes: int) -> Decimal:
    """Minutes as hours to two places (20 -> 0.33): each row is rounded so that the
    totals are the sums of the figures shown, as someone adding up the log would get."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def hours_text(hours: Decimal) -> str:
    """0.33 -> "0.33", 1.00 -> "1", 0.50 -> "0.5"."""
    return f"{hours:.2f}".rstrip("0").rstrip(".")


def date_text(moment: datetime) -> str:
    from zoneinfo import ZoneInfo

    return f"{moment.astimezone(ZoneInfo('Europe/London')):%-d %B %Y}"


def rows(entries: list[Entry]) -> list[list[str]]:
    """The CPD log's rows, with a totals row last."""
    table = [
        [
            date_text(e.passed_at),
            METHOD,
            e.topic(),
            CODE_LINK,
            hours_text(e.hours),
            hours_text(e.participatory_hours),
        ]
        for e in entries
    ]
    table.append(["Total", "", "", "", *totals(entries)])
    return table


def totals(entries: list[Entry]) -> list[str]:
    hours = sum((e.hours for e in entries), Decimal(0))
    participatory = sum((e.participatory_hours for e in entries), Decimal(0))
    return [hours_text(hours), hours_text(participatory)]


_MARKUP = re.compile(r"[*_`#>\[\]]|\(https?://[^)]*\)")


def plain(markdown: str) -> str:
    """Findings are short Markdown; a log wants plain text."""
    return " ".join(_MARKUP.sub("", markdown).split())
