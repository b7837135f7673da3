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

Real briefings word their headings in many other ways ("The Incident", "Good Practice",
"Key learning", "Messages for Practitioners", "Questions to consider", numbered 7-minute
briefing sections): `_HEADING_PATTERNS` maps them to the same three sections (and to
context and advice), and a finding's heading decides its kind before its wording does.
Lines not used are kept in `BriefingDraft.unused_lines`.

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
from .confidence import draft_confidence
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
#: Sections whose lines are context, not findings or questions (a review's method, theme
#: tags, resources); their lines are reported in `BriefingDraft.unused_lines`.
OTHER = "other"
#: A section that holds the advice line ("Your next steps", "Further information").
ADVICE = "advice"
#: What a finding's heading says about its kind; None: its wording decides.
GOOD_PRACTICE = "good-practice"
CONCERN = "concern"

#: Lower case, without "?", ":", numbers or Markdown markers (see _heading); each pattern
#: must match the whole heading. Order matters: the first match wins.
_HEADING_PATTERNS: tuple[tuple[str, str, str | None], ...] = (
    # what happened: the story
    (
        r"what happened|(?:the )?background|(?:the )?incident|the case|case (?:summary|background)"
        r"|(?:a )?(?:brief )?summary of the case|the story|the family|family (?:background|context)"
        r"|(?:case )?context|(?:the )?circumstances",
        HAPPENED,
        None,
    ),
    # good practice
    (
        r"(?:examples of |areas of |positive |evidence of )?good practice(?: (?:identified|found"
        r"|seen|noted))?|what good practice did (?:we|the review) (?:find|see)|what went well"
        r"|what worked well|what (?:was|is) working well|strengths|what was good",
        TOLD,
        GOOD_PRACTICE,
    ),
    # findings that say what must change
    (
        r"(?:key )?messages? (?:for|to) (?:practice|practitioners|professionals|managers|staff"
        r"|all agencies|agencies)|what else did (?:we|the review) find|what needs to change"
        r"|what (?:needs|need) to (?:change|happen|improve)|areas? (?:for|of) (?:improvement"
        r"|development|concern)|what (?:could|should) (?:have been|be) done (?:better|differently)"
        r"|what (?:did not|didn't) go well|what (?:did not|didn't) work(?: well)?|challenges"
        r"|(?:key )?recommendations|what (?:you|we) should do|actions? for (?:practitioners"
        r"|practice)|the review|review findings",
        TOLD,
        CONCERN,
    ),
    # findings, kind from their wording
    (
        r"what did (?:it|this|the review|we) (?:tell us|learn|find)|what (?:did|do) we learn"
        r"|what we (?:learned|learnt|found)|(?:key |main )?findings|(?:the )?findings"
        r"|key learning(?: .*)?|(?:key )?learning points?|(?:key )?learning(?: from (?:the|this)"
        r" (?:review|case))?|lessons(?: learned| learnt)?|key messages|(?:key )?themes and learning"
        r"|what the review found|learning for practice",
        TOLD,
        None,
    ),
    # questions for practitioners
    (
        r"what (?:can|could|should) (?:we|you) do now|what do we need to do now|what can we learn"
        r"|questions (?:to consider|for (?:practitioners|reflection|you|managers|teams|discussion"
        r"|supervision|professionals))|questions|reflect(?:ion|ions)?|time to reflect"
        r"|(?:reflective|reflection) questions|points? (?:for|to) (?:reflection|reflect|consider)"
        r"|(?:things|questions) to (?:think about|consider)|for reflection|over to you"
        r"|what (?:does|would) this mean for (?:you|your practice)|consider",
        NOW,
        None,
    ),
    # the advice line
    (
        r"(?:your |practitioner )?next steps|further (?:information|advice|help)(?: and support)?"
        r"|where to get (?:help|advice|support)(?: and (?:help|advice|support))?|contacts?"
        r"|contact (?:us|details)|need (?:help|advice)|getting (?:help|advice)",
        ADVICE,
        None,
    ),
    # context: method, tags, resources
    (
        r"(?:our |review |the )?(?:approach|method|methodology)(?: .*)?|what did we do|how did we"
        r" do it|themes?|summary|introduction|purpose(?: of (?:the|this) (?:review|briefing))?"
        r"|about (?:this|the) (?:briefing|review)|why (?:this|the) review|why it matters"
        r"|safeguarding concerns|risk factors|(?:practitioner |useful |further )?(?:resources"
        r"|reading|links)|how to use (?:them|this|this briefing|the briefings?)|terms of reference"
        r"|scope|research(?: .*)?|national (?:context|learning)",
        OTHER,
        None,
    ),
)
_HEADING_RULES = tuple(
    (re.compile(pattern), section, kind) for pattern, section, kind in _HEADING_PATTERNS
)
#: A heading is a short line; longer ones are paragraphs that happen to begin alike.
_MAX_HEADING = 90

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
    r"|\(?\d{1,2}[.)]\s+|\(?(?:[a-z]|i{1,3}|iv|vi{0,3}|ix|x)\)\s+|[a-z]\.\s+)(?P<text>\S.*)$"
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


