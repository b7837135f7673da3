"""Forms for editing a draft bank; what they accept is checked again by the bank loader."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from ..banks.export import dump_yaml
from ..banks.loader import read_yaml_piece
from ..banks.places import plain_place
from ..check_fields import (
    after_fail_field,
    ask_confidence_field,
    ask_reaction_field,
    attempts_field,
    certainty_field,
    follow_up_weeks_field,
    pass_mark_field,
    refresh_months_field,
)
from ..questions import QUESTION_TYPES
from ..text_rules import NoHiddenCharacters

#: Option rows offered on a choice question's page; empty rows are ignored.
OPTION_ROWS = 6
#: Most option rows a question's page takes ("Add another option" stops there).
MAX_OPTIONS = 20
TEXT_LIMIT = Length(max=20_000, message="This must be 20,000 characters or fewer")
ONE_LINE = NoHiddenCharacters("This")
_SPACES = re.compile(r"[\s_]+")
LINES = NoHiddenCharacters("This", multiline=True)


def _text(label: str, *, required: str | None = None) -> StringField:
    validators = [InputRequired(message=required)] if required else [Optional()]
    return StringField(label, widget=GovTextInput(), validators=[*validators, TEXT_LIMIT, ONE_LINE])


def unix_newlines(value: Any) -> Any:
    """Browsers send a text area's line breaks as CR LF; bank files use LF. Without this,
    saving a question unchanged would change every multi-line field of it."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def _area(label: str, *, required: str | None = None) -> TextAreaField:
    validators = [InputRequired(message=required)] if required else [Optional()]
    return TextAreaField(
        label,
        widget=GovTextArea(),
        validators=[*validators, TEXT_LIMIT, LINES],
        filters=[unix_newlines],
    )


class DetailsForm(FlaskForm):
    title = _text("Title", required="Enter a title")
    summary = _area("Summary", required="Enter a summary")
    publisher = _text("Published by", required="Enter who published the review")
    source_title = _text("Title of the review or briefing", required="Enter its title")
    source_url = _text("Web address of the review (optional)")
    signposting = _area("Where to get advice", required="Enter where practitioners get advice")
    pass_mark = pass_mark_field()
    certainty = certainty_field()
    attempts = attempts_field()
    refresh_months = refresh_months_field()
    after_fail = after_fail_field()
    ask_confidence = ask_confidence_field()
    ask_reaction = ask_reaction_field()
    follow_up_weeks = follow_up_weeks_field()
    submit = SubmitField("Save", widget=GovSubmitInput())

    FIELDS = {
        "title": "title",
        "summary": "summary",
        "source.publisher": "publisher",
        "source.title": "source_title",
        "source.url": "source_url",
        "signposting": "signposting",
        "check.pass_mark": "pass_mark",
        "check.certainty": "certainty",
        "check.attempts": "attempts",
        "check.refresh_months": "refresh_months",
        "check.after_fail": "after_fail",
        "check.ask_confidence": "ask_confidence",
        "check.ask_reaction": "ask_reaction",
        "check.follow_up_weeks": "follow_up_weeks",
    }


class FindingForm(FlaskForm):
    kind = RadioField(
        "What kind of finding is it?",
        choices=[
            SelectChoice("concern", "Something to learn from (a concern)"),
            SelectChoice("good-practice", "Good practice"),
        ],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the kind of finding")],
    )
    text = _area("Finding", required="Enter the finding")
    #: Checked by the bank loader, so the page and a bank file give the same messages.
    confidence = _text("The finding as practice (optional)")
    submit = SubmitField("Save", widget=GovSubmitInput())

    FIELDS = {"kind": "kind", "text": "text", "confidence": "confidence"}
    #: Left blank, the key is taken out of the finding; not sent at all, it is kept.
    OPTIONAL = ("confidence",)


class StageForm(FlaskForm):
    title = _text("Title", required="Enter a title")
    narrative = _area("What happens at this point of the story", required="Enter the story")
    submit = SubmitField("Save", widget=GovSubmitInput())

    FIELDS = {"title": "title", "narrative": "narrative"}


class OptionForm(Form):
    text = _text("Option text")
    correct = BooleanField("This is a right answer", widget=GovCheckboxInput())
    fixed = BooleanField("Keep this option in place", widget=GovCheckboxInput())
    feedback = _area("Feedback for someone who chooses it")


