"""Bank file format 1: the validated shape of a bank, and the rules across its parts.

The models are strict (no "yes" for true, no "80" for 80) and forbid unknown keys at
every level, because a misspelt key silently ignored is a question that never reaches
a practitioner. Question models are built from the question-type registry, so a new
type extends the format without touching this module.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    create_model,
)

from ..questions import QUESTION_TYPES, QuestionType
from ..questions.base import SLUG_PATTERN, Markdown, PlainText, Slug

FORMAT_VERSION = 1

FieldPath = tuple[str | int, ...]

#: What fits the database columns the importer writes to.
Title = Annotated[PlainText, StringConstraints(max_length=300)]


def _web_address(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError("must be a web address starting with https:// or http://")
    return value


Url = Annotated[str, StringConstraints(max_length=2000), AfterValidator(_web_address)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Source(_Model):
    publisher: Title
    title: Title
    url: Url | None = None


#: Length bounds of a finding's confidence phrasing (the column holds 300).
CONFIDENCE_MIN, CONFIDENCE_MAX = 5, 200


#: Control characters: they come from pasting, never belong in a question's words, and
#: NUL can't be stored in PostgreSQL.
_HIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def confidence_problem(value: str) -> str | None:
    """Why `value` (already stripped) can't complete "How confident are you ...?", or None.

    Shared with the draft editor, so the browser and the file say the same thing."""
    if len(value.splitlines()) > 1:
        return "must be one line"
    if _HIDDEN.search(value):
        return "must not include tabs or other hidden characters"
    if len(value) < CONFIDENCE_MIN:
        return f"must be at least {CONFIDENCE_MIN} characters"
    if len(value) > CONFIDENCE_MAX:
        return f"must be {CONFIDENCE_MAX} characters or fewer (it has {len(value)})"
    if value.lower().startswith("how confident"):
        return (
            'must not start with "How confident": write only the rest of the question,'
            ' for example "to challenge a decision made at a child protection conference"'
        )
    if value.endswith("?"):
        return 'must not end with "?": the question mark is added when it is asked'
    return None


def _confidence(value: str) -> str:
    value = value.strip()
    problem = confidence_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


#: The finding as practice, completing "How confident are you ...?".
Confidence = Annotated[str, AfterValidator(_confidence)]


class Finding(_Model):
    id: Slug
    kind: Literal["concern", "good-practice"]
    text: Markdown
    #: Optional; left out of the canonical content when absent, so banks written before
    #: it keep their content hash.
    confidence: Confidence | None = None


class Stage(_Model):
    id: Slug
    title: Title
    narrative: Markdown


def _follow_up_weeks(value: object) -> int | bool:
    # One check and one message, rather than a union's two (and `Literal[False]` would
    # take 0 for false).
    if value is False or (type(value) is int and 1 <= value <= 52):
        return value
    raise ValueError("should be a whole number of weeks from 1 to 52, or false for no follow-up")


class CheckSettings(_Model):
    pass_mark: int = Field(ge=0, le=100)
    certainty: bool
    #: None: unlimited attempts.
    attempts: int | None = Field(default=None, ge=1)
    refresh_months: int = Field(ge=1, le=120)
    #: After a failed attempt with attempts left, show the right answers ("answers") or
    #: only which answers were wrong, with the feedback ("feedback", the default).
    after_fail: Literal["feedback", "answers"] | None = None
    #: Branching scenarios: may people go back and change a decision? (Default: no.)
    scenario_back: bool | None = None
    #: CPD minutes a pass counts for in certificates and learning records (default 20).
    cpd_minutes: int | None = Field(default=None, ge=0, le=6000)
    #: Counts as participatory learning in a learning record (default: no).
    participatory: bool | None = None
    #: Ask how confident people are, before and after, for findings phrased for it
    #: (default: yes).
    ask_confidence: bool | None = None
    #: Ask the three quick questions about the check after the result (default: yes).
    ask_reaction: bool | None = None
    #: Weeks after a pass that the follow-up is due (default 8); `false`: no follow-up.
    #: (Not null for none: absent values are left out of the content, so null would read
    #: as the default.)
    follow_up_weeks: Annotated[int | bool, PlainValidator(_follow_up_weeks)] | None = None


def _no_repeats(tags: list[str]) -> list[str]:
    repeated = sorted({tag for tag in tags if tags.count(tag) > 1})
    if repeated:
        raise ValueError(f"each tag must be given once: {', '.join(repeated)} is repeated")
    return tags


#: A short label for a question ("early-help"), for authors: practitioners don't see it.
Tag = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=40)]


class QuestionBase(_Model):
    """Fields every question has; each type adds its own (see quizapp.questions)."""

    id: Slug
    stage: Slug
    type: str
    findings: list[Slug] = Field(default_factory=list)
    prompt: Markdown
    #: Plain text shown under the question.
    hint: PlainText | None = None
    #: Questions sharing a pool id are interchangeable variants: each attempt draws one.
    pool: Slug | None = None
    #: Labels for authors (finding questions on a theme); they change nothing in a check.
    tags: Annotated[list[Tag], AfterValidator(_no_repeats)] | None = None

    @property
    def question_type(self) -> QuestionType:
        return QUESTION_TYPES[self.type]

    def spec(self) -> dict[str, Any]:
        """The dict the question type's methods read (and the importer stores)."""
        return self.model_dump(mode="json", exclude_none=True)


