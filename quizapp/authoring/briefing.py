"""From learning briefing to draft bank.

Partnerships publish learning briefings in a common shape: "What happened?" (the story),
"What did it tell us?" (the findings, as bullets), "What can we do now?" (questions for
practitioners) and a line on where to get advice. `parse_briefing` turns that text into a
draft bank (format 1, shaped like `BankFile.to_data()`) so an author starts from the
review's own words instead of an empty file.

What a briefing cannot supply (the scenes a practitioner would face, the options and
feedback) is left as placeholders (see `scaffolds.PLACEHOLDER`). The draft always passes
the bank loader, so it can be saved and edited like any bank; `find_placeholders` lists
what is still to write and publishing refuses the draft until that list is empty.

Briefings arrive pasted from PDFs, Word and web pages, so the reading is forgiving (any
case, optional "?" or ":", Markdown "##" headings, many bullet styles, wrapped lines,
Windows line endings, BOMs, non-breaking spaces) and every guess it makes is either
documented in docs/briefing-to-draft.md or reported in `BriefingDraft.warnings`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from ..banks import dump_bank
from .scaffolds import (
    PLACEHOLDER,
    detect_theme,
    find_placeholders,
    has_placeholder,
    scaffold_question,
    todo,
)

__all__ = [
    "MAX_BRIEFING_CHARS",
    "PLACEHOLDER",
    "BriefingDraft",
    "BriefingError",
    "find_placeholders",
    "finding_kind",
    "parse_briefing",
]

#: Far longer than any briefing (the seed is about 2,800 characters); refuses a wrong file.
MAX_BRIEFING_CHARS = 100_000
#: What fits a bank's plain-text titles.
_MAX_TITLE = 300
#: A first line longer than this is a paragraph, not a title.
_MAX_PREAMBLE_TITLE = 120
#: Ids made from text stay readable; the format allows 100.
_ID_LIMIT = 60

HAPPENED = "happened"
TOLD = "told"
NOW = "now"
#: The headings as a briefing spells them, used in messages to authors.
SECTION_NAMES = {
    HAPPENED: "What happened?",
    TOLD: "What did it tell us?",
    NOW: "What can we do now?",
}
#: Lower case, without "?", ":" or Markdown markers (see _heading).
_HEADINGS = {
    "what happened": HAPPENED,
    "what did it tell us": TOLD,
    "what did this tell us": TOLD,
    "what did the review tell us": TOLD,
    "what did we learn": TOLD,
    "what we learned": TOLD,
    "what we learnt": TOLD,
    "what can we do now": NOW,
    "what can you do now": NOW,
    "what should we do now": NOW,
    "what do we need to do now": NOW,
}

REFLECTION_STAGE = "reflection"
_REFLECTION_NARRATIVE = (
    "Reviews are for learning, not blame. These are the briefing's own questions. Think"
    " about your role, your team and your agency, and note what you will do differently."
    " There is no mark for this part."
)
CHECK_DEFAULTS = {"pass_mark": 80, "certainty": True, "refresh_months": 36}

# --- reading the text -----------------------------------------------------------------

_LINE_BREAKS = re.compile(r"\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
_SPACES = re.compile(r"[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
# Zero-width characters and BOMs, and control characters no briefing means to hold.
_INVISIBLE = re.compile(r"[\ufeff\u200b-\u200d\u2060\x00-\x08\x0e-\x1f\x7f]")
#: "-", "*", "+", en and em dashes need a space after them (so "-5" or "*bold*" stay
#: text); the typographic bullets do not; numbers may be "1." "1)" or "(1)".
_BULLET = re.compile(
    r"^(?:[-*+\u2013\u2014]\s+|[\u2022\u25aa\u25cf\u25e6\u2023\u2043\u00b7\u25a0\u25a1\uf0b7]\s*"
    r"|\(?\d{1,2}[.)]\s+)(?P<text>\S.*)$"
)
#: Lines that start the advice ("signposting") rather than continue what comes before.
_ADVICE = re.compile(
    r"^(?:if (?:in doubt|you are (?:worried|concerned|unsure|in doubt)|you have (?:any )?"
    r"(?:concerns|worries|questions))|for (?:further |more )?(?:advice|information|support)"
    r"|further (?:advice|information)|need (?:help|advice)|seek advice)\b",
    re.IGNORECASE,
)
#: As the bank loader's rule: raw HTML would make it refuse the draft.
_HTML_TAG = re.compile(r"<!--|-->|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")


class BriefingError(ValueError):
    """The text cannot be a learning briefing; `message` is shown to the author as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _normalise(text: str) -> list[str]:
    """Lines with single spaces and no invisible characters: pasted text varies in all the
    ways that do not show on screen, and none of them should change the draft."""
    text = _INVISIBLE.sub("", _SPACES.sub(" ", text))
    text = _HTML_TAG.sub("", text)  # a tag pasted from a web page is never content
    return [" ".join(line.split()) for line in _LINE_BREAKS.split(text)]


