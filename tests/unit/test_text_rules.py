"""Free text people type refuses control characters (quizapp/text_rules.py)."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField, TextAreaField

from quizapp.text_rules import NoHiddenCharacters, hidden_characters_problem

ONE_LINE = "Full name must not include tabs, line breaks or other hidden characters"
LINES = "Notes must not include hidden characters other than line breaks and tabs"


@pytest.mark.parametrize(
    "text",
    [
        "Sam\x00Jones",  # NUL: PostgreSQL can't store it
        "Sam\tJones",
        "Sam\nJones",
        "Sam\r\nJones",
        "Sam Jones\n",
        "\x1b[31mSam",  # escape, as terminal colours start
        "Sam\x07",  # bell
        "Sam\x7f",  # delete
        "Sam\x85Jones",  # next line (C1)
        "Sam\x9b",  # C1 control sequence introducer
        "Sam\u2028Jones",  # Unicode line separator
        "Sam\u2029Jones",  # Unicode paragraph separator
    ],
)
def test_one_line_refuses_control_characters_and_line_breaks(text):
    assert hidden_characters_problem(text, "Full name") == ONE_LINE


@pytest.mark.parametrize(
    "text",
    [
        "Sam Jones",
        "  Sam   O'Neil-Jones  ",
        "Zoë Ødegaard",
        "Sam\u00a0Jones",
        "李小龍",
        "Jo (she/her) 🙂",
        "",
    ],
)
def test_one_line_allows_ordinary_text_and_spaces(text):
    assert hidden_characters_problem(text, "Full name") is None


def test_several_lines_allow_tabs_and_line_breaks_and_nothing_else():
    for text in ("Line one\r\nLine two\n\tindented", "Line\u2028separated"):
        assert hidden_characters_problem(text, "Notes", multiline=True) is None
    for text in ("a\x00b", "a\x0bb", "a\x0cb", "a\x1bb", "a\x7fb", "a\x85b"):
        assert hidden_characters_problem(text, "Notes", multiline=True) == LINES, repr(text)


class PersonForm(Form):
    name = StringField(
        "Full name",
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[NoHiddenCharacters("Full name")],
    )
    notes = TextAreaField("Notes", validators=[NoHiddenCharacters("Notes", multiline=True)])


def test_the_validator_checks_what_was_sent_before_filters_strip_it():
    form = PersonForm(MultiDict({"name": "Sam Jones\t", "notes": "a\nb"}))
    assert not form.validate()
    assert form.errors == {"name": [ONE_LINE]}
    assert form.name.data == "Sam Jones"  # stripped: only the validator saw the tab


def test_the_validator_passes_ordinary_text_and_empty_fields():
    assert PersonForm(MultiDict({"name": " Sam  Jones ", "notes": "one\r\ntwo"})).validate()
    assert PersonForm(MultiDict()).validate()


def test_the_validator_refuses_nul_in_several_lines():
    form = PersonForm(MultiDict({"name": "Sam", "notes": "one\x00two"}))
    assert not form.validate()
    assert form.errors == {"notes": [LINES]}
