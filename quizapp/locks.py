"""One run at a time of scheduled work (reminders, the dashboards' refresh, sending xAPI
statements) when several servers run cron: PostgreSQL's session advisory locks.

`run_lock(name)` yields False at once if another run holds the lock, so the second
run exits rather than queueing behind the first. On SQLite (one machine) it always
yields True: each job's own guards (unique constraints, one writer at a time) keep a
second run harmless there.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from .extensions import db

#: Keys of the locks, fixed so that every server computes the same one. Reminders keep
#: the key they had before this module ("reminder" in ASCII, as a number).
KEYS = {"reminders": 0x72656D696E646572}


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for the job `name`."""
    return KEYS.get(name, zlib.crc32(f"quizapp:{name}".encode()))


@contextmanager
def run_lock(name: str) -> Iterator[bool]:
    """Hold the job's advisory lock while the block runs (yields False if another run
    has it)."""
    if db.engine.dialect.name != "postgresql":
        yield True
        return
    key = lock_key(name)
    # Its own connection: a session-level lock lives as long as the connection, and the
    # job's session changes connection between transactions.
    with db.engine.connect() as connection:
        got = connection.scalar(sa.select(sa.func.pg_try_advisory_lock(key)))
        connection.commit()
        try:
            yield bool(got)
        finally:
            if got:
                connection.scalar(sa.select(sa.func.pg_advisory_unlock(key)))
                connection.commit()