def _heading(line: str) -> str | None:
    """The section a line heads, if it is a heading: "## What happened?", "WHAT HAPPENED",
    "**What did it tell us?**", "3. What can we do now:" all are."""
    text = line.lstrip("#").strip().strip("*_").strip()
    text = re.sub(r"^\(?\d{1,2}[.)]\s*", "", text)
    text = text.rstrip("?:.!*_ ").strip("*_ ").rstrip("?:.! ")
    text = text.lower().replace("\u2019", "'")
    return _HEADINGS.get(" ".join(text.split()))


@dataclass
class _Item:
    """A bullet (with its wrapped lines) or a paragraph."""

    bullet: bool
    lines: list[str]

    @property
    def text(self) -> str:
        return " ".join(self.lines)

    @property
    def is_question(self) -> bool:
        return "?" in self.text


@dataclass
class _Group:
    """Lines between blank lines; an advice line always starts a group of its own."""

    lines: list[str]

    def items(self) -> list[_Item]:
        items: list[_Item] = []
        for line in self.lines:
            match = _BULLET.match(line)
            if match:
                items.append(_Item(True, [match["text"]]))
            elif items:
                items[-1].lines.append(line)  # a wrapped line belongs to what it follows
            else:
                items.append(_Item(False, [line]))
        return items


@dataclass
class _Sections:
    preamble: list[_Group] = field(default_factory=list)
    sections: dict[str, list[_Group]] = field(default_factory=dict)
    #: Section keys in the order they appear.
    order: list[str] = field(default_factory=list)
    advice: list[_Group] = field(default_factory=list)


def _split(lines: list[str], warnings: list[str]) -> _Sections:
    found = _Sections()
    groups = found.preamble
    current: _Group | None = None
    for line in lines:
        section = _heading(line)
        if section is not None:
            if section in found.sections:
                warnings.append(
                    f"The heading '{SECTION_NAMES[section]}' appears more than once; the parts"
                    " have been joined."
                )
            else:
                found.sections[section] = []
                found.order.append(section)
            groups = found.sections[section]
            current = None
        elif not line:
            current = None
        elif _ADVICE.match(line):
            current = _Group([line])
            found.advice.append(current)
        elif current is None:
            current = _Group([line])
            groups.append(current)
        else:
            current.lines.append(line)
    return found


# --- ids and titles -------------------------------------------------------------------

# fmt: off
_STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "been", "being", "by", "did", "do", "does", "for",
    "from", "had", "has", "have", "he", "her", "him", "his", "how", "i", "in", "into", "is", "it",
    "its", "of", "on", "or", "our", "she", "so", "some", "that", "the", "their", "them", "there",
    "they", "this", "to", "was", "we", "were", "what", "when", "which", "who", "will", "with",
    "would", "you", "your", "about",
})
# fmt: on


def _words(text: str) -> list[str]:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.findall(r"[a-z0-9]+", re.sub(r"['\u2019]", "", ascii_text.lower()))


def _slug(text: str, *, words: int = 5, fallback: str) -> str:
    """An id from the first meaningful words: "Information sharing was at times poor..."
    gives "information-sharing-times-poor-resulted"."""
    all_words = _words(text)
    chosen = [word for word in all_words if word not in _STOPWORDS] or all_words
    slug = ""
    for word in chosen[:words]:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > _ID_LIMIT:
            break
        slug = candidate
    return slug or fallback


def _unique(slug: str, used: set[str]) -> str:
    candidate, number = slug, 2
    while candidate in used:
        suffix = f"-{number}"
        candidate = slug[: 100 - len(suffix)].rstrip("-") + suffix
        number += 1
    used.add(candidate)
    return candidate


def _first_words(text: str, count: int) -> str:
    """The first `count` words, with "…" when there were more."""
    words = text.split()
    if len(words) <= count:
        return " ".join(words)
    return " ".join(words[:count]).rstrip(".,;:!?-\u2013\u2014") + "\u2026"