#: Ligatures PDFs paste ("ﬁ" for "fi").
_LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb05": "st",
        "\ufb06": "st",
    }
)
#: Page furniture from a PDF: "3", "Page 3", "Page 3 of 7", "3 | Page", "- 3 -".
_PAGE_NUMBER = re.compile(
    r"^(?:page\s*)?[-\u2013(]?\s*\d{1,3}\s*[-\u2013)]?(?:\s*(?:of|/)\s*\d{1,3})?"
    r"(?:\s*\|\s*page)?$",
    re.IGNORECASE,
)
#: A bullet mark alone on a line: its text is on the next line (PDF and Word pastes).
_LONE_BULLET = re.compile(
    r"^(?:[-*+\u2013\u2014\u2022\u25aa\u25cf\u25e6\u2023\u2043\u00b7\u25a0\u25a1\uf0b7]"
    r"|\(?\d{1,2}[.)]|\(?[a-z][.)])$"
)


def _normalise(text: str, dropped: list[str] | None = None) -> list[str]:
    """Lines with single spaces and no invisible characters: pasted text varies in all the
    ways that do not show on screen, and none of them should change the draft. Page
    numbers are left out (and added to `dropped`); a bullet mark alone on a line is joined
    to the text on the next."""
    text = _INVISIBLE.sub("", _SPACES.sub(" ", text)).translate(_LIGATURES)
    text = _HTML_TAG.sub("", text)  # a tag pasted from a web page is never content
    lines = [" ".join(line.split()) for line in _LINE_BREAKS.split(text)]
    result: list[str] = []
    pending = ""
    for line in lines:
        if pending and line:
            result.append(f"{pending} {line}")
            pending = ""
        elif _LONE_BULLET.match(line):
            pending = line
        elif line and _PAGE_NUMBER.match(line):
            if dropped is not None:
                dropped.append(line)
        else:
            result.append(line)
    if pending:
        result.append(pending)
    return result


def _heading_text(line: str) -> str:
    text = line.lstrip("#").strip().strip("*_").strip()
    text = re.sub(
        r"^(?:\(?\d{1,2}[.)]?|step \d{1,2}[.:)]?|section \d{1,2}[.:)]?)\s+",
        "",
        text,
        flags=re.IGNORECASE,
    )
    text = re.sub(r"^\(?\d{1,2}[.)]\s*", "", text)
    text = text.rstrip("?:.!*_ ").strip("*_ ").rstrip("?:.! ")
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("&", "and")
    return " ".join(text.split())


def _heading_rule(line: str) -> tuple[str, str | None] | None:
    """The section a line heads and the kind that heading gives its findings, if it is a
    heading: "## What happened?", "WHAT HAPPENED", "**What did it tell us?**", "3. What can
    we do now:", "The Incident", "Good Practice", "2. Key learning" all are. "Review
    Approach: What did we do?" is read by its first part."""
    if not line or len(line) > _MAX_HEADING:
        return None
    if _BULLET.match(line) and not re.match(r"\(?\d", line):  # "1. Key learning" may head
        return None
    text = _heading_text(line)
    candidates = [text]
    if ": " in text:  # "Review Approach: What did we do?"
        candidates.append(text.split(": ", 1)[0])
        candidates.append(text.split(": ", 1)[1])
    for candidate in candidates:
        for pattern, section, kind in _HEADING_RULES:
            if pattern.fullmatch(candidate):
                return section, kind
    return None


