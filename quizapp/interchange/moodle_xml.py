"""Moodle XML: the format Moodle's question bank imports and exports.

Trainers' questions mostly live in Moodle, so `read` takes a Moodle export as it is (the
element and attribute names of `question/format/xml/format.php`) and maps what our types
can hold; `write` gives a bank version back in the same shape, so that Moodle's reader
takes it and our reader brings the questions back unchanged. What doesn't map is listed
in the report, never dropped silently.

Categories: the first level below the course (`$course$/Safeguarding` or
`$course$/top/Safeguarding`) names the draft bank; a category below it becomes a tag of
the questions that follow it (`$course$/top/Safeguarding/Week 1` -> `week-1`). That is
how a bank's own export comes back without an extra tag on every question.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from ..authoring.scaffolds import todo
from ..questions.base import SLUG_PATTERN
from . import (
    FINDING_TAG,
    Adjusted,
    Exported,
    ImportReport,
    Problem,
    Skipped,
    TooDeeplyNested,
    html_to_markdown,
    html_to_text,
    media_in,
    media_note,
    plain_to_markdown,
    question_id,
    short_name,
    tag_of,
)

SOURCE_FORMAT = "Moodle XML"

#: The grades Moodle accepts for an answer, and their negatives
#: (`question_bank::fraction_options_full`); its importer refuses any other.
MOODLE_GRADES = (
    1.0, 0.9, 0.8333333, 0.8, 0.75, 0.7, 0.6666667, 0.6, 0.5, 0.4, 0.3333333, 0.3, 0.25,
    0.2, 0.1666667, 0.1428571, 0.125, 0.1111111, 0.1, 0.05, 0.0,
)  # fmt: skip
#: Moodle compares grades with this slack ("never check floats for equality").
_GRADE_SLACK = 0.00001
#: Moodle rounds the sum of a multiple-response question's positive grades to 2 places.
_SUM_SLACK = 0.005

#: Moodle question types we have no equivalent for, and why.
_NOT_OURS = {
    "matching": "matching questions have no equivalent among our question types",
    "shortanswer": "short-answer questions (typed answers) have no equivalent here",
    "numerical": "numerical questions (typed numbers) have no equivalent here",
    "cloze": "cloze (embedded answers) questions have no equivalent here",
    "description": "a description is text shown between questions, not a question",
    "calculated": "calculated questions have no equivalent here",
    "calculatedsimple": "calculated questions have no equivalent here",
    "calculatedmulti": "calculated questions have no equivalent here",
    "randomsamatch": "random short-answer matching has no equivalent here",
    "ddwtos": "drag-and-drop questions have no equivalent here",
    "ddimageortext": "drag-and-drop questions have no equivalent here",
    "ddmarker": "drag-and-drop questions have no equivalent here",
    "gapselect": "select-missing-words questions have no equivalent here",
    "ordering": "Moodle's ordering questions are not read yet; recreate them as ordering",
}

#: Formats whose text is taken as it is (our Markdown is Markdown; plain text is text).
_AS_IS = ("markdown", "plain_text")
_FILE_LINK = re.compile(r"<a\b[^>]*@@PLUGINFILE@@[^>]*>(.*?)</a>", re.IGNORECASE | re.DOTALL)
_CATEGORY_SEPARATOR = re.compile(r"(?<!/)/(?!/)")
_SLUG = re.compile(SLUG_PATTERN)


class _Broken(Exception):
    """A question Moodle itself would refuse: the author must fix it at the source."""


class _Notes:
    """What was changed in one question, reported once it is imported."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, message: str) -> None:
        if message not in self.messages:
            self.messages.append(message)