def _labelled(label: str, text: str, count: int) -> str:
    """ "Part 1: HS was born in the summer…", or just "Part 1" when there are no words."""
    words = _first_words(text, count)
    return f"{label}: {words}" if words.strip(".,;:!?-\u2013\u2014\u2026 ") else label


def _clip(text: str, limit: int, what: str, warnings: list[str]) -> str:
    if len(text) <= limit:
        return text
    warnings.append(f"The {what} was longer than {limit} characters and has been shortened.")
    return text[: limit - 1].rstrip() + "\u2026"


# --- the good-practice rule -----------------------------------------------------------

#: A finding praising practice says so in words like these (each matched from the start
#: of a word, so "effective" also finds "effectively")...
PRAISE_CUES = (
    r"good",
    r"positive",
    r"timely",
    r"effective",
    r"well(?!-?being)",
    r"strength",
    r"excellent",
    r"commend",
    r"praise",
    r"proactive",
    r"thorough",
    r"robust",
    r"exemplary",
    r"prompt(?:ly)?\b",
    r"correct(?:ly)?\b",
    r"appropriate(?:ly)?\b",
)
#: ... and has none of these, which mark a shortcoming, or praise with a "but".
CONCERN_CUES = (
    r"not\b",
    r"no\b",
    r"never\b",
    r"\w*n't\b",
    r"fail",
    r"poor",
    r"lack",
    r"limited\b",
    r"insufficient",
    r"inadequate",
    r"incomplete",
    r"inconsistent",
    r"unaware",
    r"unclear",
    r"unable",
    r"confus",
    r"optimis",
    r"sympath",
    r"disguised",
    r"missed",
    r"delay",
    r"late\b",
    r"drift",
    r"gaps?\b",
    r"weak",
    r"without\b",
    r"except",
    r"however\b",
    r"but\b",
    r"although\b",
    r"despite\b",
    r"rather than\b",
    r"minimis",
    r"overlook",
    r"assum",
    r"face value",
    r"only\b",
    r"too\b",
    r"less\b",
)


def _cue_found(cues: tuple[str, ...], text: str) -> bool:
    lowered = text.lower().replace("\u2019", "'")
    return any(re.search(rf"\b{cue}", lowered) for cue in cues)


def finding_kind(text: str) -> str:
    """ "good-practice" when the finding praises practice and nothing in it is a concern;
    otherwise "concern". Doubt falls on the side of "concern", which gets a scaffold
    question: a wrongly marked concern costs the author a question to delete, a wrongly
    marked good practice would hide a lesson."""
    if _cue_found(PRAISE_CUES, text) and not _cue_found(CONCERN_CUES, text):
        return "good-practice"
    return "concern"


# --- the most relevant stage ----------------------------------------------------------

#: Words in almost every safeguarding story; sharing them says nothing about where a
#: finding belongs.
# fmt: off
_COMMON_WORDS = (
    "professional", "professionals", "child", "children", "childs", "family", "families", "parent",
    "parents", "parenting", "mother", "mum", "father", "dad", "baby", "young", "person", "agency",
    "agencies", "protection", "plan", "risk", "risks", "concern", "concerns", "safeguarding",
    "social", "care", "worker", "workers", "health", "police", "case", "review", "practice",
    "good", "poor", "time", "times", "also", "about", "other", "some", "more",
)
# fmt: on
_COMMON_STEMS = frozenset(word[:6] for word in _COMMON_WORDS)


def _stems(text: str) -> set[str]:
    return {
        word[:6]
        for word in _words(text)
        if len(word) >= 4 and word not in _STOPWORDS and word[:6] not in _COMMON_STEMS
    }


def _most_relevant_stage(finding_text: str, stages: list[dict[str, Any]]) -> str:
    """The narrative stage sharing the most distinctive words (at least two) with the
    finding, the later one on a tie; otherwise the last narrative stage."""
    finding = _stems(finding_text)
    best_id, best_shared = stages[-1]["id"], 2
    for stage in stages:
        shared = len(finding & _stems(stage["narrative"]))
        if shared >= best_shared:
            best_id, best_shared = stage["id"], shared
    return best_id


