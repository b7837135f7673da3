from dataclasses import dataclass
from typing import Any

from flask import abort, g, request
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from ..impact.confidence import radio_field
from ..questions import AnswerError
from ..questions.base import Arrangement, QuestionType
from ..scoring import CERTAINTY_LABELS


class QuestionPageForm(FlaskForm):
    """CSRF and "How sure are you?"; the answer fields come from the question's type.

    The pages put the session's token in the form with `csrf_token()` (not this form's
    field). When CSRFProtect has already checked this request's token (every POST, before
    the view), the form leaves out its own token field, whose check Flask-WTF would skip
    anyway: making its token cost 3% of an answer POST, for a value nothing reads."""

    certainty = radio_field(
        "How sure are you?",
        [SelectChoice(str(level), label) for level, label in CERTAINTY_LABELS.items()],
        message="Select how sure you are of your answer",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if g.get("csrf_valid", False):
            kwargs["meta"] = {**kwargs.get("meta", {}), "csrf": False}
        super().__init__(*args, **kwargs)


class SubmitForm(FlaskForm):
    """CSRF only: the page's button submits the attempt."""


@dataclass
class AnswerPost:
    """A question page's POST read: the answer and certainty, or what is wrong with them."""

    answer: Any
    certainty: int | None
    #: For the error summary: {"text", "href"}, the answer's first.
    errors: list[dict[str, str]]
    #: The message beside the answer's field, if it was refused.
    answer_error: str | None

    @property
    def ok(self) -> bool:
        return not self.errors


def read_answer_post(
    qtype: QuestionType, spec: dict[str, Any], arrangement: Arrangement, form: QuestionPageForm
) -> AnswerPost:
    """Read an answer and "How sure are you?" from a question page's POST (a check's or a
    follow-up's). A missing or wrong CSRF token is a 400, as on every form."""
    answer: Any = None
    errors: list[dict[str, str]] = []
    answer_error: str | None = None
    try:
        answer = qtype.parse_answer(spec, request.form, arrangement)
    except AnswerError as error:
        answer_error = error.message
        errors.append({"text": answer_error, "href": "#answer"})
    form_ok = form.validate()
    if "csrf_token" in form.errors:
        abort(400)
    if "certainty" in form.errors:
        errors.append({"text": form.certainty.errors[0], "href": "#certainty"})
    certainty = int(form.certainty.data) if form_ok and "certainty" in form else None
    return AnswerPost(answer, certainty, errors, answer_error)