def _heading(line: str) -> str | None:
    """The section a line heads, if it is one of the briefing's own (see _heading_rule)."""
    rule = _heading_rule(line)
    return rule[0] if rule else None


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
    #: The heading the group sits under, as the briefing spells it (None: no heading).
    heading: str | None = None
    #: The kind that heading gives its findings (see _HEADING_PATTERNS).
    kind: str | None = None
    #: The last line before it that looked like a sub-heading of no known kind.
    subheading: str | None = None
    #: The group is such a line ("Missing episodes:", "Think Family").
    is_subheading: bool = False

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
    #: Section keys in the order they appear (only HAPPENED, TOLD and NOW).
    order: list[str] = field(default_factory=list)
    advice: list[_Group] = field(default_factory=list)
    #: Groups under OTHER headings: context, reported as unused.
    other: list[_Group] = field(default_factory=list)
    #: The headings recognised, as spelt.
    headings: list[str] = field(default_factory=list)


def _looks_like_subheading(line: str) -> bool:
    """A short line without a sentence's final full stop: "Missing episodes:", "Think
    Family", "Joint Working and Information Sharing"."""
    return (
        0 < len(line) <= 70
        and not _BULLET.match(line)
        and not line.endswith((".", ",", ";", "?", "!", "]"))
        and len(line.split()) <= 10
    )


def _split(lines: list[str], warnings: list[str]) -> _Sections:
    found = _Sections()
    groups = found.preamble
    current: _Group | None = None
    heading: str | None = None
    kind: str | None = None
    subheading: str | None = None
    seen: set[str] = set()
    for index, line in enumerate(lines):
        rule = _heading_rule(line)
        if rule is not None:
            section, kind = rule
            heading = line.lstrip("#").strip().strip("*_").strip()
            subheading = None
            found.headings.append(heading)
            if section == OTHER:
                groups = found.other
            elif section == ADVICE:
                groups = found.advice
            else:
                key = _heading_text(line)
                if section in found.sections:
                    if key in seen:
                        warnings.append(
                            f"The heading '{heading}' appears more than once; the parts have"
                            " been joined."
                        )
                else:
                    found.sections[section] = []
                    found.order.append(section)
                seen.add(key)
                groups = found.sections[section]
            current = None
        elif not line:
            current = None
        elif _ADVICE.match(line):
            current = _Group([line], heading, kind)
            found.advice.append(current)
        elif current is None:
            following = next((later for later in lines[index + 1 :] if later), "")
            is_subheading = _looks_like_subheading(line) and bool(_BULLET.match(following))
            if is_subheading:
                subheading = line
            current = _Group([line], heading, kind, subheading, is_subheading)
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
    r"wrong",
    r"errors?\b",
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


#: The first word of a finding that tells the reader what to do.
_IMPERATIVE = re.compile(
    r"^(?:ask|give|make|ensure|check|let|update|keep|think|consider|remember|always|never"
    r"|use|share|record|seek|speak|talk|listen|challenge|escalate|refer|agree|include"
    r"|involve|avoid|be|do not|don't|try|see|look|follow|find out|explore|reflect)\b",
    re.IGNORECASE,
)


def _cue_found(cues: tuple[str, ...], text: str) -> bool:
    lowered = text.lower().replace("\u2019", "'")
    return any(re.search(rf"\b{cue}", lowered) for cue in cues)


def finding_kind(text: str) -> str:
    """ "good-practice" when the finding praises practice and nothing in it is a concern;
    otherwise "concern". Doubt falls on the side of "concern", which gets a scaffold
    question: a wrongly marked concern costs the author a question to delete, a wrongly
    marked good practice would hide a lesson. A finding that tells the reader what to do
    ("Give each young person a named adult they trust...") is a learning point, so a
    concern, whatever its words."""
    if _IMPERATIVE.match(text.strip()):
        return "concern"
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


