"""Scaffold questions for a briefing's concern findings, and the placeholder marker.

A briefing says what went wrong but not what a practitioner would face at the moment it
mattered; only an author who knows the case can write that. So each concern finding gets a
question whose structure is already sound (the right type for its theme, one right answer,
plausible wrong ones, feedback that names the finding) and whose case detail is left as a
placeholder. Placeholders are ordinary text, so a draft loads, saves and edits like any
bank; `find_placeholders` says what is left to write, and publishing refuses a draft while
it returns anything.

Themes are chosen by keyword rules that an author can predict (see THEMES and
docs/briefing-to-draft.md), not by anything cleverer: a wrong guess costs the author one
changed question, a surprising one costs their trust.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: Every placeholder starts with this and reads "[TO DO: what the author must write]".
#: Capitals and brackets stand out in a file and on a page, and it is plain text to YAML,
#: Markdown and the bank loader alike.
PLACEHOLDER = "[TO DO:"
#: What counts as an unfinished placeholder: "[TO DO", "[todo", "[To-do"... in any case,
#: so an author who retypes the marker differently is still caught.
_PLACEHOLDER_FOUND = re.compile(r"\[\s*to\s*-?\s*do\b", re.IGNORECASE)


def todo(instruction: str) -> str:
    """A placeholder telling the author what to write in its place."""
    return f"{PLACEHOLDER} {instruction}]"


def has_placeholder(text: str) -> bool:
    return bool(_PLACEHOLDER_FOUND.search(text))


def find_placeholders(data: Any) -> list[str]:
    """Paths of the fields still holding a placeholder, in file order, written as the
    loader writes them (`questions[3].options[0].text`). Empty means nothing is left to
    write; publishing relies on that."""
    return [path for path, text in _texts(data, "") if has_placeholder(text)]


def _texts(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path or "(file)", value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}[{index}]")


# --- themes ---------------------------------------------------------------------------


def _plain(text: str) -> str:
    """Lower case, straight apostrophes, single spaces: cues are written for this."""
    lowered = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(lowered.split())


@dataclass(frozen=True)
class Theme:
    name: str
    label: str
    #: Cue phrases, as regular expressions matched against the lower-cased text on word
    #: boundaries at both ends (so "attend" does not find "attendance" unless a cue says
    #: "attend(?:ance)?"). Phrases such as "attend ... meeting" disambiguate a bare word.
    cues: tuple[str, ...]
    #: Phrases that take their words out before the cues are looked for: "school
    #: attendance" is never a cue of meetings, whatever follows it.
    not_cues: tuple[str, ...] = ()

    def cue_in(self, text: str) -> str | None:
        """The words of the first cue found in `text`, as they appear there; None if none."""
        lowered = _plain(text)
        for not_cue in self.not_cues:
            lowered = re.sub(rf"\b(?:{not_cue})\b", " / ", lowered)
        for cue in self.cues:
            found = re.search(rf"\b(?:{cue})\b", lowered)
            if found:
                return found.group(0)
        return None

    def matches(self, text: str) -> bool:
        return self.cue_in(text) is not None


#: Meetings a practitioner is invited to; an "attendance" cue must name one.
_MEETING = (
    r"(?:meetings?|conferences?|core groups?|strategy (?:meetings?|discussions?)"
    r"|(?:[\w'-]+ ){0,3}reviews?|panels?)"
)
#: Up to four words between a verb and what it is about ("attend the initial child
#: protection conference").
_GAP = r"(?:[\w'-]+ ){0,4}"

#: In priority order: the first theme with a cue in the finding wins. Specific themes come
#: before broad ones, so "over-optimism ... including the conference chair" is optimism, not
#: challenge, "lacked professional curiosity when sharing concerns" is curiosity, and "did
#: not attend the conference" is meetings before it can be missed appointments. The table
#: in docs/briefing-to-draft.md lists the same cues; keep the two in step.
THEMES: tuple[Theme, ...] = (
    Theme(
        "compliance-curiosity",
        "Disguised compliance and professional curiosity",
        (
            r"disguised compliance",
            r"(?:non-)?complian(?:ce|t)",
            r"curiosity",
            r"curious",
            r"face value",
            r"respectful uncertainty",
            r"superficial(?:ly)?",
            r"(?:not|never|rarely|seldom) (?:been )?(?:fully )?"
            r"(?:explored|discussed|questioned|probed)",
        ),
    ),
    Theme(
        "optimism",
        "Optimism about parents",
        (
            r"(?:over[- ]?)?optimis(?:m|tic|tically)",
            r"sympath(?:y|etic|ise|ised)",
            r"benefit of the doubt",
            r"start again",
        ),
    ),
    Theme(
        "attendance",
        "Attendance at meetings",
        (
            rf"(?:non-)?attend(?:s|ed|ing|ance)? (?:at |to )?{_GAP}{_MEETING}",
            rf"{_MEETING} (?:were |was )?(?:not |poorly |badly )?attended",
            rf"invit(?:e|ed|es|ation|ations) to {_GAP}{_MEETING}",
            r"not invited",
            r"(?:in)?quorate",
        ),
        not_cues=(
            r"school attendance",
            r"attendance (?:data|figures|rates?|records?|officers?|at school)",
            r"attend(?:s|ed|ing|ance)? (?:at |the |a )?"
            r"(?:school|college|nursery|classe?s?|lessons)",
        ),
    ),
    Theme(
        "appointments",
        "Missed appointments and no access",
        (
            r"missed (?:[\w'-]+ ){0,2}(?:appointments?|contacts?|visits?|immunisations?|checks?)",
            r"miss(?:es|ing)? (?:[\w'-]+ ){0,2}appointments?",
            r"did not attend",
            r"(?:was|were|is|are) not brought",
            r"no access",
            r"(?:will|would|did) not let (?:[\w'-]+ ){0,3}in",
            r"cancel(?:s|led|ling)? (?:[\w'-]+ ){0,2}(?:appointments?|visits?)",
        ),
    ),
    Theme(
        "challenge-escalation",
        "Challenge and escalation",
        (
            r"challeng(?:e|ed|es|ing)",
            r"escalat(?:e|ed|es|ing|ion)",
            r"disagree(?:d|s|ment|ments)?",
            r"(?:professional )?differences? (?:between|of opinion|among)",
            r"professional differences?",
            r"resolv(?:e|ed|ing) (?:the )?differences",
            r"disput(?:e|es|ed)",
        ),
        not_cues=(r"challenging behaviou?rs?",),
    ),
    Theme(
        "information-sharing",
        "Information sharing",
        (
            r"information",
            r"shar(?:e|es|ed|ing) (?:[\w'-]+ ){0,3}with",
            r"(?:not|never|was|were|wasn't|weren't|didn't|failed to) shar(?:e|ed)",
            r"sharing",
            r"pass(?:es|ed|ing)? (?:it |this |them )?on",
            r"tell (?:them|other|the other|every)",
            r"told",
            r"communicat(?:e|ed|es|ing|ion)",
            r"handovers?",
            r"cop(?:y|ies) of",
        ),
    ),
    Theme(
        "assessment",
        "Assessment",
        (
            r"(?:re-?)?assess(?:ed|es|ing|ment|ments)?",
            r"pre-birth",
            r"post[- ]birth",
            r"protocols?",
            r"chronolog(?:y|ies)",
        ),
    ),
)
GENERAL = Theme("general", "General", ())
THEMES_BY_NAME = {theme.name: theme for theme in (*THEMES, GENERAL)}


def theme_and_cue(text: str) -> tuple[str, str | None]:
    """The first theme in THEMES with a cue in `text` and the cue's words as found there,
    else ("general", None): what a draft shows as the reason for a scaffold's theme."""
    for theme in THEMES:
        cue = theme.cue_in(text)
        if cue is not None:
            return theme.name, cue
    return GENERAL.name, None