# --- the draft ------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefingDraft:
    #: Format-1 bank data, shaped like `BankFile.to_data()`; loads without errors.
    data: dict[str, Any]
    #: What the author should know about how the text was read, in plain English.
    warnings: list[str]
    #: Theme of each concern finding's scaffold question, by finding id (see THEMES).
    themes: dict[str, str] = field(default_factory=dict)

    @property
    def placeholders(self) -> list[str]:
        """Field paths still to write; the draft cannot be published until none are left."""
        return find_placeholders(self.data)

    @property
    def finished(self) -> bool:
        return not self.placeholders

    def scaffold_for(self, finding_id: str) -> dict[str, Any] | None:
        """The scaffold question written for a concern finding."""
        return next(
            (
                question
                for question in self.data["questions"]
                if question["type"] != "reflection" and question["findings"] == [finding_id]
            ),
            None,
        )

    def to_yaml(self) -> str:
        """The draft as a bank file an author can edit."""
        return dump_bank(self.data)


def parse_briefing(
    text: str, *, title: str | None = None, publisher: str | None = None
) -> BriefingDraft:
    """Raise BriefingError when the text is empty, too long or has none of the headings."""
    if len(text) > MAX_BRIEFING_CHARS:
        raise BriefingError(
            f"The briefing is too long ({len(text):,} characters; at most"
            f" {MAX_BRIEFING_CHARS:,}). Paste only the learning briefing itself."
        )
    lines = _normalise(text)
    if not any(lines):
        raise BriefingError("The briefing is empty. Paste or upload the text of a briefing.")
    warnings: list[str] = []
    parts = _split(lines, warnings)
    if not parts.sections:
        raise BriefingError(
            "No headings found. A learning briefing needs at least one of the headings"
            " 'What happened?', 'What did it tell us?' and 'What can we do now?', each on a"
            " line of its own."
        )
    for key in (HAPPENED, TOLD, NOW):
        if key not in parts.sections:
            warnings.append(f"No '{SECTION_NAMES[key]}' section found.")
    signposting = _signposting(parts)  # first: it takes closing notes from the sections
    for key in parts.order:
        if not parts.sections[key]:
            warnings.append(f"The '{SECTION_NAMES[key]}' section is empty.")

    stages = _stages(parts.sections.get(HAPPENED, []))
    findings, themes = _findings(parts.sections.get(TOLD, []), warnings)
    reflections = _reflections(parts.sections.get(NOW, []), warnings)
    if not stages:
        stages = [
            {
                "id": "part-1",
                "title": "Part 1",
                "narrative": todo("tell the story of the case, as in 'What happened?'"),
            }
        ]
    if not findings:
        warnings.append("No findings found: write at least one yourself.")
        findings = [
            {
                "id": "finding-1",
                "kind": "concern",
                "text": todo("a finding of the review, in the review's own words"),
            }
        ]
        themes = {"finding-1": "general"}
    title_text = _title(title, parts, stages, warnings)

    used_question_ids: set[str] = set()
    questions = []
    for finding in findings:
        if finding["kind"] != "concern":
            continue
        question_id = f"q-{finding['id']}"[:_ID_LIMIT].rstrip("-")
        questions.append(
            scaffold_question(
                themes[finding["id"]],
                question_id=_unique(question_id, used_question_ids),
                stage_id=_most_relevant_stage(finding["text"], stages),
                finding_id=finding["id"],
                finding_text=finding["text"],
            )
        )
    if reflections:
        stages.append(
            {
                "id": REFLECTION_STAGE,
                "title": SECTION_NAMES[NOW],
                "narrative": _REFLECTION_NARRATIVE,
            }
        )
    for prompt in reflections:
        theme = detect_theme(prompt)
        linked = [f["id"] for f in findings if theme != "general" and themes.get(f["id"]) == theme]
        questions.append(
            {
                "id": _unique(f"reflect-{_slug(prompt, fallback='question')}", used_question_ids),
                "stage": REFLECTION_STAGE,
                "type": "reflection",
                # The concern findings of the same theme, so results can be read by finding.
                "findings": linked,
                "prompt": prompt,
            }
        )

    if signposting is None:
        warnings.append(
            "No advice line found (such as 'If in doubt ask your manager...'): write the"
            " signposting yourself."
        )
        signposting = todo(
            "where practitioners can get advice, e.g. 'If in doubt, ask your manager or"
            " safeguarding lead', with your partnership's contact details"
        )
    publisher_text = " ".join((publisher or "").split())
    if publisher_text:
        publisher_text = _clip(publisher_text, _MAX_TITLE, "publisher", warnings)
    else:
        publisher_text = todo("the partnership or organisation that published the briefing")

    data = {
        "format": 1,
        "id": _slug(title_text, words=8, fallback="learning-briefing"),
        "title": title_text,
        "summary": todo(
            "two or three sentences for practitioners: whose case this is, what happened and"
            " what the check asks of them. Say that details added for training are not a"
            " record of the case."
        ),
        "source": {"publisher": publisher_text, "title": title_text},
        "findings": findings,
        "stages": stages,
        "questions": questions,
        "signposting": signposting,
        "check": dict(CHECK_DEFAULTS),
    }
    return BriefingDraft(data=data, warnings=warnings, themes=themes)


