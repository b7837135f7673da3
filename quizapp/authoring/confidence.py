"""Drafting a finding's confidence phrasing from its text, for the briefing converter.

A finding's `confidence` completes "How confident are you ...?" with the practice the
finding asks for ("to challenge a decision made at a child protection conference"). Only
the author knows that practice for sure, so this module guesses only where the wording
gives it away, by rules an author can predict (docs/briefing-to-draft.md):

1. A finding that tells the reader what to do ("Ask young people what would help...",
   "Practitioners should check...", "When you pass on a concern, check...") gives it: "to"
   and the instruction, with any "when..." clause moved after it.
2. Otherwise the finding's theme (see `scaffolds.THEMES`) gives the practice its findings
   usually ask for ("Information sharing was at times poor" -> "to share what you know...").
3. Otherwise, or when the result would not pass the bank's rules, a placeholder that the
   draft lists among what is still to write (`scaffolds.todo`).

Pure: no Flask; every phrase returned passes `banks.schema.confidence_problem`.
"""

from __future__ import annotations

import re

from ..banks.schema import CONFIDENCE_MAX, confidence_problem
from .scaffolds import has_placeholder, todo

#: What the author is asked to write when no phrase can be drafted.
PLACEHOLDER_TEXT = todo(
    "the finding as practice, completing 'How confident are you ...?', for example 'to"
    " challenge a decision made at a child protection conference'; or leave it blank"
)

#: The practice each theme's findings usually ask for.
THEME_PRACTICE: dict[str, str] = {
    "compliance-curiosity": "to recognise disguised compliance and check what parents tell you",
    "optimism": (
        "to weigh the evidence about how parents care for their child rather than hope"
        " things will improve"
    ),
    "attendance": (
        "to make sure the right agencies are at meetings about a child, and to follow up"
        " when they are not"
    ),
    "appointments": (
        "to follow up missed appointments and visits where nobody answers, and look again"
        " at the risk to the child"
    ),
    "challenge-escalation": (
        "to challenge a decision about a child that you disagree with, and escalate it if it"
        " is not resolved"
    ),
    "information-sharing": (
        "to share what you know about a child with the other professionals involved, without delay"
    ),
    "assessment": "to follow the assessment procedures and keep an assessment up to date",
}

#: Verbs an instruction starts with (as in briefing._IMPERATIVE, without the negatives,
#: which do not turn into "to ..." cleanly).
_INSTRUCTION = re.compile(
    r"^(?:ask|give|make|ensure|check|let|update|keep|think|consider|remember|always"
    r"|use|share|record|seek|speak|talk|listen|challenge|escalate|refer|agree|include"
    r"|involve|avoid|be|try|see|look|follow|find out|explore|reflect|tell|plan|identify"
    r"|recognise|notice|contact|report|review|write|visit|build|work|offer|support)\b",
    re.IGNORECASE,
)
#: "Practitioners should check..." -> "check...": a short subject, then a duty. Not "must
#: be treated": a passive duty is the thing's, not the reader's.
_DUTY = re.compile(
    r"^(?P<subject>(?:\S+\s+){0,3}?\S+)\s+(?:should|must|need to|needs to|ought to|are"
    r" expected to|is expected to)\s+(?!be\b|not\b|never\b)(?P<rest>.+)$",
    re.IGNORECASE,
)
#: A leading "When you pass on a concern, ..." clause.
_CLAUSE = re.compile(
    r"^(?P<clause>(?:when|whenever|if|where|before|after|once|while)\b[^,]{3,120}),\s+"
    r"(?P<rest>.+)$",
    re.IGNORECASE,
)
#: A "Joint Working:" label before the finding itself.
_LABEL = re.compile(r"^[A-Z][\w' ]{0,40}:\s+(?=\S)")
_SENTENCE_END = re.compile(r"(?<=[.!;])\s+(?=[A-Z\u2018\u201c'\"])")
#: Places a phrase too long for the field can be cut without losing its sense.
_CUTS = (", ", "; ", " and ", " so that ")


def draft_confidence(text: str, theme: str) -> str:
    """A draft of `confidence` for a finding with this text and theme (a name from
    `scaffolds.THEMES`, or "general"), or the placeholder."""
    if has_placeholder(text):
        return PLACEHOLDER_TEXT
    for phrase in (_from_instruction(text), THEME_PRACTICE.get(theme)):
        if phrase is not None and confidence_problem(phrase) is None:
            return phrase
    return PLACEHOLDER_TEXT


def _from_instruction(text: str) -> str | None:
    sentence = _SENTENCE_END.split(" ".join(text.split()), maxsplit=1)[0]
    sentence = _LABEL.sub("", sentence).rstrip(" .!;:")
    if sentence.endswith("?") or "[...]" in sentence:  # a question, or cut off mid-way
        return None
    clause = ""
    if match := _CLAUSE.match(sentence):
        clause, sentence = match["clause"], match["rest"]
    if match := _DUTY.match(sentence):
        sentence = match["rest"]
    elif not _INSTRUCTION.match(sentence):
        return None
    phrase = "to " + sentence[:1].lower() + sentence[1:]
    if clause:
        phrase += ", " + clause[:1].lower() + clause[1:]
    return _shortened(phrase)


def _shortened(phrase: str) -> str | None:
    """The phrase, cut at the last clause boundary that makes it fit, if it is too long."""
    if len(phrase) <= CONFIDENCE_MAX:
        return phrase
    at = max(phrase.rfind(cut, 0, CONFIDENCE_MAX) for cut in _CUTS)
    return phrase[:at].rstrip(" ,;") if at >= len("to ") + 20 else None
