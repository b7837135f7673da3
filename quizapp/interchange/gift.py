"""GIFT, Moodle's plain-text question format: read it into a draft bank, write a bank in it.

Trainers write GIFT by hand, so the reader follows what Moodle's own reader does
(moodle/moodle `question/format/gift/format.php`): questions are separated by blank
lines, `//` lines are comments, `\\` escapes `~ = # { } :` and `\\n` is a line break,
`::name::` names a question, `[html]`/`[markdown]`/`[plain]`/`[moodle]` give a text's
format, and the shape of what is between the braces gives the type. Where Moodle
guesses silently (a broken brace, a weight it can't read), we report a problem instead.

GIFT has no tags, findings, points, hints, pools or shuffle settings. The writer keeps
ours in a comment line before each question (`// quizapp: id=... tags=...`), which
Moodle ignores and `read` reads back, so a bank survives the round trip.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, unquote

from ..authoring.scaffolds import todo
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

SOURCE_FORMAT = "GIFT"
#: Starts the comment line carrying what GIFT has no place for.
META_PREFIX = "// quizapp:"
#: How Moodle shows the gap in a missing-word question.
BLANK = "_____"

_SPECIAL = "\\:#=~{}"
# An escaped character stands in as a private-use character while the structure is
# parsed, so `\{` is never taken for a brace; `restore` puts the character back.
_ESCAPED = re.compile(r"\\([\\:#=~{}n])")
_PRIVATE = 0xE000
_FORMATS = ("moodle", "html", "plain", "markdown")
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_LOOKS_LIKE_HTML = re.compile(r"</?[A-Za-z][A-Za-z0-9]*[\s/>]")
_CATEGORY = "$CATEGORY:"
# A "/" in a category's name is written "//" (Moodle's escaping); single ones separate.
_CATEGORY_SEPARATOR = re.compile(r"(?<!/)/(?!/)")
_TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_TOLERANCE = 1e-6


#: Control characters other than tab and line breaks: never meant as text, and NUL can't
#: be stored in PostgreSQL.
_HIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Broken(Exception):
    """A question Moodle would refuse or misread: the message goes to the report."""


# --- reading --------------------------------------------------------------------------


def read(text: str) -> ImportReport:
    """The questions of a GIFT file that map to our types, and a line for every other."""
    report = ImportReport(source_format=SOURCE_FORMAT)
    text, hidden = _HIDDEN.subn("", text)
    if hidden:
        report.adjusted.append(
            Adjusted(
                "the file",
                f"{hidden} hidden character{'s' if hidden > 1 else ''} (such as the"
                " control characters copying and pasting can bring) removed",
            )
        )
    taken: set[str] = set()
    category_tag: str | None = None
    for block in _blocks(text):
        if report.full():
            break
        meta: dict[str, str] | None = None
        lines = []
        for line in block:
            if line.startswith(META_PREFIX):
                meta = _read_meta(line[len(META_PREFIX) :])
            elif not line.startswith("//"):
                lines.append(line)
        if lines and lines[0].startswith(_CATEGORY):
            path = lines.pop(0)[len(_CATEGORY) :].strip()
            category = _CATEGORY_SEPARATOR.split(path)[-1].replace("//", "/").strip()
            category_tag = tag_of(category)
            report.title = report.title or category or None
        body = _escape("\n".join(lines).strip())
        if not body:
            continue
        name, body = _split_name(body)
        label = short_name(name or _first_words(restore(body)))
        adjusted = len(report.adjusted)
        try:
            question = _question(label, body, report)
            if question is not None:
                _identify(question, name, meta, category_tag, taken)
        except Exception as exc:  # a crash would hide every other question from the author
            message = (
                str(exc)
                if isinstance(exc, _Broken | TooDeeplyNested)
                else f"could not read this question ({type(exc).__name__}); please report it"
            )
            del report.adjusted[adjusted:]  # what would have changed no longer matters
            report.problems.append(Problem(label, message))
            continue
        if question is not None:
            report.questions.append(question)
            if media := media_in(restore(body)):
                report.adjusted.append(Adjusted(label, media_note(media)))
    return report


def _blocks(text: str) -> list[list[str]]:
    """Lines of each question: Moodle trims every line and splits at blank ones."""
    blocks: list[list[str]] = [[]]
    for line in text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = line.strip()
        if line:
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def _escape(text: str) -> str:
    return _ESCAPED.sub(lambda m: chr(_PRIVATE + ord("\n" if m[1] == "n" else m[1])), text)


def restore(text: str) -> str:
    """Escaped characters back as themselves."""
    return "".join(
        chr(ord(c) - _PRIVATE) if _PRIVATE <= ord(c) < _PRIVATE + 128 else c for c in text
    )


def _split_name(body: str) -> tuple[str | None, str]:
    if not body.startswith("::"):
        return None, body
    end = body.find("::", 2)
    if end == -1:
        return None, body[2:].strip()
    return restore(body[2:end]).strip() or None, body[end + 2 :].strip()


def _first_words(text: str) -> str:
    words = text.split()
    return " ".join(words[:8]) + (" ..." if len(words) > 8 else "") or "(untitled)"


def _question(name: str, body: str, report: ImportReport) -> dict[str, Any] | None:
    """One question as a bank-format dict, or None when it is skipped (and reported)."""
    start, finish = body.find("{"), body.find("}")
    if start == -1 and finish == -1:
        report.skipped.append(
            Skipped(name, "description", "text without answers: nothing to ask or mark")
        )
        return None
    if start == -1 or finish < start:
        raise _Broken("a { and its } do not match (write \\{ or \\} for a brace in text)")
    if "{" in body[finish + 1 :] or "}" in body[finish + 1 :]:
        raise _Broken("more than one {...} answer section (write \\{ or \\} for a brace in text)")
    answers = body[start + 1 : finish].strip()
    before, after = body[:start], body[finish + 1 :].strip()
    general = ""
    if (separator := answers.rfind("####")) != -1:
        answers, general = answers[:separator].strip(), answers[separator + 4 :]
    kind = _kind(answers)
    if kind in _SKIPPED:
        report.skipped.append(Skipped(name, kind, _SKIPPED[kind]))
        return None
    if after:
        if kind == "multichoice":
            before = body[:start] + BLANK + body[finish + 1 :]
            message = f"missing word: the answers fill the gap shown as {BLANK} in the question"
            report.adjusted.append(Adjusted(name, message))
        elif re.search(r"\w", restore(after)):
            report.skipped.append(
                Skipped(name, f"missing word ({kind})", "only a choice can fill a gap here")
            )
            return None
        else:
            message = f"text after the answers ({restore(after)!r}) left out: punctuation only"
            report.adjusted.append(Adjusted(name, message))
    text_format, prompt = _formatted(before, "moodle")
    prompt = _text(text_format, prompt)
    if not prompt:
        raise _Broken("no question text")
    question: dict[str, Any] = {"prompt": prompt}
    feedback = _text(*_formatted(general, text_format))
    if kind == "essay":
        return {**question, "type": "reflection", **({"feedback": feedback} if feedback else {})}
    if not feedback:
        feedback = todo("write the general feedback")
        report.adjusted.append(Adjusted(name, "no general feedback: a placeholder is added"))
    question["feedback"] = feedback
    if kind == "truefalse":
        return {**question, **_true_false(name, answers, text_format, report)}
    return {**question, **_choice(name, answers, text_format, report)}


#: What we do with Moodle's types that have no equivalent here, and why.
_SKIPPED = {
    "numerical": "numeric answers are not a question type here",
    "matching": "matching is not a question type here",
    "short answer": "typed answers are not a question type here (they can't be marked fairly)",
}


def _kind(answers: str) -> str:
    """Moodle's type for what is between the braces, decided in Moodle's order."""
    if not answers:
        return "essay"
    if answers.startswith("#"):
        return "numerical"
    if "~" in answers:
        return "multichoice"
    if "=" in answers and "->" in answers:
        return "matching"
    if answers.split("#", 1)[0].strip() in _TRUE_FALSE:
        return "truefalse"
    return "short answer"


def _formatted(raw: str, default: str) -> tuple[str, str]:
    """A text's format (its `[name]` marker, else `default`) and its text, unescaped."""
    raw = raw.strip()
    if raw.startswith("[") and (end := raw.find("]")) != -1 and raw[1:end] in _FORMATS:
        return raw[1:end], restore(raw[end + 1 :]).strip()
    return default, restore(raw).strip()


