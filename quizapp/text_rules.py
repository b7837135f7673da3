"""Free text people type (names, job roles, titles): no control characters.

A name or a title is one line of ordinary text, spaces included. Control characters
(Unicode category Cc: NUL, tab, line feed, carriage return, escape, DEL and the C1 set)
never belong in one: they come from pasting, or from someone probing. NUL can't even be
stored in PostgreSQL text (the driver refuses it, which was a server error). Fields of
several lines allow tab and line breaks (browsers send CR LF), and no other control
character.

The forms use the WTForms validator; the people CSV, which has no forms, the function.
"""

from __future__ import annotations

import re

from wtforms import Field, Form
from wtforms.validators import ValidationError

#: Control characters, and the Unicode line and paragraph separators.
_NOT_IN_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: Control characters other than tab, line feed and carriage return.
_NOT_IN_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def hidden_characters_problem(text: str, what: str, *, multiline: bool = False) -> str | None:
    """The error message when `text` holds a character it must not, or None.
    `what` starts the message: "Full name", "Job role"."""
    if multiline:
        if _NOT_IN_LINES.search(text):
            return f"{what} must not include hidden characters other than line breaks and tabs"
        return None
    if _NOT_IN_ONE_LINE.search(text):
        return f"{what} must not include tabs, line breaks or other hidden characters"
    return None


class NoHiddenCharacters:
    """A WTForms validator refusing control characters (see the module's docstring).

    It checks what was sent, before any filter: a field whose filter strips surrounding
    whitespace would otherwise let a trailing tab or line break through unseen."""

    def __init__(self, what: str, *, multiline: bool = False) -> None:
        self.what = what
        self.multiline = multiline

    def __call__(self, form: Form, field: Field) -> None:
        sent = field.raw_data[0] if field.raw_data else field.data
        if not isinstance(sent, str):
            return
        problem = hidden_characters_problem(sent, self.what, multiline=self.multiline)
        if problem:
            raise ValidationError(problem)
