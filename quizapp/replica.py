"""Dashboard pages read from a PostgreSQL read replica when one is configured.

Leads' dashboards are the heaviest reads in the service and tolerate figures a moment
old; answers and sign-ins do not. So one flag, set by the dashboards blueprint for its GET
and HEAD requests only, sends that request's plain SELECTs to the replica engine
(`SQLALCHEMY_BINDS["replica"]`, from `DATABASE_REPLICA_URL`). Anything that could write
or lock (a flush, INSERT/UPDATE/DELETE, SELECT ... FOR UPDATE, text SQL, a bare
connection) goes to the primary, as does every request outside the dashboards.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g, has_app_context
from flask_sqlalchemy.session import Session
from sqlalchemy.sql.selectable import GenerativeSelect

#: The bind key of the replica engine in SQLALCHEMY_BINDS.
REPLICA = "replica"
_FLAG = "read_from_replica"


def read_from_replica() -> None:
    """Send the rest of this request's plain SELECTs to the replica, if there is one."""
    setattr(g, _FLAG, True)


def stop_reading_from_replica(_error: BaseException | None = None) -> None:
    """At the request's end (a teardown hook): a test's app context may outlive it."""
    g.pop(_FLAG, None)


def _reading_from_replica() -> bool:
    return has_app_context() and bool(g.get(_FLAG))


def _plain_select(clause: Any) -> bool:
    """A SELECT that takes no row locks: safe to answer from a copy."""
    return isinstance(clause, GenerativeSelect) and clause._for_update_arg is None


class ReplicaRoutingSession(Session):
    """Flask-SQLAlchemy's session, choosing the replica for reads the request allows."""

    def get_bind(
        self,
        mapper: Any | None = None,
        clause: Any | None = None,
        bind: sa.Engine | sa.Connection | None = None,
        **kwargs: Any,
    ) -> sa.Engine | sa.Connection:
        if (
            bind is None
            and not self._flushing
            and _reading_from_replica()
            and _plain_select(clause)
            and REPLICA in self._db.engines
        ):
            return self._db.engines[REPLICA]
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)
