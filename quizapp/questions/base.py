"""What every question type shares, and the contract each one fulfils.

A question type is a plug-in: its module holds the type's YAML fields, how a submitted
form becomes an answer, how an answer is marked and what feedback it earns. Keeping all
of a type's rules in one module is what lets a new type arrive without the bank loader,
the pages that take a check or the scoring code changing.

Nothing here knows about Flask: a form is anything with `getlist`, a question is the
plain dict the bank schema dumps, and an answer is plain JSON.
"""

from __future__ import annotations

import hashlib
import hmac
import random
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


@dataclass(frozen=True)
class Arrangement:
    """How one question is laid out for one attempt: the order its options or items are
    shown in, and the form values that stand for them.

    With a `key` (every attempt since layout 2), options are shuffled and each option or
    item is sent as an opaque value made from the key and the seed, so nothing in the
    page says which option is right or where an item belongs. Without one (layout 1,
    attempts made before), options keep file order and are sent as their indexes, exactly
    as those attempts were shown. Either way the same seed gives the same page every time.
    """

    #: Differs per attempt and question; never sent to the browser.
    seed: int
    #: Secret for opaque values (derived from the app's secret key); None for layout 1.
    key: bytes | None = None

    @property
    def opaque(self) -> bool:
        return self.key is not None

    def _random(self, purpose: str) -> random.Random:
        if self.key is None:
            return random.Random(self.seed)
        digest = hmac.new(self.key, f"{purpose}:{self.seed}".encode(), hashlib.sha256)
        return random.Random(digest.digest())

    def option_order(
        self, count: int, *, fixed: frozenset[int] = frozenset(), shuffle: bool = True
    ) -> list[int]:
        """Option indexes in the order shown; fixed options keep their places."""
        order = list(range(count))
        if not self.opaque or not shuffle:
            return order
        movable = [index for index in order if index not in fixed]
        self._random("options").shuffle(movable)
        moved = iter(movable)
        return [index if index in fixed else next(moved) for index in order]

    def item_order(self, count: int) -> list[int]:
        """Ordering items as shown: shuffled, and never already in the right order."""
        order = list(range(count))
        self._random("items").shuffle(order)
        if order == sorted(order):
            order = order[1:] + order[:1]
        return order

    def value(self, index: int) -> str:
        """What the form sends for option or item `index`."""
        if self.key is None:
            return str(index)
        digest = hmac.new(self.key, f"value:{self.seed}:{index}".encode(), hashlib.sha256)
        return digest.hexdigest()[:12]

    def index_of(self, value: str, count: int) -> int | None:
        """The option or item a sent value stands for, or None for anything else."""
        if self.key is None:
            return parse_index(value, count)
        return next((index for index in range(count) if self.value(index) == value), None)


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
    def parse_answer(self, spec: Spec, form: FormData, arrangement: Arrangement) -> Answer:
        """Raise AnswerError, and nothing else, for any input a browser could send; the
        form's values are read as `arrangement` (the page's own layout) wrote them."""

    @abstractmethod
    def score(self, spec: Spec, answer: Answer) -> float:
        """Raw fraction in [0, 1]; certainty and points are applied by quizapp.scoring."""

    @abstractmethod
    def answer_text(self, spec: Spec, answer: Answer | None) -> str:
        """Plain text for a "Check your answers" page; None means not answered."""

    @abstractmethod
    def correct_answer_text(self, spec: Spec) -> str | None:
        """Plain text of the right answer, or None where there is no right answer."""

    def feedback(
        self, spec: Spec, answer: Answer, arrangement: Arrangement | None = None
    ) -> list[OptionFeedback]:
        """Feedback earned by this particular answer, in the order the attempt showed the
        options (file order without `arrangement`); the question's general feedback is
        the caller's to show."""
        return []

    @abstractmethod
    def presentation(self, spec: Spec, arrangement: Arrangement) -> dict[str, Any]:
        """What the type's template needs, laid out as `arrangement` says."""


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


def option_feedback(
    spec: Spec, chosen: set[int], order: Sequence[int] | None = None
) -> list[OptionFeedback]:
    """Every option chosen, and every right option not chosen, in the order shown (file
    order if not given): what the practitioner picked is explained, what they missed is
    taught."""
    options = spec["options"]
    return [
        OptionFeedback(
            text=options[index]["text"],
            chosen=index in chosen,
            correct=options[index]["correct"],
            feedback=options[index]["feedback"],
        )
        for index in (order if order is not None else range(len(options)))
        if index in chosen or options[index]["correct"]
    ]


def shown_order(spec: Spec, arrangement: Arrangement) -> list[int]:
    """The order a choice question's options are shown in."""
    options = spec["options"]
    fixed = frozenset(index for index, option in enumerate(options) if option.get("fixed"))
    return arrangement.option_order(
        len(options), fixed=fixed, shuffle=spec.get("shuffle") is not False
    )


def option_presentation(spec: Spec, arrangement: Arrangement) -> dict[str, Any]:
    """Options in the order shown, each sent as the arrangement's value for it."""
    options = spec["options"]
    return {
        "options": [
            {"index": index, "value": arrangement.value(index), "text": options[index]["text"]}
            for index in shown_order(spec, arrangement)
        ]
    }


def chosen_option(value: str, spec: Spec, arrangement: Arrangement) -> int | None:
    return arrangement.index_of(value.strip(), len(spec["options"]))