def _text(text_format: str, text: str) -> str:
    """Author text in Markdown: HTML (and Moodle's format, which allows it) sanitised and
    converted, the rest as written."""
    if text_format == "html" or (text_format == "moodle" and _LOOKS_LIKE_HTML.search(text)):
        return html_to_markdown(text)
    if text_format == "plain":
        return plain_to_markdown(text)
    return text


def _option_text(text_format: str, text: str) -> str:
    """An answer's text as our plain option text: HTML (and Moodle's format with tags)
    without its markup, the rest as written."""
    if text_format == "html" or (text_format == "moodle" and _LOOKS_LIKE_HTML.search(text)):
        return html_to_text(text)
    return text


def _true_false(name: str, answers: str, text_format: str, report: ImportReport) -> dict[str, Any]:
    """Moodle's `{TRUE#for a wrong answer#for a right answer}`, as our per-answer feedback."""
    parts = answers.split("#", 2)
    answer = _TRUE_FALSE[parts[0].strip()]
    wrong, right = (_text(*_formatted(p, text_format)) for p in ([*parts, "", ""])[1:3])
    missing = [w for w, text in (("wrong", wrong), ("right", right)) if not text]
    if missing:
        message = f"no feedback for a {' or a '.join(missing)} answer: a placeholder is added"
        report.adjusted.append(Adjusted(name, message))
    wrong = wrong or todo(f"write the feedback for those who answer {not answer}")
    right = right or todo(f"write the feedback for those who answer {answer}")
    return {
        "type": "true_false",
        "answer": answer,
        "feedback_true": right if answer else wrong,
        "feedback_false": wrong if answer else right,
    }


