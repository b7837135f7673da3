"""Certificates and learning records as PDF (fpdf2). No Flask here: plain values in,
bytes out.

DejaVu Sans is used when the machine has it (any name prints); otherwise the PDF core
font, with characters it lacks replaced by their nearest plain letter.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from . import record

FONT_FILES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
)
NEXT_LINE = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}


@dataclass(frozen=True)
class CertificateFacts:
    name: str
    agency: str
    check_title: str
    version_number: int
    passed_at: datetime
    expires_at: datetime
    cpd_minutes: int
    participatory: bool
    code: str
    verify_url: str
    service_name: str


class _Document(FPDF):
    def __init__(self, orientation: str = "P") -> None:
        super().__init__(orientation=orientation, format="A4")
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=18)
        regular, bold = FONT_FILES
        self.unicode = regular.exists() and bold.exists()
        if self.unicode:
            self.add_font("Body", "", str(regular))
            self.add_font("Body", "B", str(bold))
            self.family = "Body"
        else:
            self.family = "Helvetica"
        self.set_title("")

    def text_of(self, value: str) -> str:
        if self.unicode:
            return value
        value = value.replace("\u2019", "'").replace("\u2018", "'")
        value = value.replace("\u201c", '"').replace("\u201d", '"').replace("\u2013", "-")
        value = unicodedata.normalize("NFKD", value)
        return "".join(c for c in value if ord(c) < 256 and not unicodedata.combining(c))

    def style(self, size: float, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)

    def line_of(self, text: str, size: float = 11, bold: bool = False, gap: float = 2) -> None:
        self.style(size, bold)
        self.multi_cell(0, size * 0.5, self.text_of(text), **NEXT_LINE)
        self.ln(gap)


def certificate_pdf(facts: CertificateFacts) -> bytes:
    pdf = _Document()
    pdf.set_title(pdf.text_of(f"Certificate: {facts.check_title}"))
    pdf.add_page()
    pdf.line_of(facts.service_name, 11, gap=8)
    pdf.line_of("Certificate of completion", 24, bold=True, gap=8)
    pdf.line_of("This is to certify that", 12)
    pdf.line_of(facts.name, 20, bold=True)
    pdf.line_of(f"of {facts.agency}", 12, gap=4)
    pdf.line_of("passed the competency check", 12)
    pdf.line_of(facts.check_title, 16, bold=True)
    pdf.line_of(f"Question bank version {facts.version_number}", 11, gap=8)
    for label, value in (
        ("Passed", record.date_text(facts.passed_at)),
        ("Valid until", record.date_text(facts.expires_at)),
        ("CPD", _cpd_text(facts.cpd_minutes, facts.participatory)),
        ("Method", record.METHOD),
        ("Verification code", _shown(facts.code)),
    ):
        pdf.style(11, bold=True)
        pdf.cell(45, 7, pdf.text_of(label))
        pdf.style(11)
        pdf.multi_cell(0, 7, pdf.text_of(value), **NEXT_LINE)
    pdf.ln(8)
    pdf.line_of(
        f"Check this certificate is genuine and current at {facts.verify_url}"
        f" with the code {_shown(facts.code)}.",
        10,
    )
    return bytes(pdf.output())


def learning_record_pdf(
    *, name: str, entries: list[record.Entry], generated_at: datetime, service_name: str
) -> bytes:
    pdf = _Document(orientation="L")
    pdf.set_title(pdf.text_of(f"Learning record: {name}"))
    pdf.add_page()
    pdf.line_of(service_name, 10, gap=4)
    pdf.line_of("Continuing professional development (CPD) log", 18, bold=True, gap=2)
    pdf.line_of(f"{name}. Made on {record.date_text(generated_at)}.", 11, gap=6)
    widths = (24, 34, 97, 54, 26, 26)
    pdf.style(9)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=4.5) as table:
        header = table.row()
        for column in record.COLUMNS:
            header.cell(pdf.text_of(column))
        for values in record.rows(entries):
            row = table.row()
            for value in values:
                row.cell(pdf.text_of(value))
    return bytes(pdf.output())


def _cpd_text(minutes: int, participatory: bool) -> str:
    hours = record.hours_text(record.to_hours(minutes))
    kind = "participatory" if participatory else "not participatory"
    return f"{minutes} minutes ({hours} hours), {kind}"


def _shown(code: str) -> str:
    from .codes import shown

    return shown(code)