def detect_theme(text: str) -> str:
    """The name of the first theme in THEMES with a cue in `text`, else "general"."""
    return theme_and_cue(text)[0]


# --- scaffold questions ---------------------------------------------------------------


def _review_found(finding_text: str) -> str:
    return "The review found:\n\n" + "\n".join(f"> {line}" for line in finding_text.split("\n"))


def _option(text: str, feedback: str, *, correct: bool) -> dict[str, Any]:
    return {"text": todo(text), "correct": correct, "feedback": todo(feedback)}


def _single(prompt: str, feedback: str, options: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "single",
        "prompt": prompt,
        "hint": "Select one option",
        "feedback": feedback,
        "points": 1,
        "options": options,
    }


def _information_sharing(found: str) -> dict[str, Any]:
    return _single(
        todo(
            'set the scene in the second person ("You are the ...") at a moment in this story'
            " when you learn something that others working with the family need to know:"
            " what you learn, and who does not know it yet."
        )
        + "\n\nWhat do you do next?",
        found
        + "\n\n"
        + todo(
            "explain in two or three sentences who needed this information, how quickly, and"
            " what could have been different if they had had it."
        ),
        [
            _option(
                "the right action, e.g. share it the same day with the lead professional and"
                " record what you shared, with whom and why",
                "say why this is right, linking it to the review's finding",
                correct=True,
            ),
            _option(
                "a tempting wrong action, e.g. record it in your own notes only",
                "explain, without blame, why a record nobody else reads is not enough",
                correct=False,
            ),
            _option(
                "a tempting wrong action, e.g. wait to raise it at the next planned meeting",
                "explain what the delay could mean for the child",
                correct=False,
            ),
            _option(
                "a tempting wrong action, e.g. not share it because the parents have not agreed",
                "explain when information can and should be shared without consent",
                correct=False,
            ),
        ],
    )