# --- linking reflections to findings -------------------------------------------------

#: Words a question asks with rather than about.
# fmt: off
_QUESTION_WORDS = frozenset({
    "can", "could", "should", "may", "might", "must", "not", "all", "any", "if", "why", "where",
    "make", "sure", "ensure", "able", "confident", "deal", "tackle", "think", "know", "enough",
    "each", "every", "else", "own", "than", "then", "these", "those", "whether", "one", "us",
})
# fmt: on
#: Endings taken off before words are compared, longest first, if four letters are left.
_SUFFIXES = (
    "ations",
    "ation",
    "ments",
    "ment",
    "ings",
    "ing",
    "ness",
    "ance",
    "ence",
    "ities",
    "ity",
    "ions",
    "ion",
    "ies",
    "ied",
    "ed",
    "es",
    "ly",
    "s",
)  # fmt: skip
#: A reflection is linked to a finding scoring at least this (see _link_score): one
#: distinctive word in common, or the same theme. With nothing in common it is not linked.
LINK_THRESHOLD = 1
#: What a shared theme (other than "general") adds to a link's score.
_THEME_WEIGHT = 2


def _stem(word: str) -> str:
    """ "shared", "sharing" and "share" give "shar"; "optimism" and "optimistic" give
    "optimis": a crude stemmer, but one an author can follow by hand."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    return word.rstrip("e")[:7]


def content_stems(text: str) -> set[str]:
    """The stems of a text's content words: lower case, no stopwords, question words or
    words common to every case ("child", "parents", "professionals")."""
    return {
        _stem(word)
        for word in _words(text)
        if len(word) >= 3
        and word not in _STOPWORDS
        and word not in _QUESTION_WORDS
        and word[:6] not in _COMMON_STEMS
    }


def _link_score(prompt: str, finding: str) -> int:
    """Content stems the two share, plus _THEME_WEIGHT when both have the same theme (not
    "general"): "How do you challenge decisions made in meetings?" shares no word with
    "Conferences failed to resolve differences", but both are challenge and escalation."""
    theme = detect_theme(prompt)
    shared = len(content_stems(prompt) & content_stems(finding))
    same_theme = theme != "general" and detect_theme(finding) == theme
    return shared + (_THEME_WEIGHT if same_theme else 0)


def linked_findings(prompt: str, findings: list[dict[str, Any]]) -> list[str]:
    """The ids of the findings a reflection matches best: those with the highest score, if
    it reaches LINK_THRESHOLD; else none (a link with nothing in common would mislead
    whoever reads the results by finding; the bank format does not require one). Only
    concern findings are candidates, as the briefing's questions ask what to change, unless
    the briefing has none."""
    written = [f for f in findings if not has_placeholder(f["text"])]
    candidates = [f for f in written if f["kind"] == "concern"] or written
    scores = [(_link_score(prompt, f["text"]), f["id"]) for f in candidates]
    best = max((score for score, _ in scores), default=0)
    if best < LINK_THRESHOLD:
        return []
    return [finding_id for score, finding_id in scores if score == best]


# --- the draft ------------------------------------------------------------------------


@dataclass(frozen=True)
class BriefingDraft:
    #: Format-1 bank data, shaped like `BankFile.to_data()`; loads without errors.
    data: dict[str, Any]
    #: What the author should know about how the text was read, in plain English.
    warnings: list[str]
    #: Theme of each concern finding's scaffold question, by finding id (see THEMES).
    themes: dict[str, str] = field(default_factory=dict)
    #: Non-blank lines (or, for a prose paragraph, clauses) of the briefing that went into
    #: no part of the draft (method, theme tags, statements among the questions, page
    #: numbers...), so nothing is dropped unseen. Grouped by where they were left out, not
    #: strictly in the briefing's order.
    unused_lines: list[str] = field(default_factory=list)
    #: Why each finding has its kind, by finding id: "under 'Good Practice'", "wording".
    kind_reasons: dict[str, str] = field(default_factory=dict)

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
    dropped: list[str] = []
    lines = _normalise(text, dropped)
    if not any(lines):
        raise BriefingError("The briefing is empty. Paste or upload the text of a briefing.")
    warnings: list[str] = []
    parts = _split(lines, warnings)
    unused: list[str] = list(dropped)
    # Without a findings section, bullets under sub-headings of the text before any heading
    # are its messages ("Think Family" then "• When a family keeps missing...").
    fallback = [] if TOLD in parts.sections else _preamble_findings(parts)
    # Without either, a paragraph judging practice clause after clause is the learning (a
    # news post in prose): its clauses are the findings.
    prose_sources: list[_Group] = []
    if TOLD not in parts.sections and not fallback:
        prose_sources, fallback = _prose_findings(parts, unused)
    loose_reflections = _loose_reflections(parts)
    if not parts.sections and not fallback and not loose_reflections:
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

    appreciative = _appreciative(parts)
    stages = _stages(parts.sections.get(HAPPENED, []))
    if prose_sources:
        warnings.append(
            "No findings heading or bullets found: the clauses of the paragraph that judges"
            " practice have been read as findings. Check each one."
        )
    elif fallback:
        warnings.append(
            "No findings heading found: the bullets under the sub-headings before the first"
            " heading have been read as findings."
        )
    findings, themes, kind_reasons = _findings(
        parts.sections.get(TOLD, []) + fallback, warnings, unused, appreciative=appreciative
    )
    reflections = _reflections(parts.sections.get(NOW, []), warnings, unused)
    reflections += [prompt for prompt in loose_reflections if prompt not in reflections]
    unused += _unused_context(parts, fallback + prose_sources, loose_reflections)
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
    for finding in findings:
        finding["confidence"] = draft_confidence(finding["text"], detect_theme(finding["text"]))

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
    if not questions and not reflections:
        # A bank needs a question: with only good practice and no questions to reflect on,
        # the first finding gets a scaffold, to write or to replace.
        finding = findings[0]
        warnings.append(
            "No concern findings and no questions found: a question has been added for the"
            f" finding '{_first_words(finding['text'], 12)}'. Write it, or replace it."
        )
        questions.append(
            scaffold_question(
                "general",
                question_id=_unique(
                    f"q-{finding['id']}"[:_ID_LIMIT].rstrip("-"), used_question_ids
                ),
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
        linked = linked_findings(prompt, findings)
        if not linked and not has_placeholder(findings[0]["text"]):
            warnings.append(
                f"The question '{_first_words(prompt, 12)}' matches no finding: link it to the"
                " finding it asks about, if there is one."
            )
        questions.append(
            {
                "id": _unique(f"reflect-{_slug(prompt, fallback='question')}", used_question_ids),
                "stage": REFLECTION_STAGE,
                "type": "reflection",
                # The findings it matches best, so results can be read by finding.
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
    return BriefingDraft(
        data=data,
        warnings=warnings,
        themes=themes,
        unused_lines=unused,
        kind_reasons=kind_reasons,
    )


def _signposting(parts: _Sections) -> str | None:
    """Advice lines, wherever they are, then any paragraphs after the last bullet or
    question of the briefing's last section (a closing "Contact us..." line)."""
    groups = list(parts.advice)
    if not parts.order:
        return "\n\n".join("\n".join(group.lines) for group in groups) or None
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
    groups: list[_Group],
    warnings: list[str],
    unused: list[str],
    *,
    appreciative: bool = False,
) -> tuple[list[dict[str, Any]], dict[str, str], dict[str, str]]:
    """Every bullet is a finding; with no bullets at all, every paragraph is. A paragraph
    ending in ":" introduces the findings and is not one, nor is a sub-heading. The kind
    comes from the heading first ("Good Practice", "Messages for Practitioners"), then from
    the wording (see finding_kind)."""
    pairs = [(group, item) for group in groups for item in group.items()]
    has_bullets = any(item.bullet for _, item in pairs)
    findings: list[dict[str, Any]] = []
    themes: dict[str, str] = {}
    reasons: dict[str, str] = {}
    used: set[str] = set()
    for group, item in pairs:
        if not item.bullet and (group.is_subheading or item.text.endswith(":")):
            unused.extend(item.lines)
            continue
        if has_bullets and not item.bullet:
            warnings.append(
                f"Left out of the findings (not a bullet): '{_first_words(item.text, 12)}'"
            )
            unused.extend(item.lines)
            continue
        finding_id = _unique(_slug(item.text, fallback="finding"), used)
        if group.kind is not None:
            kind, reason = group.kind, f"under '{group.heading}'"
        elif appreciative and not _cue_found(CONCERN_CUES, item.text):
            kind = "good-practice"
            reason = "wording, in an appreciative inquiry (a study of good practice)"
        else:
            kind = finding_kind(item.text)
            if _IMPERATIVE.match(item.text.strip()):
                reason = "wording: tells the reader what to do"
            elif kind == "good-practice":
                reason = "wording: praises practice and names no shortcoming"
            else:
                reason = "wording: no praise, or a shortcoming named"
        findings.append({"id": finding_id, "kind": kind, "text": item.text})
        reasons[finding_id] = reason
        if kind == "concern":
            themes[finding_id] = detect_theme(item.text)
    return findings, themes, reasons


