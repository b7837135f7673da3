"""How an attempt's questions are put on the page: which questions it drew from the
version's pools, in what order their options are shown, and what the form sends for them.

Attempts record their layout (Attempt.layout), so an attempt made before shuffling keeps
showing and scoring exactly as it did:

- layout 1: every question of the version; options in file order, sent as their indexes;
  ordering fields named `position-<right place>`.
- layout 2 (since migration 0011): one question drawn from each pool when the attempt
  starts (Attempt.question_ids); options shuffled per attempt and question, pinned
  (`fixed`) options in place; options and ordering fields sent as opaque values, made
  with a key derived from the app's secret key, so the page's HTML says nothing about
  which option is right or where an item belongs.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app

from ..models import FIRST_LAYOUT, Attempt, Question
from ..questions.base import Arrangement
from .outline import Outline, QuestionInfo, outline_of

_PURPOSE = b"quizapp: option values and order"


def _key() -> bytes:
    secret = current_app.secret_key
    if not secret:
        raise RuntimeError("SECRET_KEY is needed to lay out attempts")
    raw = secret if isinstance(secret, bytes) else str(secret).encode()
    return hmac.new(raw, _PURPOSE, hashlib.sha256).digest()


def arrangement_for(attempt: Attempt, question: Question | QuestionInfo) -> Arrangement:
    if attempt.layout == FIRST_LAYOUT:
        # As these attempts were shown: file order, and this seed for ordering items.
        return Arrangement(attempt.seed + question.id)
    return seeded_arrangement(attempt.seed, question.id)


def seeded_arrangement(seed: int, question_id: int) -> Arrangement:
    """As an attempt of the latest layout lays a question out, for anything else with a
    seed of its own (a follow-up: quizapp/impact/follow_up.py)."""
    return Arrangement((seed << 32) | question_id, _key())


def preview_arrangement(question_id: int) -> Arrangement:
    """An author's preview lays a question out the way practitioners will see it."""
    return Arrangement(question_id, _key())


def outline_for(attempt: Attempt) -> Outline:
    """The stages and the questions this attempt drew, numbered as its pages show them."""
    return outline_of(attempt.bank_version).drawn(attempt.question_ids)