def read(data: bytes, filename: str = "the file") -> ImportReport:
    """A Moodle XML export as an import report. Never raises: a file that isn't a
    Moodle XML file (or is hostile) gives a report with one problem naming the file."""
    report = ImportReport(SOURCE_FORMAT)
    try:
        root = fromstring(data)
    except DefusedXmlException:
        message = (
            "refused: the file declares XML entities or refers to other files, which a"
            " Moodle export never does"
        )
        report.problems.append(Problem(filename, message))
        return report
    except (ET.ParseError, ValueError) as error:
        message = (
            "not a readable XML file: it may be damaged, cut short, or not saved as UTF-8"
            f" text ({error})"
        )
        report.problems.append(Problem(filename, message))
        return report
    if root.tag != "quiz":
        message = f"not a Moodle XML file: it holds <{root.tag}>, where Moodle writes <quiz>"
        report.problems.append(Problem(filename, message))
        return report
    taken: set[str] = set()
    category_tag: str | None = None
    for element in root.findall("question"):
        if report.full():
            break
        kind = (element.get("type") or "").strip()
        if kind == "category":
            parts = _category_parts(element.findtext("category/text") or "")
            if report.title is None and parts:
                report.title = parts[0]
            category_tag = tag_of(parts[-1]) if len(parts) > 1 else None
            continue
        try:
            name = _name(element)
        except TooDeeplyNested as error:
            report.problems.append(Problem(f"a question of type {kind or 'none'}", str(error)))
            continue
        reader = _READERS.get(kind)
        if reader is None:
            reason = _NOT_OURS.get(kind, f"Moodle {kind or 'untyped'} questions have no equivalent")
            report.skipped.append(Skipped(name, kind, reason))
            continue
        notes = _Notes()
        try:
            question = reader(element, notes)
            hint = _hint(element, notes)
        except (_Broken, TooDeeplyNested) as broken:
            report.problems.append(Problem(name, str(broken)))
            continue
        tags = _tags(element, category_tag)
        _note_files(element, notes)
        question = {
            "id": _question_id(element, name, taken),
            **question,
            **({"hint": hint} if hint else {}),
            **({"tags": tags} if tags else {}),
        }
        report.questions.append(question)
        report.adjusted += [Adjusted(name, message) for message in notes.messages]
    return report


def _category_parts(path: str) -> list[str]:
    """`$course$/top/A//B/C` -> ["A/B", "C"]: Moodle doubles a slash inside a name."""
    parts = [p.replace("//", "/").strip() for p in _CATEGORY_SEPARATOR.split(path.strip())]
    parts = [p for p in parts if p]
    if parts and parts[0].startswith("$") and parts[0].endswith("$"):
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return parts


def _name(element: ET.Element) -> str:
    return short_name(_plain(element.findtext("name/text") or "", "html")) or "(no name)"


def _question_id(element: ET.Element, name: str, taken: set[str]) -> str:
    """The file's idnumber when it is one of our ids (our exports write it), so a round
    trip keeps ids; otherwise an id made from the name."""
    idnumber = (element.findtext("idnumber") or "").strip()
    if _SLUG.match(idnumber) and len(idnumber) <= 100 and idnumber not in taken:
        taken.add(idnumber)
        return idnumber
    return question_id(name, taken)


def _tags(element: ET.Element, category_tag: str | None) -> list[str]:
    tags = [category_tag] if category_tag else []
    for text in element.findall("tags/tag/text"):
        value = (text.text or "").strip()
        finding = value[len(FINDING_TAG) :]
        if value.startswith(FINDING_TAG) and _SLUG.match(finding) and len(finding) <= 100:
            tag: str | None = value  # a finding's id, kept whole (it may be over 40)
        else:
            tag = tag_of(value)
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def _hint(element: ET.Element, notes: _Notes) -> str | None:
    hints = element.findall("hint")
    if not hints:
        return None
    if len(hints) > 1:
        notes.add(f"{len(hints)} hints in Moodle; only the first is kept")
    return _plain(hints[0].findtext("text") or "", hints[0].get("format", "html")) or None