#: A finding bullet under a sub-heading has at least this many words; shorter ones are
#: theme tags ("Missing episodes") unless cut short ("[...]").
_MIN_FINDING_WORDS = 5


def _preamble_findings(parts: _Sections) -> list[_Group]:
    """Groups of bullets before the first heading that sit under a sub-heading, when there
    is no findings heading at all (key messages under theme headings)."""
    chosen = []
    for group in parts.preamble:
        if group.subheading is None:
            continue
        items = group.items()
        if group.is_subheading:
            items = items[1:]
        if items and all(
            item.bullet
            and not item.is_question
            and (len(item.text.split()) >= _MIN_FINDING_WORDS or item.text.endswith("[...]"))
            for item in items
        ):
            chosen.append(group)
    return chosen


#: Who or what a finding about practice is about.
_PRACTICE_SUBJECT = re.compile(
    r"\b(?:midwi\w*|gp'?s?|doctors?|nurses?|health visit\w*|social work\w*|social care|police"
    r"|probation|school|teachers?|practitioners?|professionals?|agenc\w+|services?|referrals?"
    r"|assessments?|strategy (?:discussion|meeting)s?|checks?|plans?|records?|information"
    r"|decisions?|retraction|early help|hospital staff|paediatrician)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\u2018\u201c'\"])")
