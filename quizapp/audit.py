"""Write to the audit log. Called by operations inside the transaction they change."""

from __future__ import annotations

from typing import Any

from .extensions import db
from .models import AuditEvent, User, utcnow


def record(
    action: str, target: str, *, user: User | None, details: dict[str, Any] | None = None
) -> AuditEvent:
    """Add an audit event (who, when, what) to the current transaction."""
    event = AuditEvent(
        at=utcnow(), user=user, action=action, target=target, details=dict(details or {})
    )
    db.session.add(event)
    db.session.flush()
    return event
