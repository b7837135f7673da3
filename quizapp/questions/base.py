"""What every question type shares, and the contract each one fulfils.

A question type is a plug-in: its module holds the type's YAML fields, how a submitted
form becomes an answer, how an answer is marked and what feedback it earns. Keeping all
of a type's rules in one module is what lets a new type arrive without the bank loader,
the pages that take a check or the scoring code changing.

Nothing here knows about Flask: a form is anything with `getlist`, a question is the
plain dict the bank schema dumps, and an answer is plain JSON.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

#: Bank, finding, stage and question ids: stable, URL-safe and readable in a file.
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
#: Longest free-text answer kept, so one pasted document cannot bloat an attempt.
MAX_TEXT_ANSWER = 10_000

#: A question as the bank schema dumps it (`model_dump(mode="json")`), common fields and all.
Spec = Mapping[str, Any]
#: single: int; multiple: sorted list[int]; true_false: bool; ordering: list[int]; reflection: str.
Answer = int | bool | str | list[int]

_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
# A tag or comment, not a bare "<" (ages such as "<5" are common in reviews) and not a
# Markdown autolink such as <https://example.org>.
_HTML = re.compile(r"<!--|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")


def _unify_line_breaks(value: str) -> str:
    # YAML turns these into "\n" inside block scalars, so they must not survive loading
    # or a dumped-and-reloaded bank would hash differently.
    return value.replace("\r\n", "\n").replace("\r", "\n").replace("\x85", "\n")


def _plain_text(value: str) -> str:
    value = _unify_line_breaks(value).strip()
    if not value:
        raise ValueError("must not be empty")
    return value


def _markdown(value: str) -> str:
    value = _LEADING_BLANK_LINES.sub("", _unify_line_breaks(value)).rstrip()
    if not value.strip():
        raise ValueError("must not be empty")
    if found := _HTML.search(value):
        raise ValueError(
            f"raw HTML is not allowed (found {found.group()[:40]!r}); write Markdown instead"
        )
    return value


#: Normalised on load so that YAML styling (`|`, `|-`, quotes) never changes content.
PlainText = Annotated[str, AfterValidator(_plain_text)]
Markdown = Annotated[str, AfterValidator(_markdown)]
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=100)]


class SpecModel(BaseModel):
    """Strict so that `correct: "yes"` or `points: "2"` is an author error, not a guess."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Option(SpecModel):
    """One choice in a single- or multiple-choice question."""

    text: PlainText
    correct: bool
    #: Why this option is or is not right; shown to whoever chose it.
    feedback: Markdown
    #: Kept in its place when the other options are shuffled ("None of these" last).
    fixed: bool | None = None


class AnswerError(ValueError):
    """The form cannot be turned into an answer; `message` is shown beside the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FormData(Protocol):
    """Werkzeug's MultiDict satisfies this, and so does a test double."""

    def getlist(self, key: str, /) -> list[Any]: ...


@dataclass(frozen=True)
class OptionFeedback:
    """Feedback on one option, with enough context for the page to say what happened.

    `chosen and correct`: a right choice; `chosen and not correct`: a wrong choice;
    `missed` (correct, not chosen): what the practitioner should also have picked.
    """

    #: Option text as shown ("True"/"False" for true/false questions).
    text: str
    chosen: bool
    correct: bool
    #: Markdown from the bank.
    feedback: str

    @property
    def missed(self) -> bool:
        return self.correct and not self.chosen