class QuestionTypeForm(FlaskForm):
    type = RadioField(
        "What type of question?",
        choices=[SelectChoice(name, qt.label) for name, qt in QUESTION_TYPES.items()],
        widget=GovRadioInput(),
        validators=[InputRequired(message="Select the type of question")],
    )
    submit = SubmitField("Continue", widget=GovSubmitInput())


class QuestionForm(FlaskForm):
    #: Offered only while the bank has never been published (the route ignores it after).
    question_id = StringField(
        "Question id",
        widget=GovTextInput(),
        validators=[Optional(), Length(max=100, message="The id must be 100 characters or fewer")],
    )
    stage = SelectField(
        "Part of the story", widget=GovSelect(), validators=[InputRequired("Select a part")]
    )
    findings = SelectMultipleField("Findings this question tests", widget=GovCheckboxesInput())
    prompt = _area("Question", required="Enter the question")
    hint = _text("Hint (optional)")
    tags = _text("Tags (optional, separated by commas)")
    feedback = _area("Feedback for everyone after answering")
    points = IntegerField(
        "Marks",
        widget=GovTextInput(),
        validators=[
            Optional(),
            NumberRange(min=1, max=10, message="Marks must be between 1 and 10"),
        ],
    )
    # scored types: a variant of other questions (choices set by the route)
    # (the route checks the values: its messages say what to choose)
    pool = RadioField(
        "Pool (optional)", widget=GovRadioInput(), validators=[Optional()], validate_choice=False
    )
    pool_with = SelectField(
        "Make a pool with",
        widget=GovSelect(),
        validators=[Optional()],
        validate_choice=False,
    )
    # single and multiple
    in_order = BooleanField("Show the options in the order written", widget=GovCheckboxInput())
    options = FieldList(FormField(OptionForm), min_entries=OPTION_ROWS, max_entries=MAX_OPTIONS)
    # true_false
    answer = RadioField(
        "The statement is",
        choices=[SelectChoice("true", "True"), SelectChoice("false", "False")],
        widget=GovRadioInput(),
        validators=[Optional()],
    )
    feedback_true = _area('Feedback for someone who answers "true"')
    feedback_false = _area('Feedback for someone who answers "false"')
    # ordering
    items = _area("Steps in the right order, one on each line")
    # scenario: `start` and `nodes` as YAML, checked by the bank's own validator on save
    nodes = TextAreaField(
        "Nodes (YAML)",
        widget=GovTextArea(),
        validators=[
            Optional(),
            Length(max=400_000, message="This must be 400,000 characters or fewer"),
            LINES,
        ],
        filters=[unix_newlines],
    )
    submit = SubmitField("Save question", widget=GovSubmitInput())

    #: Which fields each type uses, beyond the common ones.
    TYPE_FIELDS = {
        "single": ("options",),
        "multiple": ("options",),
        "true_false": ("answer", "feedback_true", "feedback_false"),
        "ordering": ("items",),
        "reflection": (),
        "scenario": ("nodes",),
    }
    COMMON = ("stage", "findings", "tags", "prompt", "hint", "feedback", "points")
    #: Values of `pool` that are not pool ids (ids are slugs: no underscores).
    NO_POOL, NEW_POOL = "_none", "_new"

    def load(self, question: dict[str, Any]) -> None:
        """Fill the form from a question of the draft (for GET)."""
        self.stage.data = question.get("stage")
        self.findings.data = list(question.get("findings", []))
        self.prompt.data = question.get("prompt", "")
        self.hint.data = question.get("hint", "")
        self.tags.data = ", ".join(question.get("tags", []))
        self.feedback.data = question.get("feedback", "")
        self.points.data = question.get("points")
        self.pool.data = question.get("pool") or self.NO_POOL
        self.in_order.data = question.get("shuffle") is False
        options = question.get("options", [])
        while len(self.options.entries) < max(OPTION_ROWS, len(options) + 1):
            self.options.append_entry()
        for entry, option in zip(self.options.entries, options, strict=False):
            entry.form.text.data = option.get("text", "")
            entry.form.correct.data = bool(option.get("correct"))
            entry.form.fixed.data = bool(option.get("fixed"))
            entry.form.feedback.data = option.get("feedback", "")
        if "answer" in question:
            self.answer.data = "true" if question["answer"] else "false"
        self.feedback_true.data = question.get("feedback_true", "")
        self.feedback_false.data = question.get("feedback_false", "")
        self.items.data = "\n".join(question.get("items", []))
        if "nodes" in question or "start" in question:
            self.nodes.data = scenario_yaml(question)

    def question(
        self, *, question_id: str, kind: str, before: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The question as bank data; empty optional fields are left out, and so are
        `shuffle` and `fixed` at their defaults unless the question had them (`before`),
        so an unchanged question keeps its content hash. The pool is the route's."""
        before = before or {}
        data: dict[str, Any] = {
            "id": question_id,
            "stage": self.stage.data,
            "type": kind,
            "findings": _in_order_kept(self.findings.data or [], before.get("findings", [])),
            "prompt": (self.prompt.data or "").strip(),
        }
        for name in ("hint", "feedback"):
            value = (getattr(self, name).data or "").strip()
            if value:
                data[name] = value
        tags = self.tag_list()
        if tags or "tags" in before:
            data["tags"] = tags
        if kind != "reflection" and self.points.data:
            data["points"] = self.points.data
        if "pool" in before:
            data["pool"] = before["pool"]
        if kind in ("single", "multiple"):
            if self.in_order.data:
                data["shuffle"] = False
            elif before.get("shuffle") is True:  # written out in the file: kept
                data["shuffle"] = True
            old_options = before.get("options", [])
            data["options"] = []
            for index, entry in enumerate(self.options.entries):
                text = (entry.form.text.data or "").strip()
                feedback = (entry.form.feedback.data or "").strip()
                if not text and not feedback:
                    continue
                option: dict[str, Any] = {"text": text, "correct": bool(entry.form.correct.data)}
                if entry.form.fixed.data:
                    option["fixed"] = True
                elif index < len(old_options) and old_options[index].get("fixed") is False:
                    option["fixed"] = False  # written out in the file: kept
                option["feedback"] = feedback
                data["options"].append(option)
        elif kind == "true_false":
            data["answer"] = self.answer.data == "true"
            data["feedback_true"] = (self.feedback_true.data or "").strip()
            data["feedback_false"] = (self.feedback_false.data or "").strip()
        elif kind == "ordering":
            lines = (self.items.data or "").splitlines()
            data["items"] = [line.strip() for line in lines if line.strip()]
        elif kind == "scenario":
            graph = self._graph()
            for name in ("start", "nodes"):
                if name in graph:  # missing: the loader says it is required
                    data[name] = graph[name]
        return data

    def _graph(self) -> dict[str, Any]:
        """The `start` and `nodes` typed in the YAML box (empty when it can't be read:
        validate_nodes has said why)."""
        data, self._node_lines, _problems = read_yaml_piece(self.nodes.data or "")
        return data if isinstance(data, dict) else {}

    def validate_nodes(self, field: TextAreaField) -> None:
        """YAML that can't be read, or holds more than `start` and `nodes`, is refused
        here; what it says is checked by the bank validator when the question is saved."""
        if not (field.data or "").strip():
            return
        data, _lines, problems = read_yaml_piece(field.data)
        if problems:
            line, message = problems[0]
            raise ValidationError(f"Line {line} of the nodes: {as_sentence(message)}")
        if not isinstance(data, dict):
            raise ValidationError("Write the nodes as YAML with a start: line and a nodes: list")
        others = sorted(set(data) - {"start", "nodes"})
        if others:
            raise ValidationError(
                "Only start and nodes go in this box (the other fields have their own):"
                f" remove {', '.join(others)}"
            )

    def placed(self, path: str, message: str) -> str:
        """A validator message about the scenario's graph, saying where in words (and on
        which line of the box): the box holds many places, unlike the other fields."""
        head = path.split(".", 1)[0].split("[")[0]
        if head not in ("start", "nodes"):
            return message
        place = plain_place(path, inside=True)
        graph = self._graph() if self.nodes.data else {}
        nodes = graph.get("nodes") if isinstance(graph.get("nodes"), list) else []
        match = re.match(r"nodes\[(\d+)\]", path)
        if (
            match
            and int(match.group(1)) < len(nodes)
            and isinstance(nodes[int(match.group(1))], dict)
        ):
            node_id = nodes[int(match.group(1))].get("id")
            if isinstance(node_id, str):
                place = place.replace(
                    f"Node {int(match.group(1)) + 1}",
                    f"Node {int(match.group(1)) + 1} ({node_id})",
                    1,
                )
        line = _line_of(getattr(self, "_node_lines", {}), _path_parts(path))
        return f"{place}{f' (line {line})' if line else ''}: {message}"

    def tag_list(self) -> list[str]:
        """Tags as typed, written as slugs ("Early help" is "early-help"), each once."""
        tags = [
            _SPACES.sub("-", tag.strip().casefold()) for tag in (self.tags.data or "").split(",")
        ]
        return list(dict.fromkeys(tag for tag in tags if tag))

    def field_for(self, path: str) -> Any:
        """The form field a loader error path (relative to the question) belongs to."""
        head = path.split(".", 1)[0]
        if head.startswith("options[") and "]" in head:
            index = int(head[len("options[") : head.index("]")])
            rest = path.split(".", 1)[1] if "." in path else ""
            if index < len(self.options.entries):
                sub = self.options.entries[index].form
                return getattr(sub, rest.split(".")[0], None) if rest else None
            return None
        if head.startswith("items["):
            return self.items
        if head.split("[")[0] in ("start", "nodes"):
            return self.nodes
        name = head.split("[")[0]
        if name == "shuffle":
            return self.in_order
        known = (*self.COMMON, "pool", *self._all_type_fields())
        return getattr(self, name, None) if name in known else None

    @classmethod
    def _all_type_fields(cls) -> set[str]:
        return {name for fields in cls.TYPE_FIELDS.values() for name in fields}


class PublishForm(FlaskForm):
    change_note = TextAreaField(
        "What changed in this version?",
        widget=GovTextArea(),
        validators=[
            InputRequired(message="Say what changed, so others can follow the history"),
            Length(max=2000, message="The change note must be 2000 characters or fewer"),
            NoHiddenCharacters("The change note", multiline=True),
        ],
    )
    submit = SubmitField("Publish version", widget=GovSubmitInput())


class BriefingForm(FlaskForm):
    title = _text("Title for the new bank (optional)")
    publisher = _text("Published by (optional)")
    # Not _area: control characters pasted with a briefing are removed, not refused
    # (authoring/briefing.py), and the text itself is never stored.
    text = TextAreaField(
        "Paste the learning briefing", widget=GovTextArea(), validators=[Optional(), TEXT_LIMIT]
    )
    upload = FileField(
        "Or upload it as a text file",
        widget=GovFileInput(),
        validators=[FileAllowed(["txt", "md"], "The file must be a .txt or .md file")],
    )
    submit = SubmitField("Make a draft", widget=GovSubmitInput())


class ConfirmForm(FlaskForm):
    """CSRF only, for buttons that change something."""


def _in_order_kept(chosen: list[str], before: list[str]) -> list[str]:
    """The findings chosen, those the question had in its own order first: the boxes come
    in the bank's order, and saving a question unchanged must not reorder its findings."""
    kept = [finding for finding in before if finding in chosen]
    return kept + [finding for finding in chosen if finding not in kept]


#: Key order in the nodes box: as the format's documentation writes a node.
_NODE_ORDER = ("id", "kind", "title", "text", "requires", "otherwise", "next", "outcome")
_ALTERNATIVE_ORDER = ("id", "text", "requires", "next", "points", "findings", "feedback")


def _ordered(mapping: dict[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    keys = [key for key in order if key in mapping] + [key for key in mapping if key not in order]
    return {key: mapping[key] for key in keys}


def scenario_yaml(question: dict[str, Any]) -> str:
    """A scenario's `start` and `nodes` as the YAML the nodes box holds."""
    nodes = []
    for node in question.get("nodes") or []:
        if not isinstance(node, dict):
            nodes.append(node)
            continue
        node = _ordered(node, _NODE_ORDER)
        if isinstance(node.get("alternatives"), list):
            node["alternatives"] = [
                _ordered(a, _ALTERNATIVE_ORDER) if isinstance(a, dict) else a
                for a in node["alternatives"]
            ]
        nodes.append(node)
    graph: dict[str, Any] = {}
    if "start" in question:
        graph["start"] = question["start"]
    graph["nodes"] = nodes
    return dump_yaml(graph)


def as_sentence(message: str) -> str:
    """A loader's message as a sentence for an error summary (capital first letter)."""
    return message[:1].upper() + message[1:]


_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _path_parts(path: str) -> tuple[str | int, ...]:
    """ "nodes[1].next" -> ("nodes", 1, "next"), as the YAML reader keys its lines."""
    return tuple(int(index) if index else name for name, index in _PATH_PART.findall(path))


def _line_of(lines: dict[Any, int], path: tuple[str | int, ...]) -> int | None:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path) if path else None
