"""Keep each requirement's stored deadline (Requirement.deadline_at) equal to the later of
its due date and the expiry of the person's pass, in the transaction that changes either.

Why stored: "overdue at t" is then `deadline_at <= t` on the requirement row alone, so an
agency's overdue list reads only its overdue requirements, from an index, instead of
looking up a pass for every requirement it has.

How: after each flush, the people whose requirements' due dates or passes were added,
changed or removed in it have their deadlines recomputed by one UPDATE from what the
flush wrote (only rows that differ are written). Writes made without the ORM (bulk
loads, `rebuild_all` deleting every pass) end with `refresh`, which
quizapp.workforce.tally.rebuild calls for everyone. A pass expiring is time passing, not
a write: the stored deadline is then the expiry, now in the past, which is what makes
the requirement overdue.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from ..models import Completion, Requirement

#: session.info key of the people whose deadlines the last flush may have moved.
_PENDING = "quizapp.workforce.deadlines"
#: People per UPDATE when many changed at once (rebuild_all flushes 500 at a time).
CHUNK = 500


def computed() -> sa.ColumnElement[Any]:
    """The deadline as SQL on a Requirement row (correlated): the pass's expiry if there
    is a pass expiring after the due date, else the due date."""
    expires = (
        sa.select(Completion.expires_at)
        .where(
            Completion.user_id == Requirement.user_id,
            Completion.check_id == Requirement.check_id,
        )
        .scalar_subquery()
    )
    return sa.func.coalesce(sa.case((expires > Requirement.due_at, expires)), Requirement.due_at)


def refresh(session: Session, user_ids: Iterable[int] | None = None) -> int:
    """Recompute the stored deadlines of these people's requirements (None: everyone's),
    writing only those that differ. Returns how many were wrong."""
    value = computed()
    statement = (
        sa.update(Requirement)
        .where(Requirement.deadline_at != value)
        .values(deadline_at=value)
        .execution_options(synchronize_session=False)
    )
    if user_ids is None:
        return session.execute(statement).rowcount
    ids = sorted(set(user_ids))
    return sum(
        session.execute(statement.where(Requirement.user_id.in_(ids[i : i + CHUNK]))).rowcount
        for i in range(0, len(ids), CHUNK)
    )


def mismatches(session: Session) -> dict[int, tuple[datetime, datetime]]:
    """Requirement id -> (stored, computed) deadline, for every requirement whose stored
    deadline is wrong. Empty when all are right."""
    value = computed()
    rows = session.execute(
        sa.select(Requirement.id, Requirement.deadline_at, value.label("computed")).where(
            Requirement.deadline_at != value
        )
    )
    return {row.id: (row.deadline_at, row.computed) for row in rows}


def _moves_deadline(obj: Any, session: Session) -> bool:
    """Whether this flushed object may move a requirement's deadline: a pass added,
    removed or with its expiry (or owner) changed; a requirement added or with its due
    date (or owner) changed."""
    if isinstance(obj, Completion):
        names = ("expires_at", "user_id", "check_id")
    elif isinstance(obj, Requirement):
        if obj in session.deleted:
            return False  # its deadline goes with it
        names = ("due_at", "user_id", "check_id")
    else:
        return False
    if obj in session.new or obj in session.deleted:
        return True
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _owners(obj: Any) -> set[int]:
    """The person (as written and as before) a pass or requirement belongs to."""
    state = inspect(obj)
    ids = {*state.attrs.user_id.history.deleted, state.dict.get("user_id")}
    return {i for i in ids if i is not None}


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    """Note whose deadlines this flush may have moved (the lists and histories still
    show the flush's changes here; they are gone by after_flush_postexec)."""
    ids: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if _moves_deadline(obj, session):
            ids |= _owners(obj)
    if ids:
        session.info.setdefault(_PENDING, set()).update(ids)


@event.listens_for(Session, "after_flush_postexec")
def _recompute(session: Session, _context: Any) -> None:
    """Write the noted people's deadlines as the flush left their dates, and have any of
    their requirements loaded in the session read the stored value again."""
    ids: set[int] | None = session.info.pop(_PENDING, None)
    if not ids:
        return
    refresh(session, ids)
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Requirement) and inspect(obj).dict.get("user_id") in ids:
            session.expire(obj, ["deadline_at"])


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