def _note_files(element: ET.Element, notes: _Notes) -> None:
    names = [file.get("name") or "unnamed" for file in element.iter("file")]
    if element.find("image_base64") is not None:
        names.append(element.findtext("image") or "unnamed")
    for text in element.iter("text"):
        names += [name for name in media_in(text.text or "") if name not in names]
    if names:
        notes.add(media_note(names))


def _field(element: ET.Element | None, default_format: str = "html") -> tuple[str, str]:
    """The text of a Moodle text field and its format ("html", "markdown", ...)."""
    if element is None:
        return "", default_format
    return (element.findtext("text") or "").strip(), element.get("format", default_format)


def _markdown(text: str, text_format: str) -> str:
    if text_format == "plain_text":
        return plain_to_markdown(text.strip())
    if text_format in _AS_IS:
        return text.strip()
    return html_to_markdown(_FILE_LINK.sub(r"\1", text))


def _plain(text: str, text_format: str) -> str:
    """Text for our plain-text fields (option texts, hints): no markup, one line."""
    return " ".join(text.split()) if text_format in _AS_IS else html_to_text(text)


def _prompt(element: ET.Element) -> str:
    text, text_format = _field(element.find("questiontext"))
    prompt = _markdown(text, text_format)
    if not prompt:
        raise _Broken("the question has no text")
    return prompt


def _general_feedback(element: ET.Element) -> str:
    question_format = element.find("questiontext")
    default = question_format.get("format", "html") if question_format is not None else "html"
    return _markdown(*_field(element.find("generalfeedback"), default))


def _scored_feedback(element: ET.Element, notes: _Notes) -> str:
    feedback = _general_feedback(element)
    if feedback:
        return feedback
    notes.add("no general feedback in Moodle: a placeholder is written in its place")
    return todo("write the feedback shown after answering")