_CLAUSE_BREAK = re.compile(r",\s+(?:but|and)\s+(?=(?:the|no|nobody|a|an|his|her|their)\b)")
_LEAD_IN = re.compile(r"^(?:in (?:this|the) case|in this review|here),?\s+", re.IGNORECASE)
#: A paragraph judging practice in at least this many clauses is the learning.
_MIN_JUDGED_CLAUSES = 3


def _judged_clauses(paragraph: str) -> tuple[list[str], list[str]]:
    """The clauses that judge someone's practice, and the others."""
    clauses: list[str] = []
    others: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        for clause in _CLAUSE_BREAK.split(sentence):
            clause = _LEAD_IN.sub("", clause.strip())
            if not clause:
                continue
            if _PRACTICE_SUBJECT.search(clause) and (
                _cue_found(PRAISE_CUES, clause) or _cue_found(CONCERN_CUES, clause)
            ):
                clauses.append(clause[0].upper() + clause[1:] if clause[0].islower() else clause)
            else:
                others.append(clause)
    return clauses, others


def _prose_findings(parts: _Sections, unused: list[str]) -> tuple[list[_Group], list[_Group]]:
    """Paragraphs (outside any section of the story or the questions) in which at least
    three clauses judge someone's practice; each such clause becomes a finding, and the
    other clauses go to `unused`. Returns the paragraphs used and the findings as groups
    of one bullet each."""
    sources: list[_Group] = []
    made: list[_Group] = []
    for group in parts.preamble + parts.other:
        items = group.items()
        if len(items) != 1 or items[0].bullet:
            continue
        paragraphs = _title_lines_apart(group.lines)
        judged = [_judged_clauses(" ".join(lines)) for lines in paragraphs]
        if any(len(clauses) >= _MIN_JUDGED_CLAUSES for clauses, _ in judged):
            sources.append(group)
            for lines, (clauses, others) in zip(paragraphs, judged, strict=True):
                if len(clauses) >= _MIN_JUDGED_CLAUSES:
                    made += [_Group([f"- {clause}"], group.heading, None) for clause in clauses]
                    unused += others
                else:
                    unused += lines
    return sources, made