def _assessment(found: str) -> dict[str, Any]:
    return {
        "type": "multiple",
        "prompt": todo(
            'set the scene in the second person ("You are the ...") at the point in this'
            " story when an assessment is due, being done or should be updated, e.g. before"
            " the birth or after a new concern."
        )
        + "\n\nWhat should the assessment include?",
        "hint": "Select all that apply",
        "feedback": found
        + "\n\n"
        + todo(
            "explain what your partnership's assessment protocol requires at this point (which"
            " assessment, by when, who is assessed) and why it matters for this child."
        ),
        "points": 1,
        "options": [
            _option(
                "something the assessment must include, e.g. both parents and any other adult"
                " who will care for the child",
                "say why this matters in this case",
                correct=True,
            ),
            _option(
                "something else it must include, e.g. what every agency that knows the family"
                " holds, including history",
                "say why this matters in this case",
                correct=True,
            ),
            _option(
                "a common shortcut, e.g. only the parent who comes to appointments",
                "explain, without blame, why this leaves a gap",
                correct=False,
            ),
            _option(
                "another common shortcut, e.g. the parents' own account of their history,"
                " unchecked",
                "explain, without blame, why this leaves a gap",
                correct=False,
            ),
        ],
    }


def _optimism(found: str) -> dict[str, Any]:
    return {
        "type": "true_false",
        "prompt": todo(
            "set the scene at a moment in this story when things seem to be going well, e.g."
            " parents who are warm and welcoming and agree to every action."
        )
        + "\n\n**True or false:** "
        + todo(
            "a statement an optimistic professional might believe here, which is FALSE, e.g."
            ' "The parents are co-operating, so the risk to the child has reduced."'
        ),
        "hint": "Select true or false",
        "feedback": found
        + '\n\nThe pull to think the best of parents (the "rule of optimism") affects all of'
        " us. "
        + todo(
            "explain what real evidence of change would look like in this case, and how to"
            " test what you see and hear against the child's daily experience."
        ),
        "points": 1,
        "answer": False,
        "feedback_true": todo(
            "for those who answered True: explain kindly why this is not so, and what to look"
            " for instead"
        ),
        "feedback_false": todo(
            "for those who answered False: confirm it, and say what evidence of change would"
            " look like"
        ),
    }


def _compliance_curiosity(found: str) -> dict[str, Any]:
    return _single(
        todo(
            'describe, in the second person ("You are the ..."), what the parents say and do'
            " at a moment in this story, and what you see that does not fit, e.g. they agree"
            " to every action but visits are cancelled and nothing changes. Describe the"
            ' behaviour; do not name it as "disguised compliance".'
        )
        + "\n\nWhat do you do?",
        found + "\n\nProfessional curiosity means exploring what is really happening for the child"
        " rather than taking things at face value. "
        + todo(
            "explain what the behaviour in this scene may mean for the child, and how to test it."
        ),
        [
            _option(
                "the curious response, e.g. see the child, look for evidence of change in the"
                " child's daily life and check with other agencies",
                "say why this is right, linking it to the review's finding",
                correct=True,
            ),
            _option(
                "a tempting wrong response, e.g. accept the parents' explanation, as they have"
                " co-operated so far",
                "explain, without blame, why co-operation is not the same as change",
                correct=False,
            ),
            _option(
                "a tempting wrong response, e.g. note it and wait to see if it happens again",
                "explain what waiting could mean for the child",
                correct=False,
            ),
            _option(
                "an over-reaction, e.g. tell the parents you think they are lying to you",
                "explain why respectful uncertainty works better than confrontation",
                correct=False,
            ),
        ],
    )


#: Generic, in the order most partnerships' procedures take them; the author checks them
#: against their own procedure (stages and timescales differ between partnerships).
ESCALATION_STEPS = (
    "Raise it directly with the professional or chair concerned",
    "Ask your manager or safeguarding lead to take it up with their counterpart",
    "Refer it to senior managers in the agencies involved",
    "Refer it to the safeguarding partnership under its escalation procedure",
)