def _choice(name: str, answers: str, text_format: str, report: ImportReport) -> dict[str, Any]:
    """Moodle's multichoice: with an `=` answer one is right (ours: single); with only
    `~` answers and weights, every answer with a positive weight is right (ours:
    multiple), marked by our rule, not by the file's weights."""
    one_right = "=" in answers
    options: list[dict[str, Any]] = []
    weights: list[float] = []
    for part in answers.replace("=", "~=").split("~"):
        part = part.strip()
        if not part:
            continue
        if part.startswith("="):
            weight, part = 1.0, part[1:]
        elif match := _WEIGHT.match(part):
            weight, part = float(match[1]) / 100, part[match.end() :]
            if not -1 <= weight <= 1:
                raise _Broken(f"weight {match[1]}% is outside -100% to 100%")
        elif part.startswith("%") and "%" in part[1:]:
            raise _Broken(f"weight {part[: part.index('%', 1) + 1]} is not a number")
        else:
            weight = 0.0
        text, _, feedback = part.partition("#")
        option = {
            "text": _option_text(*_formatted(text, text_format)),
            "correct": weight > 0,
            "feedback": _text(*_formatted(feedback, text_format)),
        }
        if not option["text"]:
            raise _Broken("an answer has no text")
        options.append(option)
        weights.append(weight)
    if len(options) < 2:
        raise _Broken("a choice needs at least two answers")
    no_feedback = [o["text"] for o in options if not o["feedback"]]
    for option in options:
        option["feedback"] = option["feedback"] or todo(
            f"say why '{option['text']}' is right or wrong"
        )
    if no_feedback:
        message = f"no feedback for {', '.join(no_feedback)}: placeholders are added"
        report.adjusted.append(Adjusted(name, message))
    if one_right:
        return _single(name, options, weights, report)
    if not any(o["correct"] for o in options):
        raise _Broken("no answer is right: give one = or some ~%...% weights above 0")
    _compare_weights(name, options, weights, report)
    return {"type": "multiple", "options": options}