class ScoredQuestion(QuestionBase):
    feedback: Markdown
    points: int = Field(default=1, ge=1, le=10)


class UnscoredQuestion(QuestionBase):
    feedback: Markdown | None = None


def _question_model(question_type: QuestionType) -> type[QuestionBase]:
    base = ScoredQuestion if question_type.scored else UnscoredQuestion
    model: type[QuestionBase] = create_model(  # type: ignore[call-overload]
        f"{type(question_type).__name__}Question",
        __base__=(base, question_type.spec_model),
        __module__=__name__,
        type=(Literal[question_type.name], ...),
    )
    return model


QUESTION_MODELS: dict[str, type[QuestionBase]] = {
    name: _question_model(question_type) for name, question_type in QUESTION_TYPES.items()
}

if TYPE_CHECKING:
    Question = QuestionBase
else:
    Question = Annotated[reduce(or_, QUESTION_MODELS.values()), Field(discriminator="type")]


class BankFile(_Model):
    format: Literal[1]
    id: Slug
    title: Title
    summary: Markdown
    source: Source
    findings: list[Finding] = Field(min_length=1)
    #: In story order; a stage may have no questions (pure narrative).
    stages: list[Stage] = Field(min_length=1)
    #: In the order shown.
    questions: list[Question] = Field(min_length=1)
    signposting: Markdown
    check: CheckSettings

    def to_data(self) -> dict[str, Any]:
        """Canonical JSON-able content: defaults filled in, absent optionals left out."""
        return self.model_dump(mode="json", exclude_none=True)

    def questions_in(self, stage_id: str) -> list[QuestionBase]:
        return [question for question in self.questions if question.stage == stage_id]


