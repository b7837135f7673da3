"""An answer sent after an idle sign-out is kept, not lost.

A session unused for the idle limit ends on the next request (quizapp.web), before any
view runs, and the person is sent to sign in again. When that request is a question page's
form, the answer in it would be lost; `keep_answer_being_sent` keeps it instead:

- only the question's own fields (answer, position-N, certainty), and only when the
  session that just ended belonged to the attempt's owner, the attempt is still open and
  the question is in it; nothing else in the request is used or trusted;
- as a KeptAnswer row, not a response: the attempt does not change.

After signing in again the person comes back to the question (the sign-in link's `next`),
which shows the kept answer for them to check and save (`kept_for`). Only the attempt's
owner ever sees it: the question page is theirs alone. Saving the question, or submitting
the attempt, removes it (`discard`, `discard_all`).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import request
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..models import Attempt, KeptAnswer, Response, Role, User, utcnow
from ..questions.base import MAX_TEXT_ANSWER
from .layout import outline_for
from .outline import QuestionInfo

#: The fields a question page sends for its answer (quizapp.questions types, "How sure
#: are you?", and a scenario's decision number); anything else in the form is dropped.
ANSWER_FIELDS = re.compile(r"answer|certainty|sequence|position-[0-9a-f]{1,12}")
#: Bounds on what is kept: no question has more fields or values than this.
MAX_FIELDS = 100
MAX_VALUES = 100
#: Longer text is cut here (the question's own limit, MAX_TEXT_ANSWER, still applies when
#: the person saves it, with its usual message).
MAX_VALUE_LENGTH = 2 * MAX_TEXT_ANSWER
#: A hidden field on a question page showing a kept answer: saving the page removes it.
FIELD = "kept_answer"


def keep_answer_being_sent(ended_session_token: str | None) -> bool:
    """Called with the session token of a session that this request found idle and ended.
    Keeps the answer if the request is its owner sending a question page; True if kept."""
    if request.method != "POST" or request.endpoint != "take.question":
        return False
    args = request.view_args or {}
    if not ended_session_token or not isinstance(args.get("attempt_id"), int):
        return False
    user = db.session.scalar(sa.select(User).where(User.session_token == ended_session_token))
    if user is None or not user.is_active or not user.has_role(Role.PRACTITIONER):
        return False
    attempt = db.session.get(Attempt, args["attempt_id"])
    if attempt is None or attempt.user_id != user.id or attempt.is_submitted:
        return False
    question = outline_for(attempt).questions.get(str(args.get("key")))
    fields = answer_fields(request.form)
    if question is None or not fields:
        return False
    kept = db.session.get(KeptAnswer, (attempt.id, question.id))
    if kept is None:
        db.session.add(KeptAnswer(attempt_id=attempt.id, question_id=question.id, form=fields))
    else:
        kept.form = fields
        kept.kept_at = utcnow()
    try:
        db.session.commit()
    except IntegrityError:  # the same answer sent twice at once: one of them is kept
        db.session.rollback()
    return True


def answer_fields(form: MultiDict) -> dict[str, list[str]]:
    """The answer's fields with something in them, within the bounds above."""
    fields: dict[str, list[str]] = {}
    for name in list(form.keys())[:MAX_FIELDS]:
        if not ANSWER_FIELDS.fullmatch(name):
            continue
        values = [
            value[:MAX_VALUE_LENGTH]
            for value in form.getlist(name)[:MAX_VALUES]
            if isinstance(value, str) and value.strip()
        ]
        if values:
            fields[name] = values
    return fields


def kept_for(attempt: Attempt, question: QuestionInfo, saved: Response | None) -> MultiDict | None:
    """The answer kept for this question of the attempt, as form data for the page; None if
    there is none, or if the question was saved again since (from another device)."""
    kept = db.session.get(KeptAnswer, (attempt.id, question.id))
    if kept is None or (saved is not None and saved.saved_at > kept.kept_at):
        return None
    return MultiDict([(name, value) for name, values in kept.form.items() for value in values])


def discard(attempt: Attempt, question: QuestionInfo) -> None:
    db.session.execute(
        sa.delete(KeptAnswer).where(
            KeptAnswer.attempt_id == attempt.id, KeptAnswer.question_id == question.id
        )
    )


def discard_all(attempt: Attempt) -> None:
    db.session.execute(sa.delete(KeptAnswer).where(KeptAnswer.attempt_id == attempt.id))