class QuestionType(ABC):
    """One kind of question. Instances are stateless; the registry holds one of each."""

    name: ClassVar[str]
    label: ClassVar[str]
    #: Unscored types (reflection) carry no points, no certainty and no mark.
    scored: ClassVar[bool] = True
    #: The type's own YAML fields; the bank schema adds the common ones (id, prompt...).
    spec_model: ClassVar[type[SpecModel]]

    @property
    def template(self) -> str:
        return f"take/questions/{self.name}.html"

    def validate(self, spec: Spec) -> list[tuple[str, str]]:
        """Rules pydantic cannot express, as (path within the question, message) pairs."""
        return []

    @abstractmethod
    def parse_answer(self, spec: Spec, form: FormData) -> Answer:
        """Raise AnswerError, and nothing else, for any input a browser could send."""

    @abstractmethod
    def score(self, spec: Spec, answer: Answer) -> float:
        """Raw fraction in [0, 1]; certainty and points are applied by quizapp.scoring."""

    @abstractmethod
    def answer_text(self, spec: Spec, answer: Answer | None) -> str:
        """Plain text for a "Check your answers" page; None means not answered."""

    @abstractmethod
    def correct_answer_text(self, spec: Spec) -> str | None:
        """Plain text of the right answer, or None where there is no right answer."""

    def feedback(self, spec: Spec, answer: Answer) -> list[OptionFeedback]:
        """Feedback earned by this particular answer; the question's general feedback
        is the caller's to show."""
        return []

    @abstractmethod
    def presentation(self, spec: Spec, seed: int) -> dict[str, Any]:
        """What the type's template needs; `seed` makes any shuffling repeatable."""


NOT_ANSWERED = "Not answered"


def form_values(form: FormData, name: str) -> list[str]:
    """Non-blank string values only: a blank radio or box is the same as none sent."""
    return [value for value in form.getlist(name) if isinstance(value, str) and value.strip()]


def one_value(form: FormData, name: str, message: str) -> str:
    """Exactly one value; two values for a one-answer field means the form was tampered
    with, which gets the same message as no answer."""
    values = form_values(form, name)
    if len(values) != 1:
        raise AnswerError(message)
    return values[0].strip()


_INDEX = re.compile(r"[0-9]{1,6}")


def parse_index(value: str, count: int) -> int | None:
    """An index below `count`, or None; ASCII digits only, so "²" or "1e3" cannot pass."""
    if not _INDEX.fullmatch(value):
        return None
    index = int(value)
    return index if index < count else None


def check_index(answer: object, count: int) -> int:
    """Guard stored answers: an answer that does not fit the question is a bug, not a 0."""
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < count:
        raise ValueError(f"answer {answer!r} is not an option index below {count}")
    return answer


def same_text_key(text: str) -> str:
    """Texts that differ only in case or spacing look identical to a practitioner."""
    return " ".join(text.casefold().split())


def duplicate_texts(texts: Sequence[str], path: str) -> list[tuple[str, str]]:
    """One error per repeated text, pointing at the repeat and naming the first."""
    first_seen: dict[str, int] = {}
    errors = []
    for index, text in enumerate(texts):
        key = same_text_key(text)
        if key in first_seen:
            errors.append((path.format(index), f"repeats {path.format(first_seen[key])}"))
        else:
            first_seen[key] = index
    return errors


class ChoiceSpec(SpecModel):
    #: Options are shuffled for each attempt unless this is false.
    shuffle: bool | None = None
    options: list[Option] = Field(min_length=2)


def option_rules(spec: Spec, *, single: bool) -> list[tuple[str, str]]:
    """Shared rules for choice questions; single choice needs exactly one right option."""
    options = spec["options"]
    errors = duplicate_texts([option["text"] for option in options], "options[{}].text")
    correct = sum(1 for option in options if option["correct"])
    if single and correct != 1:
        errors.append(("options", f"exactly one option must be correct: true (found {correct})"))
    elif not single and correct == 0:
        errors.append(("options", "at least one option must be correct: true (found none)"))
    return errors


def option_feedback(spec: Spec, chosen: set[int]) -> list[OptionFeedback]:
    """Every option chosen, and every right option not chosen, in the order of the file:
    what the practitioner picked is explained, and what they missed is taught."""
    return [
        OptionFeedback(
            text=option["text"],
            chosen=index in chosen,
            correct=option["correct"],
            feedback=option["feedback"],
        )
        for index, option in enumerate(spec["options"])
        if index in chosen or option["correct"]
    ]


def option_presentation(spec: Spec) -> dict[str, Any]:
    """Options in file order: the author's order is part of the question's design."""
    return {
        "options": [
            {"index": index, "value": str(index), "text": option["text"]}
            for index, option in enumerate(spec["options"])
        ]
    }
