"""A question page read as a person (or a script) sees it: the choices it offers, their
labels, and every attribute the HTML gives them. Tests answer questions from this, the way
a practitioner does (by the options' words), instead of assuming how values are made."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

CHOICE_CLASSES = ("govuk-radios__input", "govuk-checkboxes__input")


@dataclass
class Choice:
    """A radio or checkbox of the answer, or one select of an ordering question."""

    kind: str  # "radio", "checkbox" or "select"
    attrs: dict[str, str]
    label: str = ""
    #: A select's option values (the blank "Choose a position" first).
    options: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.attrs.get("name", "")

    @property
    def value(self) -> str:
        return self.attrs.get("value", "")


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.choices: list[Choice] = []
        self.labels: dict[str, str] = {}
        self._label_for: str | None = None
        self._label_text: list[str] = []
        self._select: Choice | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {key: value or "" for key, value in attrs}
        classes = values.get("class", "").split()
        if tag == "input" and any(name in classes for name in CHOICE_CLASSES):
            kind = "radio" if values.get("type") == "radio" else "checkbox"
            self.choices.append(Choice(kind, values))
        elif tag == "select" and values.get("name", "").startswith("position-"):
            self._select = Choice("select", values)
            self.choices.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append(values.get("value", ""))
        elif tag == "label" and "for" in values:
            self._label_for, self._label_text = values["for"], []

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label_for is not None:
            self.labels[self._label_for] = " ".join("".join(self._label_text).split())
            self._label_for = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._label_for is not None:
            self._label_text.append(data)


def choices_on(page: str) -> list[Choice]:
    """The answer's choices in the order the page shows them, with their labels."""
    reader = _Reader()
    reader.feed(page)
    for choice in reader.choices:
        choice.label = reader.labels.get(choice.attrs.get("id", ""), "")
    return [choice for choice in reader.choices if choice.name != "certainty"]


def answer_from_page(page: str, spec: dict[str, Any], *, right: bool = True) -> dict[str, Any]:
    """Form data for a right (or wrong) answer to `spec`, chosen by the options' words."""
    kind = spec["type"]
    choices = choices_on(page)
    if kind in ("single", "multiple"):
        wanted = [o["text"] for o in spec["options"] if o["correct"] == right]
        values = [c.value for c in choices if c.label in wanted]
        assert values, f"no option labelled {wanted!r} on the page"
        return {"answer": values[:1] if kind == "single" else values}
    if kind == "true_false":
        return {"answer": "true" if spec["answer"] == right else "false"}
    if kind == "ordering":
        items = spec["items"]
        order = list(range(len(items))) if right else list(reversed(range(len(items))))
        return {c.name: str(order.index(items.index(c.label)) + 1) for c in choices}
    return {"answer": "A reflection only I can read."}
