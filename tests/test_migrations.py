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


def test_checks_that_existed_before_follow_ups_get_none_until_turned_on(app):
    """0018 must not invite everyone who passed 8 to 16 weeks ago: checks that existed
    get no follow-up (NULL); checks made afterwards still default to 8 weeks."""
    import sqlalchemy as sa

    downgrade(revision="0017")
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO banks (key, title, created_at, two_person)"
                " VALUES ('old-bank', 'Old bank', '2025-01-01 00:00:00+00', false)"
            )
        )
        bank_id = connection.execute(sa.text("SELECT id FROM banks")).scalar()
        connection.execute(
            sa.text(
                "INSERT INTO checks (title, bank_id, pass_mark, certainty, after_fail,"
                " scenario_back, refresh_months, cpd_minutes, participatory, created_at)"
                " VALUES ('Old check', :bank, 80, true, 'feedback', false, 36, 20, false,"
                " '2025-01-01 00:00:00+00')"
            ),
            {"bank": bank_id},
        )
    upgrade()
    with db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO checks (title, bank_id, pass_mark, certainty, after_fail,"
                " scenario_back, refresh_months, cpd_minutes, participatory, created_at)"
                " VALUES ('New check', :bank, 80, true, 'feedback', false, 36, 20, false,"
                " '2026-12-01 00:00:00+00')"
            ),
            {"bank": bank_id},
        )
        weeks = dict(connection.execute(sa.text("SELECT title, follow_up_weeks FROM checks")).all())
    assert weeks == {"Old check": None, "New check": 8}