def content_hash(bank: BankFile) -> str:
    """Identity of a bank's content: formatting and comments do not change it, any
    change of content does, so an unchanged re-import is recognised."""
    canonical = json.dumps(
        bank.to_data(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# Rules across parts of the file. They read the raw YAML data, defensively, so that they
# are reported even when pydantic has found other errors in the same file.


def semantic_errors(data: dict[str, Any]) -> list[tuple[FieldPath, str]]:
    finding_ids = _ids(data, "findings")
    stage_ids = _ids(data, "stages")
    errors = [*_duplicate_ids(data, "findings", "finding")]
    errors += _duplicate_ids(data, "stages", "stage")
    errors += _duplicate_ids(data, "questions", "question")
    for index, question in _items(data, "questions"):
        errors += _question_errors(("questions", index), question, finding_ids, stage_ids)
    errors += _pool_errors(data)
    return errors


def _pool_errors(data: dict[str, Any]) -> list[tuple[FieldPath, str]]:
    """Variants in a pool must be interchangeable: whichever one an attempt draws, it is
    the same point of the story, tests the same findings and is worth the same marks."""
    pools: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, question in _items(data, "questions"):
        if isinstance(question.get("pool"), str):
            pools.setdefault(question["pool"], []).append((index, question))
    errors: list[tuple[FieldPath, str]] = []
    for pool, members in pools.items():
        first_index, first = members[0]
        if len(members) == 1:
            message = f"pool {pool!r} has only this question; a pool needs two or more variants"
            errors.append((("questions", first_index, "pool"), message))
        for index, question in members:
            question_type = QUESTION_TYPES.get(str(question.get("type")))
            if question_type is not None and not question_type.scored:
                label = question_type.label.lower()
                message = f"a {label} question is not marked, so it cannot be in a pool"
                errors.append((("questions", index, "pool"), message))
        for index, question in members[1:]:
            for key, noun, default in (
                ("stage", "stage", None),
                ("findings", "findings", []),
                ("points", "points", 1),
            ):
                mine, theirs = question.get(key, default), first.get(key, default)
                if key == "findings" and isinstance(mine, list) and isinstance(theirs, list):
                    mine, theirs = sorted(map(str, mine)), sorted(map(str, theirs))
                if mine != theirs:
                    message = (
                        f"every question in pool {pool!r} must have the same {noun} as"
                        f" questions[{first_index}] ({first.get('id')!r})"
                    )
                    errors.append((("questions", index, key), message))
    return errors


def _items(data: dict[str, Any], key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    items = data.get(key)
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


def _ids(data: dict[str, Any], key: str) -> set[str]:
    return {item["id"] for _, item in _items(data, key) if isinstance(item.get("id"), str)}


def _duplicate_ids(data: dict[str, Any], key: str, noun: str) -> list[tuple[FieldPath, str]]:
    first_seen: dict[str, int] = {}
    errors: list[tuple[FieldPath, str]] = []
    for index, item in _items(data, key):
        item_id = item.get("id")
        if not isinstance(item_id, str):
            continue
        if item_id in first_seen:
            first = f"{key}[{first_seen[item_id]}]"
            errors.append(((key, index, "id"), f"duplicate {noun} id {item_id!r} (as {first})"))
        else:
            first_seen[item_id] = index
    return errors


def _question_errors(
    path: FieldPath, question: dict[str, Any], finding_ids: set[str], stage_ids: set[str]
) -> list[tuple[FieldPath, str]]:
    errors: list[tuple[FieldPath, str]] = []
    stage = question.get("stage")
    if isinstance(stage, str) and stage not in stage_ids:
        message = f"unknown stage {stage!r}; stages are: {_listed(stage_ids)}"
        errors.append(((*path, "stage"), message))
    findings = question.get("findings", [])
    if isinstance(findings, list):
        seen: set[str] = set()
        for index, finding in enumerate(findings):
            if not isinstance(finding, str):
                continue
            if finding not in finding_ids:
                message = f"unknown finding {finding!r}; findings are: {_listed(finding_ids)}"
                errors.append(((*path, "findings", index), message))
            elif finding in seen:
                errors.append(((*path, "findings", index), f"finding {finding!r} is listed twice"))
            seen.add(finding)
    if question.get("type") == "scenario":
        errors += _alternative_finding_errors(path, question, finding_ids)
    type_name = question.get("type")
    question_type = QUESTION_TYPES.get(type_name) if isinstance(type_name, str) else None
    if question_type is None:
        return errors
    if question_type.scored and isinstance(findings, list) and not findings:
        errors.append(((*path, "findings"), "a scored question must test at least one finding"))
    try:
        spec = QUESTION_MODELS[question_type.name].model_validate(question).spec()
    except ValueError:
        return errors  # its own errors are reported by the whole-file validation
    for suffix, message in question_type.validate(spec):
        errors.append(((*path, *parse_path(suffix)), message))
    return errors


def _alternative_finding_errors(
    path: FieldPath, question: dict[str, Any], finding_ids: set[str]
) -> list[tuple[FieldPath, str]]:
    """A scenario's alternatives name findings too (what choosing them shows)."""
    errors: list[tuple[FieldPath, str]] = []
    for node_index, node in _items(question, "nodes"):
        for alt_index, alternative in _items(node, "alternatives"):
            for index, finding in _items_of(alternative.get("findings")):
                if isinstance(finding, str) and finding not in finding_ids:
                    message = f"unknown finding {finding!r}; findings are: {_listed(finding_ids)}"
                    where = (*path, "nodes", node_index, "alternatives", alt_index)
                    errors.append(((*where, "findings", index), message))
    return errors


def _items_of(value: object) -> Iterator[tuple[int, object]]:
    yield from enumerate(value) if isinstance(value, list) else ()


def _listed(ids: set[str]) -> str:
    return ", ".join(sorted(ids)) or "(none)"


def parse_path(text: str) -> FieldPath:
    """Inverse of format_path: "options[2].text" gives ("options", 2, "text")."""
    path: list[str | int] = []
    for part in text.replace("[", ".[").split("."):
        if part.startswith("[") and part.endswith("]"):
            path.append(int(part[1:-1]))
        elif part:
            path.append(part)
    return tuple(path)


def format_path(path: FieldPath) -> str:
    """("questions", 3, "options") -> "questions[3].options"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text or "(file)"


# Item-writing warnings. They never block an import and are not part of the content (so
# not of the hash): a bank can have a good reason for each. They point at the clues that
# let a practitioner score without reading (Haladyna, Downing and Rodriguez, 2002; see
# docs/writing-questions.md). Like the rules above, they read the raw data defensively.

#: A share of questions above this, and at least _CLUE_MINIMUM of them, is a pattern.
_CLUE_SHARE = 0.5
_CLUE_MINIMUM = 3
_ABOVE = re.compile(r"\b(all|none|both|neither|any) of the above\b", re.IGNORECASE)
_ALL_OF_THESE = re.compile(r"\ball of (these|them|the options)\b", re.IGNORECASE)
_NONE_OF_THESE = re.compile(r"\bnone of (these|them|the options)\b", re.IGNORECASE)
_NEGATIVE = re.compile(r"\b(not|except|least)\b", re.IGNORECASE)
_EMPHASIS = re.compile(r"\*\*.+?\*\*|__.+?__", re.DOTALL)
_KEYED_TYPES = ("single", "multiple", "true_false")
_SENTENCE = re.compile(r"[^.?!]*[.?!]+|[^.?!]+$")


def item_warnings(data: dict[str, Any]) -> list[tuple[FieldPath, str]]:
    """Detectable item-writing problems: the key's length or position gives it away,
    "all/none of the above" options, and negative stems without emphasis."""
    warnings: list[tuple[FieldPath, str]] = []
    choice = [
        (index, question, options)
        for index, question in _items(data, "questions")
        if question.get("type") in ("single", "multiple")
        and (options := _choice_options(question)) is not None
    ]
    single = [(index, q, options) for index, q, options in choice if q.get("type") == "single"]
    multiple = [(index, q, options) for index, q, options in choice if q.get("type") == "multiple"]
    warnings += _longest_key_warnings(single, multiple)
    warnings += _key_position_warnings(single)
    for index, _question, options in choice:
        warnings += _option_text_warnings(("questions", index), options)
    for index, question in _items(data, "questions"):
        # A negative turns a keyed answer upside down; an ordering or a reflection has none.
        if question.get("type") in _KEYED_TYPES:
            warnings += _negative_stem_warnings(("questions", index), question.get("prompt"))
    return warnings


def _choice_options(question: dict[str, Any]) -> list[dict[str, Any]] | None:
    options = question.get("options")
    if not isinstance(options, list) or len(options) < 2:
        return None
    if not all(
        isinstance(o, dict)
        and isinstance(o.get("text"), str)
        and isinstance(o.get("correct"), bool)
        for o in options
    ):
        return None
    return options


def _is_pattern(count: int, total: int) -> bool:
    return count >= _CLUE_MINIMUM and count > total * _CLUE_SHARE


def _ids_of(questions: list[tuple[int, dict[str, Any], list[dict[str, Any]]]]) -> str:
    return ", ".join(
        str(question.get("id", f"questions[{index}]")) for index, question, _ in questions
    )


def _longest_key_warnings(
    single: list[tuple[int, dict[str, Any], list[dict[str, Any]]]],
    multiple: list[tuple[int, dict[str, Any], list[dict[str, Any]]]],
) -> list[tuple[FieldPath, str]]:
    warnings: list[tuple[FieldPath, str]] = []
    keyed_longest = []
    for item in single:
        lengths = [len(o["text"]) for o in item[2]]
        keys = [length for length, o in zip(lengths, item[2], strict=True) if o["correct"]]
        others = [length for length, o in zip(lengths, item[2], strict=True) if not o["correct"]]
        if len(keys) == 1 and others and keys[0] > max(others):
            keyed_longest.append(item)
    if _is_pattern(len(keyed_longest), len(single)):
        message = (
            f"the right option is the longest one in {len(keyed_longest)} of {len(single)}"
            f" single-choice questions ({_ids_of(keyed_longest)}): always choosing the longest"
            " option passes without reading; make distractors as long and specific as the key"
        )
        warnings.append((("questions",), message))
    keyed_longest = []
    for item in multiple:
        right = {i for i, o in enumerate(item[2]) if o["correct"]}
        by_length = sorted(range(len(item[2])), key=lambda i: -len(item[2][i]["text"]))
        longest = set(by_length[: len(right)])
        shortest_kept = min(len(item[2][i]["text"]) for i in longest)
        rest = [len(item[2][i]["text"]) for i in by_length[len(right) :]]
        if longest == right and rest and shortest_kept > max(rest):
            keyed_longest.append(item)
    if _is_pattern(len(keyed_longest), len(multiple)):
        message = (
            f"the right options are the longest ones in {len(keyed_longest)} of {len(multiple)}"
            f" multiple-choice questions ({_ids_of(keyed_longest)}); make wrong options as long"
            " and specific as the right ones"
        )
        warnings.append((("questions",), message))
    return warnings


def _key_position_warnings(
    single: list[tuple[int, dict[str, Any], list[dict[str, Any]]]],
) -> list[tuple[FieldPath, str]]:
    positions: dict[int, list[tuple[int, dict[str, Any], list[dict[str, Any]]]]] = {}
    for item in single:
        keys = [i for i, o in enumerate(item[2]) if o["correct"]]
        if len(keys) == 1:
            positions.setdefault(keys[0], []).append(item)
    for position, items in sorted(positions.items()):
        if _is_pattern(len(items), len(single)):
            message = (
                f"the right option is option {position + 1} in {len(items)} of {len(single)}"
                f" single-choice questions ({_ids_of(items)}); spread the right options over"
                " the positions (the order in the file is shown wherever options are not"
                " shuffled)"
            )
            return [(("questions",), message)]
    return []


def _option_text_warnings(
    path: FieldPath, options: list[dict[str, Any]]
) -> list[tuple[FieldPath, str]]:
    warnings: list[tuple[FieldPath, str]] = []
    for index, option in enumerate(options):
        text = option["text"]
        where = (*path, "options", index, "text")
        if match := _ABOVE.search(text) or _ALL_OF_THESE.search(text):
            message = (
                f"avoid {match.group(0).lower()!r}: it tests spotting two right options (or"
                " one wrong one) rather than knowledge, and options are shuffled, so"
                " 'above' means nothing; write a specific option instead"
            )
            warnings.append((where, message))
        elif _NONE_OF_THESE.search(text) and option.get("fixed") is not True:
            message = (
                "an option like 'None of these' must stay in its place when the others are"
                " shuffled: pin it with `fixed: true`"
            )
            warnings.append((where, message))
    return warnings


def _question_sentence(prompt: str) -> str:
    """The question asked, not the scenario before it (which may say "not" as often as
    it likes): a true/false statement from its "True or false" on, else the sentences
    ending in "?", else the last paragraph."""
    marker = prompt.lower().rfind("true or false")
    if marker >= 0:
        return prompt[marker:]
    sentences = [s.strip() for s in _SENTENCE.findall(prompt) if s.strip().endswith("?")]
    if sentences:
        return " ".join(sentences)
    paragraphs = [p for p in prompt.split("\n\n") if p.strip()]
    return paragraphs[-1] if paragraphs else ""


def _negative_stem_warnings(path: FieldPath, prompt: object) -> list[tuple[FieldPath, str]]:
    if not isinstance(prompt, str):
        return []
    # Emphasised words are the author's deliberate choice; look only at the rest.
    plain = _EMPHASIS.sub(" ", _question_sentence(prompt))
    match = _NEGATIVE.search(plain)
    if match is None:
        return []
    word = match.group(0)
    message = (
        f"a negative question ({word!r}) is easily misread: ask it the positive way, or"
        f" emphasise the word in bold (**{word}**)"
    )
    return [((*path, "prompt"), message)]
