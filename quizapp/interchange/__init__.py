"""Question interchange: other systems' files in (Moodle XML and GIFT, QTI) and ours out.

Every reader returns an `ImportReport`: the questions it could map to our types, as
bank-format question dicts, and for every other question in the file a line saying what
happened to it (skipped, adjusted, or broken), so nothing is ever dropped silently.
`ImportReport.as_bank` turns the questions into a draft bank, to be finished and
published like a draft made from a briefing. Writers take a bank version's content.

Findings have no place in other formats. Writers carry a question's finding ids as tags
`finding-<id>`; readers turn such tags back into the question's findings, and the draft
gets a placeholder finding for each id (and one for questions that have none), so an
exported bank re-imports with its questions linked as they were.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import unquote

import nh3
from markdownify import markdownify

from ..authoring.editing import slug, unique_id
from ..authoring.scaffolds import todo

#: A tag carrying a finding's id through formats that have no findings.
FINDING_TAG = "finding-"
#: The finding every imported question without findings is linked to, until the author
#: writes the real ones.
PLACEHOLDER_FINDING = "imported-finding"
#: The one stage of an imported bank.
IMPORTED_STAGE = "questions"
#: Most questions (imported, skipped or broken) read from one file: far more than any
#: check asks, few enough for a draft's pages, and a bound on the work a file can cause.
MAX_QUESTIONS = 1000


@dataclass(frozen=True)
class Skipped:
    """A question not imported: its name in the file, its type there, and why."""

    name: str
    kind: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}): {self.reason}"


@dataclass(frozen=True)
class _Said:
    """A question's name in the file and what is said of it."""

    name: str
    message: str

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


@dataclass(frozen=True)
class Adjusted(_Said):
    """A question imported with something changed: what, and what we did instead."""


@dataclass(frozen=True)
class Problem(_Said):
    """A question (or the file) that is broken: the author must fix it at the source."""


@dataclass(frozen=True)
class Exported:
    """A bank version written in another format, and the questions that format can't hold
    (e.g. branching scenarios in GIFT), each with the reason."""

    data: bytes
    skipped: list[Skipped] = field(default_factory=list)


@dataclass
class ImportReport:
    #: "Moodle XML", "GIFT", "QTI 2.2", ...
    source_format: str
    #: Bank-format question dicts (id, type, prompt, feedback, options...; stage and
    #: findings are filled in by `as_bank`). Ids are unique slugs.
    questions: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    adjusted: list[Adjusted] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: A title found in the file (a category's name, a test's title), if any.
    title: str | None = None

    def full(self) -> bool:
        """True once the file has had more than MAX_QUESTIONS questions, saying so once:
        readers stop there rather than spend minutes on a file that can't be imported."""
        if len(self.questions) + len(self.skipped) + len(self.problems) <= MAX_QUESTIONS:
            return False
        message = (
            f"it has more than {MAX_QUESTIONS:,} questions; a bank holds at most"
            f" {MAX_QUESTIONS:,}. Split the file (in Moodle, export one category at a time)"
            " and import each part"
        )
        if Problem("The file", message) not in self.problems:
            self.problems.append(Problem("The file", message))
        return True

    @property
    def ok(self) -> bool:
        """Something to import and nothing broken."""
        return bool(self.questions) and not self.problems

    def summary_lines(self) -> list[str]:
        """What happened, one line each, for the command line and the upload page."""
        lines = [
            f"{len(self.questions)} imported from {self.source_format}"
            if not self.problems
            else f"nothing imported from {self.source_format}: every problem must be fixed first"
        ]
        lines += [f"skipped {skipped}" for skipped in self.skipped]
        lines += [f"changed {adjusted}" for adjusted in self.adjusted]
        lines += [f"error in {problem}" for problem in self.problems]
        return lines

    def as_bank(self, title: str | None = None) -> dict[str, Any]:
        """A draft bank holding the questions, with placeholders where the file had no
        equivalent (summary, source, findings' text, the advice line)."""
        name = (title or self.title or f"Questions imported from {self.source_format}").strip()
        finding_ids: list[str] = []
        questions = []
        for question in self.questions:
            question = {**question, "stage": IMPORTED_STAGE}
            findings = list(question.get("findings") or [])
            tags = [t for t in question.get("tags") or [] if not t.startswith(FINDING_TAG)]
            findings += [
                t[len(FINDING_TAG) :]
                for t in question.get("tags") or []
                if t.startswith(FINDING_TAG) and t[len(FINDING_TAG) :] not in findings
            ]
            if not findings:
                findings = [PLACEHOLDER_FINDING]
            question["findings"] = findings
            if tags:
                question["tags"] = tags
            else:
                question.pop("tags", None)
            finding_ids += [f for f in findings if f not in finding_ids]
            questions.append(question)
        return {
            "format": 1,
            "id": slug(name),
            "title": name[:300],
            "summary": todo("say in a sentence or two what this check is about"),
            "source": {"publisher": todo("who published the learning"), "title": name[:300]},
            "findings": [
                {"id": f, "kind": "concern", "text": todo(f"write the finding ({f})")}
                for f in finding_ids
            ],
            "stages": [
                {
                    "id": IMPORTED_STAGE,
                    "title": "Questions",
                    "narrative": todo("set the scene for these questions"),
                }
            ],
            "questions": questions,
            "signposting": todo("say where practitioners can find the local procedures"),
            "check": {"pass_mark": 80, "certainty": False, "refresh_months": 12},
        }