def _single(
    name: str, options: list[dict[str, Any]], weights: list[float], report: ImportReport
) -> dict[str, Any]:
    right = [o for o, w in zip(options, weights, strict=True) if w >= 1]
    if len(right) != 1:
        raise _Broken(
            f"{len(right)} answers are fully right in a one-answer question: mark one with ="
            " (or, for choose-all-that-apply, give every answer a ~%...% weight)"
        )
    partial = [
        f"'{o['text']}' {_percent(w)}"
        for o, w in zip(options, weights, strict=True)
        if w != 0 and o is not right[0]
    ]
    for option in options:
        option["correct"] = option is right[0]
    if partial:
        message = (
            f"part marks {', '.join(partial)} left out: the right answer earns the marks,"
            " any other answer earns none"
        )
        report.adjusted.append(Adjusted(name, message))
    return {"type": "single", "options": options}


def _compare_weights(
    name: str, options: list[dict[str, Any]], weights: list[float], report: ImportReport
) -> None:
    """Say where the file's weights differ from what our rule gives (each right option
    1/k, each wrong one -1/m, never below 0): the question is marked by our rule."""
    right = sum(1 for o in options if o["correct"])
    wrong = len(options) - right
    ours = [1 / right if o["correct"] else -1 / wrong for o in options]
    differ = [
        f"'{o['text']}' is worth {_percent(mine)} here ({_percent(given)} in the file)"
        for o, given, mine in zip(options, weights, ours, strict=True)
        if abs(given - mine) > _TOLERANCE
    ]
    if differ:
        message = (
            f"marked as quizapp marks every question with several right answers:"
            f" {', '.join(differ)}. Each right answer chosen earns an equal share of the"
            " marks, each wrong one chosen takes an equal share away, never below 0"
        )
        report.adjusted.append(Adjusted(name, message))


def _percent(fraction: float) -> str:
    return f"{_weight(fraction)}%"


def _identify(
    question: dict[str, Any],
    name: str | None,
    meta: dict[str, str] | None,
    category_tag: str | None,
    taken: set[str],
) -> None:
    """Id, tags and what else the `// quizapp:` line carried; without it, the id comes
    from the question's name (or first words) and the tag from its category."""
    meta = meta or {}
    points = meta.get("points", "1")
    if not points.isdigit():
        raise _Broken(f"points={points} in the quizapp comment is not a number")
    wanted = meta.get("id") or name or _first_words(question["prompt"])
    new_id = wanted if meta.get("id") and wanted not in taken else question_id(wanted, taken)
    taken.add(new_id)
    question["id"] = new_id
    if "tags" in meta:
        tags = [t for t in meta["tags"].split(",") if t]
    else:
        tags = [category_tag] if category_tag else []
    if tags:
        question["tags"] = tags
    if "hint" in meta:
        question["hint"] = meta["hint"]
    if "pool" in meta:
        question["pool"] = meta["pool"]
    if "points" in meta and question["type"] != "reflection":
        question["points"] = int(points)
    if question["type"] in ("single", "multiple"):
        if meta.get("shuffle") == "false":
            question["shuffle"] = False
        for index in meta.get("fixed", "").split(","):
            if index.isdigit() and int(index) < len(question["options"]):
                question["options"][int(index)]["fixed"] = True


def _read_meta(text: str) -> dict[str, str]:
    pairs = (word.partition("=") for word in text.split())
    return {key: unquote(value) for key, sep, value in pairs if sep}


# --- writing --------------------------------------------------------------------------


