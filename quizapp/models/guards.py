"""Refuse, at flush time, any change to a published bank version, a submitted attempt or
a submitted follow-up (with its answers and its "follow-up" confidence ratings).

One change is let through: clearing a submitted follow-up's practice example (free text
that may name a child), which anonymising a person must do (quizapp/privacy.py).

Routes and operations never try to; this catches the mistake that would otherwise
silently rewrite a practitioner's record or the content an attempt was scored on. The
stored state is read from the database, not from the session, so an expired or
half-loaded object can't slip past.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from .attempt import Attempt, Response
from .bank import BankVersion, Finding, Question, Stage
from .impact import ConfidenceRating, FollowUp, FollowUpResponse
from .scenario import ScenarioChoice


class ImmutableRecordError(RuntimeError):
    """Raised when code tries to change a record that must never change."""


def _stored(session: Session, column: Any, key_column: Any, key: int | None) -> Any:
    if key is None:
        return None
    with session.no_autoflush:
        return session.execute(sa.select(column).where(key_column == key)).scalar()


def _version_published(session: Session, version_id: int | None) -> bool:
    return _stored(session, BankVersion.status, BankVersion.id, version_id) == "published"


def _attempt_submitted(session: Session, attempt_id: int | None) -> bool:
    if attempt_id is None:
        return False
    loaded = session.identity_map.get(identity_key(Attempt, attempt_id))
    if loaded is not None and "submitted_at" in inspect(loaded).dict:
        history = inspect(loaded).attrs["submitted_at"].history
        if history.deleted:
            return history.deleted[0] is not None
        if not history.added:  # loaded from the database in this transaction, unchanged
            return loaded.submitted_at is not None
    return _stored(session, Attempt.submitted_at, Attempt.id, attempt_id) is not None


def _follow_up_submitted(session: Session, follow_up_id: int | None) -> bool:
    """Read from the database: the submitting UPDATE is a statement, not a flush."""
    return _stored(session, FollowUp.submitted_at, FollowUp.id, follow_up_id) is not None


def _follow_up_of_attempt_submitted(session: Session, attempt_id: int | None) -> bool:
    """Whether the follow-up to this passing attempt is submitted (its ratings hang off
    the attempt, not the follow-up)."""
    return _stored(session, FollowUp.submitted_at, FollowUp.attempt_id, attempt_id) is not None


def _only_example_cleared(follow_up: FollowUp) -> bool:
    """The one change allowed to a submitted follow-up: its practice example to NULL."""
    state = inspect(follow_up)
    changed = {attr.key: attr.history for attr in state.attrs if attr.history.has_changes()}
    return set(changed) == {"practice_example"} and list(changed["practice_example"].added) == [
        None
    ]


def _persisted_id(obj: Any, attribute: str) -> int | None:
    """The foreign key as stored, even if the relationship was just changed."""
    history = inspect(obj).attrs[attribute].history
    if history.deleted:
        return history.deleted[0]
    return getattr(obj, attribute)


def _persisted_moment(rating: ConfidenceRating) -> str:
    history = inspect(rating).attrs["moment"].history
    return history.deleted[0] if history.deleted else rating.moment


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_immutable_records(session: Session, *_: Any) -> None:
    changed = [obj for obj in session.dirty if session.is_modified(obj, include_collections=False)]
    for obj in [*changed, *session.deleted]:
        if isinstance(obj, BankVersion) and _version_published(session, obj.id):
            raise ImmutableRecordError(f"bank version {obj.id} is published and can't change")
        if isinstance(obj, Attempt) and _attempt_submitted(session, obj.id):
            raise ImmutableRecordError(f"attempt {obj.id} is submitted and can't change")
        if isinstance(obj, Finding | Stage | Question) and _version_published(
            session, _persisted_id(obj, "version_id")
        ):
            raise ImmutableRecordError("a published bank version's content can't change")
        if isinstance(obj, Response | ScenarioChoice) and _attempt_submitted(
            session, _persisted_id(obj, "attempt_id")
        ):
            raise ImmutableRecordError("a submitted attempt's responses can't change")
        if (
            isinstance(obj, FollowUp)
            and not (obj not in session.deleted and _only_example_cleared(obj))
            and _follow_up_submitted(session, obj.id)
        ):
            raise ImmutableRecordError(f"follow-up {obj.id} is submitted and can't change")
        if isinstance(obj, FollowUpResponse) and _follow_up_submitted(
            session, _persisted_id(obj, "follow_up_id")
        ):
            raise ImmutableRecordError("a submitted follow-up's answers can't change")
        if (
            isinstance(obj, ConfidenceRating)
            and _persisted_moment(obj) == "follow-up"
            and _follow_up_of_attempt_submitted(session, _persisted_id(obj, "attempt_id"))
        ):
            raise ImmutableRecordError("a submitted follow-up's ratings can't change")
    for obj in session.new:
        if isinstance(obj, Finding | Stage | Question) and _version_published(
            session, obj.version_id or getattr(obj.version, "id", None)
        ):
            raise ImmutableRecordError("a published bank version can't gain content")
        if isinstance(obj, Response | ScenarioChoice) and _attempt_submitted(
            session, obj.attempt_id or getattr(obj.attempt, "id", None)
        ):
            raise ImmutableRecordError("a submitted attempt can't gain responses")
        if isinstance(obj, FollowUpResponse) and _follow_up_submitted(
            session, obj.follow_up_id or getattr(obj.follow_up, "id", None)
        ):
            raise ImmutableRecordError("a submitted follow-up can't gain answers")
        if (
            isinstance(obj, ConfidenceRating)
            and obj.moment == "follow-up"
            and _follow_up_of_attempt_submitted(
                session, obj.attempt_id or getattr(obj.attempt, "id", None)
            )
        ):
            raise ImmutableRecordError("a submitted follow-up can't gain ratings")