def _signposting(parts: _Sections) -> str | None:
    """Advice lines, wherever they are, then any paragraphs after the last bullet or
    question of the briefing's last section (a closing "Contact us..." line)."""
    groups = list(parts.advice)
    last = parts.order[-1]
    if last in (TOLD, NOW):
        section = parts.sections[last]
        notes: list[_Group] = []
        while section and _is_note(section[-1], last) and _has_entries(section[:-1], last):
            notes.insert(0, section.pop())
        groups += notes
    text = "\n\n".join("\n".join(group.lines) for group in groups)
    return text or None


def _is_note(group: _Group, section: str) -> bool:
    """Neither a bullet nor, among the questions, a question."""
    return not any(item.bullet or (section == NOW and item.is_question) for item in group.items())


def _has_entries(groups: list[_Group], section: str) -> bool:
    return any(not _is_note(group, section) for group in groups)


def _stages(groups: list[_Group]) -> list[dict[str, Any]]:
    """One stage per paragraph; typographic bullets become Markdown ones."""
    stages = []
    for number, group in enumerate(groups, start=1):
        lines = [
            f"- {match['text']}" if (match := _BULLET.match(line)) else line for line in group.lines
        ]
        plain = " ".join(item.text for item in group.items())
        stages.append(
            {
                "id": f"part-{number}",
                "title": _labelled(f"Part {number}", plain, 6),
                "narrative": "\n".join(lines),
            }
        )
    return stages


def _findings(
    groups: list[_Group], warnings: list[str]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every bullet is a finding; with no bullets at all, every paragraph is. A paragraph
    ending in ":" introduces the findings and is not one."""
    items = [item for group in groups for item in group.items()]
    has_bullets = any(item.bullet for item in items)
    findings: list[dict[str, Any]] = []
    themes: dict[str, str] = {}
    used: set[str] = set()
    for item in items:
        if not item.bullet and item.text.endswith(":"):
            continue
        if has_bullets and not item.bullet:
            warnings.append(
                f"Left out of the findings (not a bullet): '{_first_words(item.text, 12)}'"
            )
            continue
        finding_id = _unique(_slug(item.text, fallback="finding"), used)
        kind = finding_kind(item.text)
        findings.append({"id": finding_id, "kind": kind, "text": item.text})
        if kind == "concern":
            themes[finding_id] = detect_theme(item.text)
    return findings, themes


def _reflections(groups: list[_Group], warnings: list[str]) -> list[str]:
    """Every bullet, and every paragraph that asks a question, word for word."""
    prompts = []
    for group in groups:
        for item in group.items():
            if item.bullet or item.is_question:
                prompts.append(item.text)
            elif not item.text.endswith(":"):
                warnings.append(
                    "Left out of the questions (not a bullet or a question):"
                    f" '{_first_words(item.text, 12)}'"
                )
    return prompts


def _title(
    given: str | None, parts: _Sections, stages: list[dict[str, Any]], warnings: list[str]
) -> str:
    """The title given; else the briefing's first line, if it has a short one before the
    first heading; else "Learning briefing: " and the story's first words."""
    given_text = " ".join((given or "").split())
    if given_text:
        return _clip(given_text, _MAX_TITLE, "title", warnings)
    first = parts.preamble[0].lines[0].strip("#*_ ") if parts.preamble else ""
    if 0 < len(first) <= _MAX_PREAMBLE_TITLE:
        derived = first
    elif not has_placeholder(stages[0]["narrative"]):
        story = stages[0]["narrative"].removeprefix("- ")
        derived = _labelled("Learning briefing", story, 6)
    else:
        derived = "Learning briefing"
    warnings.append(
        f"No title given: the draft is called '{derived}'. Change the title, and the id made"
        " from it, before the first import: a bank's id is permanent."
    )
    return derived
