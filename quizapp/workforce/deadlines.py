"""Keep each requirement's stored overdue keys right, in the transaction that changes what
they copy: its deadline (Requirement.deadline_at, the later of its due date and the
expiry of the person's pass), the person's agency and name, and the check's title.

Why stored: "overdue at t" is then `deadline_at <= t` on the requirement row alone, and
the overdue list's order (deadline, name, check, person) is a column order an index can
hold (ix_requirements_overdue_order), so a page of an agency's overdue list reads its
100 rows from the index instead of sorting all of the agency's overdue requirements.

How: after each flush, the requirements of the people whose due dates, passes, name or
agency were added, changed or removed in it, and those of the checks retitled in it,
are set right by one UPDATE from what the flush wrote (only rows that differ are
written). Writes made without the ORM (bulk loads, `rebuild_all` deleting every pass)
end with `refresh`, which quizapp.workforce.tally.rebuild calls for everyone. A pass
expiring is time passing, not a write: the stored deadline is then the expiry, now in
the past, which is what makes the requirement overdue.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from ..models import Check, Completion, Requirement, User

#: session.info key of the people and checks whose requirements' keys the last flush may
#: have changed.
_PENDING = "quizapp.workforce.deadlines"
#: People or checks per UPDATE when many changed at once (rebuild_all flushes 500 people
#: at a time).
CHUNK = 500
#: User and Check attributes copied to their requirements.
_COPIED = {User: ("name", "agency_id"), Check: ("title",)}


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


def stored() -> dict[str, sa.ColumnElement[Any]]:
    """Each stored key's right value as SQL on a Requirement row (correlated)."""

    def person(column: Any) -> sa.ColumnElement[Any]:
        return sa.select(column).where(User.id == Requirement.user_id).scalar_subquery()

    return {
        "deadline_at": computed(),
        "agency_id": person(User.agency_id),
        "person_name": person(User.name),
        "check_title": (
            sa.select(Check.title).where(Check.id == Requirement.check_id).scalar_subquery()
        ),
    }


def _wrong(values: dict[str, sa.ColumnElement[Any]]) -> sa.ColumnElement[bool]:
    return sa.or_(
        *(getattr(Requirement, name).is_distinct_from(value) for name, value in values.items())
    )


def refresh(
    session: Session,
    user_ids: Iterable[int] | None = None,
    check_ids: Iterable[int] | None = None,
) -> int:
    """Set right the stored keys of these people's and these checks' requirements (both
    None: everyone's), writing only rows that differ. Returns how many were wrong."""
    values = stored()
    statement = (
        sa.update(Requirement)
        .where(_wrong(values))
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if user_ids is None and check_ids is None:
        return session.execute(statement).rowcount
    count = 0
    for column, ids in ((Requirement.user_id, user_ids), (Requirement.check_id, check_ids)):
        chosen = sorted(set(ids or ()))
        for i in range(0, len(chosen), CHUNK):
            chunk = chosen[i : i + CHUNK]
            count += session.execute(statement.where(column.in_(chunk))).rowcount
    return count


def mismatches(session: Session) -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
    """Requirement id -> (stored, right) keys, for every requirement with a wrong stored
    key. Empty when all are right."""
    values = stored()
    rows = session.execute(
        sa.select(
            Requirement.id,
            *(getattr(Requirement, name) for name in values),
            *(value.label(f"right_{name}") for name, value in values.items()),
        ).where(_wrong(values))
    )
    return {
        row.id: (
            {name: getattr(row, name) for name in values},
            {name: getattr(row, f"right_{name}") for name in values},
        )
        for row in rows
    }


def _changes_keys(obj: Any, session: Session) -> bool:
    """Whether this flushed object may change stored keys: a pass added, removed or with
    its expiry (or owner) changed; a requirement added or with its due date (or owner)
    changed; a person renamed or moved agency; a check retitled."""
    if isinstance(obj, Completion):
        names: tuple[str, ...] = ("expires_at", "user_id", "check_id")
    elif isinstance(obj, Requirement):
        if obj in session.deleted:
            return False  # its keys go with it
        names = ("due_at", "user_id", "check_id")
    elif isinstance(obj, User | Check):
        if obj in session.new or obj in session.deleted:
            return False  # no requirements yet (a new one is noted itself), or none left
        names = _COPIED[type(obj)]
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
    """Note whose requirements this flush may have changed the keys of (the lists and
    histories still show the flush's changes here; they are gone by
    after_flush_postexec)."""
    people: set[int] = set()
    checks: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if not _changes_keys(obj, session):
            continue
        if isinstance(obj, User):
            people.add(obj.id)
        elif isinstance(obj, Check):
            checks.add(obj.id)
        else:
            people |= _owners(obj)
    if people or checks:
        pending = session.info.setdefault(_PENDING, (set(), set()))
        pending[0].update(people)
        pending[1].update(checks)


@event.listens_for(Session, "after_flush_postexec")
def _recompute(session: Session, _context: Any) -> None:
    """Write the noted requirements' keys as the flush left what they copy, and have any
    of them loaded in the session read the stored keys again."""
    pending: tuple[set[int], set[int]] | None = session.info.pop(_PENDING, None)
    if not pending:
        return
    people, checks = pending
    refresh(session, people, checks)
    keys = list(stored())
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Requirement):
            loaded = inspect(obj).dict
            if loaded.get("user_id") in people or loaded.get("check_id") in checks:
                session.expire(obj, keys)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