def _title_lines_apart(lines: list[str]) -> list[list[str]]:
    """Paragraphs with no blank lines between them, split at title-like lines (short, no
    final full stop, after a line that ends a sentence): "News: a new review" then the text."""
    paragraphs: list[list[str]] = []
    previous_ended = True
    after_title = False
    for line in lines:
        title = previous_ended and _looks_like_subheading(line) and line[:1].isupper()
        if title or after_title or not paragraphs:
            paragraphs.append([line])
        else:
            paragraphs[-1].append(line)
        after_title = title
        previous_ended = title or line.endswith((".", "!", "?", ":"))
    return paragraphs


def _loose_reflections(parts: _Sections) -> list[str]:
    """Numbered or bulleted questions ending in "?" outside any section of findings or
    questions (a 7-minute briefing's standard questions under "How to use them")."""
    prompts = []
    for group in parts.preamble + parts.other:
        for item in group.items():
            if item.bullet and item.text.rstrip().endswith("?"):
                prompts.append(item.text)
    return prompts


def _unused_context(parts: _Sections, fallback: list[_Group], loose: list[str]) -> list[str]:
    """Lines of the preamble (but its first, the title) and of context sections that went
    into no finding or question."""
    lines: list[str] = []
    taken = {id(group) for group in fallback}
    for group in parts.preamble + parts.other:
        if id(group) in taken:
            continue
        for item in group.items():
            if item.bullet and item.text in loose:
                continue
            lines.extend(item.lines)
    if parts.preamble and lines and lines[0] == parts.preamble[0].lines[0]:
        lines.pop(0)
    return lines


_APPRECIATIVE = re.compile(r"^appreciative inquiry\b", re.IGNORECASE)


def _appreciative(parts: _Sections) -> bool:
    """An appreciative inquiry studies good practice only: a heading or title line starting
    "Appreciative Inquiry" makes findings under neutral headings good practice unless their
    wording names a shortcoming."""
    return any(
        _APPRECIATIVE.match(group.lines[0].strip("#*_ ")) for group in parts.preamble[:10]
    ) or any(_APPRECIATIVE.match(heading) for heading in parts.headings)


#: A question without its "?" (cut short, or pasted without it): it starts with a
#: question word or asks "do we", "are you"...
_QUESTION_START = re.compile(
    r"^(?:how|what|why|who|whom|whose|which|where|do|does|did|is|are|was|were|can|could"
    r"|should|would|will|have|has|had|may|might|shall)\b",
    re.IGNORECASE,
)
_QUESTION_INSIDE = re.compile(
    r"\b(?:do|does|did|are|is|have|has|can|could|would|should|will)"
    r" (?:we|you|i|they|your team|your agency|practitioners|professionals)\b",
    re.IGNORECASE,
)


def _is_question(text: str) -> bool:
    return "?" in text or bool(_QUESTION_START.match(text) or _QUESTION_INSIDE.search(text))


def _reflections(groups: list[_Group], warnings: list[str], unused: list[str]) -> list[str]:
    """Every item that asks a question, word for word; a statement is never made into a
    question (it is left out with a warning)."""
    prompts = []
    for group in groups:
        for item in group.items():
            if _is_question(item.text):
                prompts.append(item.text)
            else:
                unused.extend(item.lines)
                if not item.text.endswith(":"):
                    warnings.append(
                        "Left out of the questions (not a question):"
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
