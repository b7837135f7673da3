"""Which reader a file needs, and the formats a bank version can be written in.

Shared by the command line and the author's pages, so both read a file the same way and
offer the same formats. The readers and writers live in their own modules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..authoring.editing import validate
from ..banks.places import plain_message, plain_place
from . import Exported, ImportReport, Problem, gift, moodle_xml, qti

#: Largest file read (Moodle's own question exports with images run to a few MB).
MAX_BYTES = 10 * 1024 * 1024
#: Most options (or ordering steps) of an imported question: more than anyone can read
#: in a check, and a bound on the draft a hostile file makes.
MAX_OPTIONS = 100


def read_file(data: bytes, filename: str) -> ImportReport:
    """Read a Moodle XML, GIFT or QTI file (a content package or a single item),
    detected from its content rather than its name."""
    if data.startswith(b"PK\x03\x04"):
        return qti.read(data)
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        # Moodle's exports are <quiz>; everything else XML we read is QTI.
        return moodle_xml.read(data, filename) if b"<quiz" in head else qti.read(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report = ImportReport(source_format="an unknown format")
        report.problems.append(
            Problem(
                filename,
                "The file is not Moodle XML, GIFT or QTI: GIFT must be plain text saved as UTF-8",
            )
        )
        return report
    return gift.read(text)


def checked_bank(report: ImportReport, title: str | None = None) -> dict[str, Any] | None:
    """The draft bank of the report's questions, or None with the report's problems saying
    why: a reader may map a question faithfully that a bank still can't hold (HTML inside
    Moodle's Markdown, an id or number out of range), and such a draft must never be
    saved, so it is checked with the bank loader first (its placeholders are valid text)."""
    data = report.as_bank(title)
    crowded = [
        Problem(
            plain_place(f"questions[{index}]", data),
            f"it has {len(question[key]):,} {key}; an imported question may have at most"
            f" {MAX_OPTIONS}",
        )
        for index, question in enumerate(data["questions"])
        for key in ("options", "items")
        if len(question.get(key) or ()) > MAX_OPTIONS
    ]
    if crowded:
        report.problems += crowded
        return None
    errors = validate(data)
    for error in errors:
        message = plain_message(error.message)
        if message.startswith("raw HTML is not allowed"):
            message += _HTML_ADVICE
        report.problems.append(Problem(plain_place(error.path, data), message))
    return None if errors else data


#: What an author can do about HTML in text the file says is Markdown.
_HTML_ADVICE = (
    ". The file says this text is Markdown, but it has HTML tags in it: remove the tags,"
    " or save the text as HTML, and export the file again"
)


#: Control characters XML 1.0 can't hold. The bank loader lets a few through (a tab in a
#: pasted prompt is fine, a vertical tab gets by), but a file holding one is unreadable
#: to every XML reader, and Moodle's GIFT reader and ours would drop it anyway.
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _without_control_characters(value: Any) -> Any:
    if isinstance(value, str):
        return _NOT_IN_XML.sub("", value)
    if isinstance(value, dict):
        return {key: _without_control_characters(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_control_characters(item) for item in value]
    return value


@dataclass(frozen=True)
class Format:
    key: str
    #: As in "Download version 3 as {label}".
    label: str
    extension: str
    content_type: str
    writer: Callable[[dict[str, Any]], Exported]

    def write(self, content: dict[str, Any]) -> Exported:
        """A bank version's content in this format, without the characters it can't hold."""
        return self.writer(_without_control_characters(content))


EXPORT_FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format(
            "moodle-xml", "Moodle XML", "xml", "application/xml; charset=utf-8", moodle_xml.write
        ),
        Format("gift", "GIFT (Moodle)", "gift.txt", "text/plain; charset=utf-8", gift.write),
        Format(
            "qti-3.0",
            "a QTI 3.0 package",
            "qti3.zip",
            "application/zip",
            partial(qti.write_package, version="3.0"),
        ),
        Format(
            "qti-2.2",
            "a QTI 2.2 package",
            "qti22.zip",
            "application/zip",
            partial(qti.write_package, version="2.2"),
        ),
    )
}