def _points(element: ET.Element, notes: _Notes) -> int:
    raw = (element.findtext("defaultgrade") or "1").strip()
    try:
        value = float(raw)
    except ValueError:
        raise _Broken(f"its default mark {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise _Broken(f"its default mark {raw!r} is not a number")
    points = min(10, max(1, round(value)))
    if abs(points - value) > _GRADE_SLACK:
        notes.add(
            f"worth {raw} marks in Moodle; our questions are worth a whole number of"
            f" points from 1 to 10, so it is worth {points}"
        )
    return points


def _fractions(answers: list[ET.Element]) -> list[float]:
    """Each answer's grade as a fraction, refusing those Moodle's importer refuses."""
    fractions, invalid = [], []
    for number, answer in enumerate(answers, start=1):
        raw = (answer.get("fraction") or "0").strip()
        try:
            fraction = float(raw) / 100
        except ValueError:
            fraction = math.nan
        if not any(abs(abs(fraction) - grade) < _GRADE_SLACK for grade in MOODLE_GRADES):
            invalid.append(f"{raw}% (answer {number})")
        fractions.append(fraction)
    if invalid:
        raise _Broken(
            f"invalid grade {', '.join(invalid)}: Moodle accepts only 100, 90, 83.33333, 80,"
            " 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20, 16.66667, 14.28571, 12.5,"
            " 11.11111, 10, 5 and 0 percent, and their negatives"
        )
    return fractions


def _percent(fraction: float) -> str:
    """A grade as Moodle writes it: the stored fraction (7 places) times 100, as PHP
    prints a float ("100", "50", "33.33333", "-100")."""
    text = f"{round(fraction, 7) * 100:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def _multichoice(element: ET.Element, notes: _Notes) -> dict[str, Any]:
    answers = element.findall("answer")
    if len(answers) < 2:
        raise _Broken(f"a choice question needs at least two answers; it has {len(answers)}")
    fractions = _fractions(answers)
    single = (element.findtext("single") or "true").strip() not in ("false", "0", "")
    question_format = element.find("questiontext")
    default = question_format.get("format", "html") if question_format is not None else "html"
    options: list[dict[str, Any]] = []
    blank_texts = blank_feedback = 0
    for answer in answers:
        text = _plain(*_field(answer, default))
        if not text:
            blank_texts += 1
            text = todo(f"write option {len(options) + 1} (it had no text, or only an image)")
        feedback = _markdown(*_field(answer.find("feedback"), default))
        if not feedback:
            blank_feedback += 1
            feedback = todo("write the feedback for this option")
        options.append({"text": text, "correct": False, "feedback": feedback})
    if blank_texts:
        notes.add(f"{blank_texts} option(s) had no text: placeholders are written in their place")
    if blank_feedback:
        notes.add(
            f"{blank_feedback} option(s) had no feedback: placeholders are written in their place"
        )
    if single:
        _single_key(options, fractions, notes)
    else:
        _multiple_key(options, fractions, notes)
    shuffle = (element.findtext("shuffleanswers") or "false").strip() not in ("false", "0", "")
    return {
        "type": "single" if single else "multiple",
        "prompt": _prompt(element),
        "feedback": _scored_feedback(element, notes),
        "points": _points(element, notes),
        **({} if shuffle else {"shuffle": False}),
        "options": options,
    }


def _single_key(options: list[dict[str, Any]], fractions: list[float], notes: _Notes) -> None:
    full = [index for index, fraction in enumerate(fractions) if abs(fraction - 1) < _GRADE_SLACK]
    if not full:
        raise _Broken("no answer is worth 100%, which Moodle requires of a one-answer question")
    options[full[0]]["correct"] = True
    if len(full) > 1:
        others = ", ".join(str(index + 1) for index in full[1:])
        notes.add(
            f"answers {full[0] + 1} and {others} are all worth 100%; a single-choice"
            f" question has one right option, so only answer {full[0] + 1} is right"
        )
    partial = [
        f"{_percent(fraction)}% (answer {index + 1})"
        for index, fraction in enumerate(fractions)
        if index not in full and abs(fraction) > _GRADE_SLACK
    ]
    if partial:
        notes.add(
            f"partial or negative grades {', '.join(partial)} not kept: any option but the"
            " right one scores 0"
        )


def _multiple_key(options: list[dict[str, Any]], fractions: list[float], notes: _Notes) -> None:
    right = [fraction for fraction in fractions if fraction > _GRADE_SLACK]
    if not right:
        raise _Broken("no answer has a positive grade, so no answer is right")
    if abs(sum(right) - 1) > _SUM_SLACK:
        raise _Broken(
            f"the positive grades add up to {_percent(sum(right))}%, not 100%, which Moodle refuses"
        )
    for option, fraction in zip(options, fractions, strict=True):
        option["correct"] = fraction > _GRADE_SLACK
    share = 1 / len(right)
    if any(abs(fraction - share) > _SUM_SLACK for fraction in right):
        listed = ", ".join(f"{_percent(fraction)}%" for fraction in right)
        notes.add(
            f"the right options are worth {listed} in Moodle; our rule gives each of the"
            f" {len(right)} an equal share ({_percent(share)}%)"
        )
    wrong = [fraction for fraction in fractions if fraction <= _GRADE_SLACK]
    if wrong:
        penalty = -1 / len(wrong)
        if any(abs(fraction - penalty) > _SUM_SLACK for fraction in wrong):
            listed = ", ".join(f"{_percent(fraction)}%" for fraction in wrong)
            notes.add(
                f"the wrong options are worth {listed} in Moodle; our rule takes"
                f" {_percent(-penalty)}% (1/{len(wrong)}) for each wrong option chosen,"
                " never going below 0"
            )


def _truefalse(element: ET.Element, notes: _Notes) -> dict[str, Any]:
    answers = element.findall("answer")
    fractions = _fractions(answers)
    question_format = element.find("questiontext")
    default = question_format.get("format", "html") if question_format is not None else "html"
    by_value: dict[bool, tuple[float, str]] = {}
    for position, (answer, fraction) in enumerate(zip(answers, fractions, strict=True)):
        label = (answer.findtext("text") or "").strip()
        # Old exports wrote the labels in the author's language, true first (as Moodle reads).
        value = label == "true" if label in ("true", "false") else position == 0
        by_value[value] = (fraction, _markdown(*_field(answer.find("feedback"), default)))
    if set(by_value) != {True, False}:
        raise _Broken("a true/false question needs a 'true' and a 'false' answer")
    feedback = {}
    for value in (True, False):
        text = by_value[value][1]
        if not text:
            notes.add(
                f"no feedback for the answer {str(value).lower()}: a placeholder is written"
                " in its place"
            )
            text = todo(f"write the feedback for those who answer {str(value).lower()}")
        feedback[value] = text
    return {
        "type": "true_false",
        "prompt": _prompt(element),
        "feedback": _scored_feedback(element, notes),
        "points": _points(element, notes),
        "answer": abs(by_value[True][0] - 1) < _GRADE_SLACK,
        "feedback_true": feedback[True],
        "feedback_false": feedback[False],
    }


def _essay(element: ET.Element, notes: _Notes) -> dict[str, Any]:
    marks = (element.findtext("defaultgrade") or "0").strip()
    try:
        value = float(marks)
        marked, worth = value > 0, f"worth {value:g} mark{'' if value == 1 else 's'}"
    except ValueError:
        marked, worth = True, f"worth {marks} marks"
    if marked:
        notes.add(
            f"an essay marked by a teacher in Moodle ({worth}) is imported as a reflection,"
            " which is never marked"
        )
    if _field(element.find("graderinfo"))[0]:
        notes.add("the information for graders is not imported")
    feedback = _general_feedback(element)
    return {
        "type": "reflection",
        "prompt": _prompt(element),
        **({"feedback": feedback} if feedback else {}),
    }


_READERS: dict[str, Callable[[ET.Element, _Notes], dict[str, Any]]] = {
    "multichoice": _multichoice,
    "truefalse": _truefalse,
    "essay": _essay,
}


# Writing. The element order and values follow Moodle's own writer (format.php), so a
# file of ours looks to Moodle like one of its exports.

#: Our Markdown goes as Moodle's markdown format, so it comes back character for character.
_MARKDOWN = "markdown"
#: Moodle's `penalty` (the share lost per retry in interactive mode) for each type, as
#: Moodle sets it by default; our checks have no retries.
_PENALTY = {"multichoice": "0.3333333", "truefalse": "1.0000000", "essay": "0.0000000"}
_NOT_WRITTEN = {
    "ordering": (
        "ordering questions are not written yet: Moodle's ordering type (qtype_ordering)"
        " has elements of its own"
    ),
    "scenario": "branching scenarios have no equivalent in Moodle",
}
#: Our multiple-response rule splits 100% among the right options (and the penalty
#: among the wrong ones) equally; Moodle's grades can do that for up to 10 of them.
_MOST_SHARES = 10


def write(content: dict[str, Any]) -> Exported:
    """A bank version's content as a Moodle XML file, and the questions it can't hold."""
    quiz = ET.Element("quiz")
    category = ET.SubElement(quiz, "question", type="category")
    path = "$course$/top/" + str(content.get("title") or content.get("id")).replace("/", "//")
    _text(ET.SubElement(category, "category"), path)
    _text(ET.SubElement(category, "info", format=_MARKDOWN), content.get("summary", ""))
    ET.SubElement(category, "idnumber").text = content.get("id", "")
    skipped: list[Skipped] = []
    for question in content["questions"]:
        kind = question["type"]
        reason = _NOT_WRITTEN.get(kind) or _unwritable(question)
        if reason:
            skipped.append(Skipped(question["id"], kind, reason))
            continue
        quiz.append(_question(question))
    ET.indent(quiz)
    # Moodle writes empty text as <text></text>; so do we.
    text = ET.tostring(quiz, encoding="unicode", short_empty_elements=False)
    return Exported(f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n'.encode(), skipped)


def _unwritable(question: dict[str, Any]) -> str | None:
    if question["type"] != "multiple":
        return None
    right = sum(1 for option in question["options"] if option["correct"])
    wrong = len(question["options"]) - right
    if max(right, wrong) > _MOST_SHARES:
        return (
            f"{right} right and {wrong} wrong options: Moodle's grades can't split 100% into"
            f" more than {_MOST_SHARES} equal shares"
        )
    return None


def _text(parent: ET.Element, value: str) -> ET.Element:
    ET.SubElement(parent, "text").text = value
    return parent


def _question(question: dict[str, Any]) -> ET.Element:
    kind = {"single": "multichoice", "multiple": "multichoice", "true_false": "truefalse"}.get(
        question["type"], "essay"
    )
    element = ET.Element("question", type=kind)
    _text(ET.SubElement(element, "name"), question["id"])
    _text(ET.SubElement(element, "questiontext", format=_MARKDOWN), question["prompt"])
    feedback = question.get("feedback") or ""
    _text(ET.SubElement(element, "generalfeedback", format=_MARKDOWN), feedback)
    ET.SubElement(element, "defaultgrade").text = f"{question.get('points', 0):.7f}"
    ET.SubElement(element, "penalty").text = _PENALTY[kind]
    ET.SubElement(element, "hidden").text = "0"
    ET.SubElement(element, "idnumber").text = question["id"]
    if kind == "multichoice":
        _write_choice(element, question)
    elif kind == "truefalse":
        for value in (True, False):
            fraction = 1.0 if question["answer"] is value else 0.0
            answer = _answer(element, fraction, "moodle_auto_format", str(value).lower())
            feedback_text = question["feedback_true" if value else "feedback_false"]
            _text(ET.SubElement(answer, "feedback", format=_MARKDOWN), feedback_text)
    else:
        for name, value in (
            ("responseformat", "editor"),
            ("responserequired", "0"),  # a reflection may be left blank
            ("responsefieldlines", "10"),
            ("attachments", "0"),
            ("attachmentsrequired", "0"),
        ):
            ET.SubElement(element, name).text = value
        _text(ET.SubElement(element, "graderinfo", format="html"), "")
        _text(ET.SubElement(element, "responsetemplate", format="html"), "")
    if question.get("hint"):
        _text(ET.SubElement(element, "hint", format="plain_text"), question["hint"])
    tags = list(question.get("tags") or [])
    tags += [FINDING_TAG + finding for finding in question.get("findings") or []]
    if tags:
        holder = ET.SubElement(element, "tags")
        for tag in tags:
            _text(ET.SubElement(holder, "tag"), tag)
    return element


def _write_choice(element: ET.Element, question: dict[str, Any]) -> None:
    single = question["type"] == "single"
    ET.SubElement(element, "single").text = "true" if single else "false"
    shuffle = question.get("shuffle") is not False
    ET.SubElement(element, "shuffleanswers").text = "true" if shuffle else "false"
    ET.SubElement(element, "answernumbering").text = "abc"
    ET.SubElement(element, "showstandardinstruction").text = "0"
    for name in ("correctfeedback", "partiallycorrectfeedback", "incorrectfeedback"):
        _text(ET.SubElement(element, name, format="html"), "")
    options = question["options"]
    right = sum(1 for option in options if option["correct"])
    wrong = len(options) - right
    if not single:
        ET.SubElement(element, "shownumcorrect")
    for option in options:
        if single:
            fraction = 1.0 if option["correct"] else 0.0
        else:
            fraction = 1 / right if option["correct"] else -1 / wrong
        answer = _answer(element, fraction, "plain_text", option["text"])
        _text(ET.SubElement(answer, "feedback", format=_MARKDOWN), option["feedback"])


def _answer(parent: ET.Element, fraction: float, text_format: str, text: str) -> ET.Element:
    answer = ET.SubElement(parent, "answer", fraction=_percent(fraction), format=text_format)
    return _text(answer, text)