#: Longest name of a question in the summary: enough to find it in the file.
MAX_NAME = 80


def short_name(name: str) -> str:
    """A question's name in the file as the summary shows it: a hostile or careless name
    (a whole paragraph, thousands of braces) must not swamp the page."""
    return name if len(name) <= MAX_NAME else name[: MAX_NAME - 3].rstrip() + "..."


def question_id(name: str, taken: set[str]) -> str:
    """A unique slug id for a question named `name` in the file; added to `taken`."""
    new = unique_id(name or "question", taken)
    taken.add(new)
    return new


def tag_of(text: str) -> str | None:
    """A category or tag name as one of our tags ("Safeguarding/Week 1" ->
    "safeguarding-week-1"), or None if nothing of it is left."""
    tag = slug(text, limit=40)
    return None if tag == "item" and "item" not in text.casefold() else tag


_BLANK_LINES = re.compile(r"\n{3,}")
_TAG_START = re.compile(r"<(?=!--|/?[A-Za-z])")
_TAG = re.compile(r"<(/?)[A-Za-z][^<>]*?(/?)>")
_VOID = re.compile(r"<(?:br|hr|img|input|meta|link|area|base|col|embed|source|track|wbr)\b", re.I)
#: Deeper than any real question's HTML; the sanitiser and converter take minutes (or
#: overflow the stack) on text nested tens of thousands deep, which a hostile file can be.
MAX_HTML_DEPTH = 100


class TooDeeplyNested(ValueError):
    """HTML nested deeper than MAX_HTML_DEPTH: refused before it is sanitised."""


def check_nesting(html: str) -> None:
    """Raise TooDeeplyNested if `html` opens more than MAX_HTML_DEPTH elements at once."""
    depth = 0
    for tag in _TAG.finditer(html):
        if tag.group(1):
            depth = max(0, depth - 1)
        elif not tag.group(2) and not _VOID.match(tag.group()):
            depth += 1
            if depth > MAX_HTML_DEPTH:
                raise TooDeeplyNested(
                    f"its text is HTML nested more than {MAX_HTML_DEPTH} levels deep,"
                    " which no real question is: it is not read"
                )


def plain_to_markdown(text: str) -> str:
    """Plain text as our Markdown: what looks like a tag is shown as written ("<b>" stays
    "<b>" on the page), never raw HTML in the bank."""
    return _TAG_START.sub("&lt;", text)


#: Pictures, sound and video in HTML, and the file each shows (`src`, or `data` for an
#: object): sanitising removes them, and the summary must say so.
_MEDIA = re.compile(
    r"<(?:img|object|video|audio|source|iframe|embed)\b[^>]*?\b(?:src|data)\s*=\s*"
    r"(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))",
    re.IGNORECASE,
)
#: Where Moodle's own files are: not part of the name an author knows.
_PLUGINFILE = "@@PLUGINFILE@@/"


def media_in(html: str) -> list[str]:
    """The files (pictures, sound, video) an HTML text shows, by name, once each."""
    names: list[str] = []
    for match in _MEDIA.finditer(html):
        source = next(group for group in match.groups() if group is not None)
        if source.startswith("data:"):
            name = "a picture inside the text"
        else:
            name = unquote(source.removeprefix(_PLUGINFILE).rsplit("/", 1)[-1]) or source
        if name not in names:
            names.append(name)
    return names


def media_note(names: list[str]) -> str:
    """The summary's line for pictures and other files left out of a question."""
    return (
        f"pictures and other files are not imported ({', '.join(names)}): add what the"
        " question needs by hand"
    )


_BREAKS = re.compile(r"<br\s*/?>|</p>|</li>|</div>", re.IGNORECASE)


def html_to_text(html: str) -> str:
    """HTML as our plain text (option texts, hints): no markup, one line. Raises
    TooDeeplyNested as html_to_markdown does."""
    check_nesting(html)
    return " ".join(unescape(nh3.clean(_BREAKS.sub(" ", html), tags=set())).split())


def html_to_markdown(html: str) -> str:
    """Author text written as HTML (Moodle, QTI) as our Markdown: sanitised first, with
    the same allow-list spirit as the pages (no scripts, styles, event handlers or
    embedded objects), then converted, so no raw HTML reaches a bank. Raises
    TooDeeplyNested for HTML no real question has."""
    check_nesting(html)
    clean = nh3.clean(
        html,
        tags={
            "p",
            "br",
            "strong",
            "b",
            "em",
            "i",
            "ul",
            "ol",
            "li",
            "a",
            "code",
            "pre",
            "h3",
            "h4",
            "blockquote",
        },
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
    )
    text = markdownify(clean, heading_style="ATX", bullets="-", escape_underscores=False)
    # Text that showed a tag ("&lt;b&gt;") must not become one: kept as an entity, it
    # shows as written and is not raw HTML in the bank.
    text = plain_to_markdown(text)
    return _BLANK_LINES.sub("\n\n", text).strip()
