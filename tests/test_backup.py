"""Backup and restore, as docs/operations.md says to do them, on the suite's database.

SQLite: the online backup API (what `sqlite3 quizapp.sqlite ".backup FILE"` uses) into a
file, then restored into a fresh file. PostgreSQL: `pg_dump -Fc` to a file, `createdb` +
`pg_restore` into a fresh database, which is dropped afterwards. Either way, the restored
copy must hold the same rows (counts, and a checksum of the key tables), the same
migration revision and the guard triggers, which still refuse changes there.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from quizapp.extensions import db

from .policy import build_world

#: Tables whose every value is compared, not only counted.
KEY_TABLES = (
    "users",
    "agencies",
    "attempts",
    "responses",
    "completions",
    "bank_versions",
    "questions",
    "requirements",
    "audit_events",
)


def _fingerprint(engine: Engine) -> dict[str, object]:
    """Row counts of every table, a checksum of each key table, the schema revision and
    the triggers."""
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        tables = sorted(inspector.get_table_names())
        counts = {
            table: connection.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar()
            for table in tables
        }
        checksums = {}
        for table in KEY_TABLES:
            columns = [column["name"] for column in inspector.get_columns(table)]
            rows = connection.execute(
                sa.text(f'SELECT {", ".join(columns)} FROM "{table}" ORDER BY {columns[0]}')
            ).all()
            checksums[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
        revision = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        if connection.dialect.name == "postgresql":
            query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1"
        else:
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY 1"
        triggers = connection.execute(sa.text(query)).scalars().all()
    return {"counts": counts, "checksums": checksums, "revision": revision, "triggers": triggers}


def _assert_guards_hold(engine: Engine, attempt_id: int) -> None:
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE attempts SET score = 0 WHERE id = :id"), {"id": attempt_id}
        )


def test_backup_and_restore_keep_every_row(app, tmp_path):
    world = build_world()
    db.session.remove()
    original = _fingerprint(db.engine)
    assert original["counts"]["attempts"] == 5 and original["counts"]["responses"] > 0
    assert original["triggers"], "no guard triggers to carry over"
    if db.engine.dialect.name == "postgresql":
        restored_engine, cleanup = _postgresql_round_trip(db.engine, tmp_path)
    else:
        restored_engine, cleanup = _sqlite_round_trip(db.engine, tmp_path)
    try:
        assert _fingerprint(restored_engine) == original
        _assert_guards_hold(restored_engine, world.submitted_attempt_id)
    finally:
        restored_engine.dispose()
        cleanup()


def _sqlite_round_trip(engine: Engine, tmp_path: Path):
    source = Path(make_url(str(engine.url)).database)
    backup = tmp_path / "backup.sqlite"
    restored = tmp_path / "restored.sqlite"
    # Backup: the online backup API, consistent while the app is writing.
    with sqlite3.connect(source) as live, sqlite3.connect(backup) as copy:
        live.backup(copy)
    live.close()
    copy.close()
    # Restore: the same API, from the backup file into a fresh database file.
    with sqlite3.connect(backup) as saved, sqlite3.connect(restored) as fresh:
        saved.backup(fresh)
    saved.close()
    fresh.close()
    assert backup.stat().st_size > 0
    return sa.create_engine(f"sqlite:///{restored}"), lambda: None


def _postgresql_round_trip(engine: Engine, tmp_path: Path):
    for tool in ("pg_dump", "pg_restore", "createdb", "dropdb"):
        assert shutil.which(tool), f"{tool} is needed for the PostgreSQL backup test"
    url = make_url(str(engine.url))
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = url.password
    common = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username]
    dump = tmp_path / "backup.dump"
    fresh = f"quizapp_restore_{uuid.uuid4().hex[:12]}"
    subprocess.run(["pg_dump", *common, "-Fc", "-f", str(dump), url.database], check=True, env=env)
    assert dump.stat().st_size > 0
    subprocess.run(["createdb", *common, fresh], check=True, env=env)

    def cleanup() -> None:
        subprocess.run(["dropdb", *common, "--if-exists", fresh], check=True, env=env)

    try:
        subprocess.run(
            ["pg_restore", *common, "--no-owner", "--exit-on-error", "-d", fresh, str(dump)],
            check=True,
            env=env,
        )
    except BaseException:
        cleanup()
        raise
    return sa.create_engine(url.set(database=fresh)), cleanup