def _challenge_escalation(found: str) -> dict[str, Any]:
    return {
        "type": "ordering",
        "prompt": todo(
            'describe the disagreement in this story in the second person ("You are the'
            ' ..."), e.g. at a child protection conference or core group you disagree with a'
            " decision, and raising it at the meeting has not resolved it."
        )
        + "\n\nPut these steps of a typical escalation procedure in order, from first to last.",
        "hint": "Number the steps in the order you would take them",
        "feedback": found
        + "\n\nMost procedures for resolving professional disagreements work upwards in"
        " stages, each with a timescale. "
        + todo(
            "check the steps against your partnership's procedure (change them if they"
            " differ), give its timescales, and mention any separate route for disagreeing"
            " with a child protection conference decision."
        )
        + "\n\nIf a child is at immediate risk, act straight away rather than waiting for the"
        " process.",
        "points": 1,
        "items": list(ESCALATION_STEPS),
    }


def _attendance(found: str) -> dict[str, Any]:
    return _single(
        todo(
            'set the scene in the second person ("You are the ...") at a meeting in this story'
            " (strategy meeting, core group or conference) where an agency that knows the"
            " family is not there: who is missing, and what they know."
        )
        + "\n\nWhat do you do?",
        found
        + "\n\n"
        + todo(
            "explain why every agency that knows the family needs to be heard, and how the"
            " missing information could change the decisions."
        ),
        [
            _option(
                "the right response, e.g. get the missing agency's information before decisions"
                " are made, and make sure the decisions reach them the same day",
                "say why this is right, linking it to the review's finding",
                correct=True,
            ),
            _option(
                "a tempting wrong response, e.g. go ahead and record their apologies",
                "explain what the meeting loses without their information",
                correct=False,
            ),
            _option(
                "a tempting wrong response, e.g. leave them to catch up from the minutes",
                "explain why minutes arriving later are not enough",
                correct=False,
            ),
            _option(
                "an over-reaction, e.g. cancel the meeting until everyone can come, however"
                " long that takes",
                "explain what the delay could mean for the child",
                correct=False,
            ),
        ],
    )


def _appointments(found: str) -> dict[str, Any]:
    return _single(
        todo(
            'set the scene in the second person ("You are the ...") at a moment in this story'
            " when the child is not brought to an appointment again, or nobody answers the"
            " door at a planned visit: what has been missed, and what you know of the family."
        )
        + "\n\nWhat do you do?",
        found + "\n\nA child depends on adults to get them to appointments: a child who is not"
        " brought is telling us something about their care, not only about their parents'"
        " choices. "
        + todo(
            "explain what your agency's 'was not brought' or no-access procedure asks of you,"
            " and what the missed contacts could mean for this child."
        ),
        [
            _option(
                "the right response, e.g. follow it up with the family, tell the other"
                " professionals involved and look again at the risks to the child",
                "say why this is right, linking it to the review's finding",
                correct=True,
            ),
            _option(
                "a tempting wrong response, e.g. send another appointment letter and wait",
                "explain what waiting could mean for the child",
                correct=False,
            ),
            _option(
                "a tempting wrong response, e.g. discharge the child from the service after"
                " the second missed appointment",
                "explain, without blame, what closing the case leaves unseen",
                correct=False,
            ),
            _option(
                "a tempting wrong response, e.g. record it as the parents' choice",
                "explain why the child's needs come before the parents' choices",
                correct=False,
            ),
        ],
    )


def _general(found: str) -> dict[str, Any]:
    return _single(
        todo(
            'set the scene in the second person ("You are the ...") at a moment in this story'
            " when this finding matters: what is happening, and what you know."
        )
        + "\n\nWhat do you do?",
        found
        + "\n\n"
        + todo("explain in two or three sentences what the right action achieves for the child."),
        [
            _option(
                "the right action, drawn from the review's finding",
                "say why this is right, linking it to the review's finding",
                correct=True,
            ),
            _option(
                "a first tempting wrong action that a well-meaning professional might take",
                "explain, without blame, why this is not enough",
                correct=False,
            ),
            _option(
                "a second tempting wrong action",
                "explain, without blame, why this is not enough",
                correct=False,
            ),
            _option(
                "a third tempting wrong action",
                "explain, without blame, why this is not enough",
                correct=False,
            ),
        ],
    )


_BUILDERS = {
    "information-sharing": _information_sharing,
    "assessment": _assessment,
    "optimism": _optimism,
    "compliance-curiosity": _compliance_curiosity,
    "challenge-escalation": _challenge_escalation,
    "attendance": _attendance,
    "appointments": _appointments,
    "general": _general,
}


def scaffold_question(
    theme: str, *, question_id: str, stage_id: str, finding_id: str, finding_text: str
) -> dict[str, Any]:
    """A question in `BankFile.to_data()` shape, keys in the documented order."""
    body = _BUILDERS[theme](_review_found(finding_text))
    return {
        "id": question_id,
        "stage": stage_id,
        "type": body.pop("type"),
        "findings": [finding_id],
        **body,
    }