def write(content: dict[str, Any]) -> Exported:
    """A bank version as a GIFT file Moodle imports: one category (the bank's title),
    then each question of a type GIFT has, the rest listed as skipped."""
    title = content.get("title") or content.get("id") or "quizapp"
    lines = [
        f"// {_one_line(title)}: exported from quizapp",
        "",
        f"{_CATEGORY} $course$/top/{_one_line(title).replace('/', '//')}",
        "",
    ]
    skipped: list[Skipped] = []
    for question in content.get("questions", []):
        writer = _WRITERS.get(question["type"])
        if writer is None:
            reason = _NOT_WRITTEN.get(question["type"], "GIFT has no such question type")
            skipped.append(Skipped(question["id"], question["type"], reason))
            continue
        lines += [_meta_line(question), writer(question), ""]
    return Exported(data="\n".join(lines).encode("utf-8"), skipped=skipped)


_NOT_WRITTEN = {
    "ordering": "GIFT has no ordering question (Moodle's ordering type has no GIFT syntax)",
    "scenario": "GIFT has no branching scenario",
}


def escape(text: str) -> str:
    """Text as GIFT writes it: special characters escaped, line breaks as `\\n`."""
    text = text.replace("\r", "")
    for char in _SPECIAL:
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _marked(text: str) -> str:
    """Escaped text inheriting the question's Markdown format; a text starting "[" gets
    the marker anyway, so Moodle never takes its start for one."""
    return ("[markdown]" if text.startswith("[") else "") + escape(text)


def _head(question: dict[str, Any]) -> str:
    return f"::{escape(question['id'])}::[markdown]{escape(question['prompt'])}"


def _general(question: dict[str, Any]) -> str:
    feedback = question.get("feedback")
    return f"####{_marked(feedback)}" if feedback else ""


def _write_reflection(question: dict[str, Any]) -> str:
    return f"{_head(question)}{{{_general(question)}}}"


def _write_true_false(question: dict[str, Any]) -> str:
    answer = question["answer"]
    right = question["feedback_true" if answer else "feedback_false"]
    wrong = question["feedback_false" if answer else "feedback_true"]
    return (
        f"{_head(question)}{{{'TRUE' if answer else 'FALSE'}"
        f"#{_marked(wrong)}#{_marked(right)}{_general(question)}}}"
    )


def _write_choice(question: dict[str, Any]) -> str:
    options = question["options"]
    lines = [f"{_head(question)}{{"]
    if question["type"] == "single":
        marks = ["=" if o["correct"] else "~" for o in options]
    else:
        right = sum(1 for o in options if o["correct"])
        wrong = len(options) - right
        marks = [f"~%{_weight(1 / right if o['correct'] else -1 / wrong)}%" for o in options]
    for mark, option in zip(marks, options, strict=True):
        text = _marked(option["text"])
        if mark == "~" and text.startswith("%"):
            mark = "~%0%"  # else Moodle reads the text's start as a weight
        lines.append(f"\t{mark}{text}#{_marked(option['feedback'])}")
    if general := _general(question):
        lines.append(f"\t{general}")
    return "\n".join([*lines, "}"])


def _weight(fraction: float) -> str:
    """A weight as Moodle writes one: percent, up to 5 decimals ("33.33333", "-50")."""
    return f"{fraction * 100:.5f}".rstrip("0").rstrip(".")


_WRITERS = {
    "single": _write_choice,
    "multiple": _write_choice,
    "true_false": _write_true_false,
    "reflection": _write_reflection,
}


def _meta_line(question: dict[str, Any]) -> str:
    """What GIFT has no place for, in a comment Moodle skips and `read` reads back."""
    tags = list(question.get("tags") or [])
    tags += [FINDING_TAG + f for f in question.get("findings") or []]
    meta = {"id": question["id"], "tags": ",".join(tags)}
    if question.get("points", 1) != 1:
        meta["points"] = str(question["points"])
    if question.get("shuffle") is False:
        meta["shuffle"] = "false"
    fixed = [str(i) for i, o in enumerate(question.get("options", [])) if o.get("fixed")]
    if fixed:
        meta["fixed"] = ",".join(fixed)
    for key in ("pool", "hint"):
        if question.get(key):
            meta[key] = question[key]
    return META_PREFIX + "".join(f" {k}={quote(v, safe=',-')}" for k, v in meta.items())
