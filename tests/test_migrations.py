"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import downgrade, upgrade

from quizapp.extensions import db


def test_migrated_schema_matches_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_migrations_run_down_to_empty_and_back_to_head(app):
    downgrade(revision="base")
    with db.engine.connect() as connection:
        tables = set(db.inspect(connection).get_table_names()) - {"alembic_version"}
    assert tables == set()
    upgrade()
    head = ScriptDirectory(current_app.extensions["migrate"].directory).get_current_head()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == head
        assert "attempts" in db.inspect(connection).get_table_names()


def test_upgrading_keeps_existing_accounts_able_to_sign_in(app):
    import sqlalchemy as sa

    downgrade(revision="0001")
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO users (email, name, password_hash, session_token, job_role,"
                " active, created_at) VALUES ('old@example.org', 'Old', 'scrypt:x', 't', '',"
                " true, '2025-01-01 00:00:00+00')"
            )
        )
    upgrade()
    with db.engine.connect() as connection:
        confirmed = connection.execute(
            sa.text("SELECT email_confirmed_at FROM users WHERE email = 'old@example.org'")
        ).scalar()
    assert confirmed is not None
