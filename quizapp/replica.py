"""Dashboard pages read from a PostgreSQL read replica when one is configured.

Leads' dashboards are the heaviest reads in the service and tolerate figures a moment
old; answers and sign-ins do not. So one flag, set by the dashboards blueprint for its GET
and HEAD requests only, sends that request's plain SELECTs to the replica engine
(`SQLALCHEMY_BINDS["replica"]`, from `DATABASE_REPLICA_URL`). Anything that could write
or lock (a flush, INSERT/UPDATE/DELETE, SELECT ... FOR UPDATE, text SQL, a bare
connection) goes to the primary, as does every request outside the dashboards.

A replica that can't be reached doesn't take the dashboards down: the request reads from
the primary instead, and the replica is left alone for `RETRY_AFTER` seconds before the
next request tries it again.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import sqlalchemy as sa
from flask import current_app, g, has_app_context
from flask_sqlalchemy.session import Session
from sqlalchemy.sql.selectable import GenerativeSelect

#: The bind key of the replica engine in SQLALCHEMY_BINDS.
REPLICA = "replica"
_FLAG = "read_from_replica"
#: Seconds a replica that could not be reached is passed over before it is tried again.
RETRY_AFTER = 30.0
#: Seconds to wait for a connection to the replica (PostgreSQL's connect_timeout).
CONNECT_TIMEOUT = 3

log = logging.getLogger(__name__)
#: Replica URL -> monotonic time until which it is not tried (per process).
_unreachable_until: dict[str, float] = {}


def replica_url(url: str) -> str:
    """The replica's URL with a short connect timeout, so a replica host that has gone
    quiet costs a lead a few seconds, once, rather than the proxy's whole timeout."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        parsed = parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT)})
    return parsed.render_as_string(hide_password=False)


def read_from_replica() -> None:
    """Send the rest of this request's plain SELECTs to the replica, if there is one and
    it can be reached; otherwise they stay on the primary."""
    engines = current_app.extensions["sqlalchemy"].engines
    if REPLICA in engines and _reachable(engines[REPLICA]):
        setattr(g, _FLAG, True)


def _reachable(engine: sa.Engine) -> bool:
    """Whether a connection to the replica can be had now (the pool pings a pooled one)."""
    key = engine.url.render_as_string(hide_password=True)
    if time.monotonic() < _unreachable_until.get(key, 0.0):
        return False
    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as error:
        _unreachable_until[key] = time.monotonic() + RETRY_AFTER
        log.warning(
            "Read replica %s unreachable; dashboards read from the primary for %d s: %s",
            key,
            RETRY_AFTER,
            error.orig if error.orig is not None else error,
        )
        return False
    _unreachable_until.pop(key, None)
    return True


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
