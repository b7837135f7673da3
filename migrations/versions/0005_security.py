"""Security: the database itself refuses changes to submitted attempts and published versions

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-27

The app already refuses these changes at flush time (quizapp/models/guards.py); these
triggers make the database say so too, for any client (a psql session, a script, a
future bug). What they refuse:

- attempts: UPDATE or DELETE of a submitted row (submitted_at set). The app's own submit,
  `UPDATE attempts ... WHERE submitted_at IS NULL`, changes a row that is not yet
  submitted, so it passes.
- responses: INSERT, UPDATE or DELETE of a response belonging to a submitted attempt.
- bank_versions: UPDATE or DELETE of a published row (publishing itself is an UPDATE of
  a draft row, so it passes).
- findings, stages, questions, question_findings: UPDATE or DELETE of rows of a published
  version. INSERT is allowed: importing and publishing write a version's content in the
  same transaction that publishes it.

Banks with attempts can't be deleted already: attempts.bank_version_id and
bank_versions.bank_id are ON DELETE RESTRICT.

Every trigger fails with an integrity error (SQLite RAISE(ABORT); PostgreSQL SQLSTATE
23001 restrict_violation) whose message starts with "quizapp guard:".

Maintenance (for example an erasure ordered by a court), documented in docs/operations.md:
- PostgreSQL: TRUNCATE fires no row triggers; for row changes, inside one transaction
  `SET LOCAL quizapp.maintenance = 'on'` turns the guards off until it commits.
- SQLite has no session settings: drop the `guard_*` triggers, make the change and create
  them again in one transaction (the test suite's `_empty_tables` does exactly that,
  reading the trigger SQL back from sqlite_master).

SQLite drops a table's triggers with the table: a later migration that rebuilds one of
these tables with batch_alter_table must create its triggers again (tests/test_security.py
checks they are all present at head).
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

#: Messages have no quotes in them: they are written into SQL text as they are.
ATTEMPT_CHANGED = "quizapp guard: a submitted attempt can not change or be deleted"
RESPONSE_CHANGED = "quizapp guard: the responses of a submitted attempt can not change"
VERSION_CHANGED = "quizapp guard: a published bank version can not change or be deleted"
CONTENT_CHANGED = "quizapp guard: the content of a published bank version can not change"

#: Content tables whose rows carry version_id.
CONTENT_TABLES = ("findings", "stages", "questions")

#: Every trigger name, for downgrade and for the tests.
TRIGGERS = (
    ("attempts", "guard_attempts_update"),
    ("attempts", "guard_attempts_delete"),
    ("responses", "guard_responses_insert"),
    ("responses", "guard_responses_update"),
    ("responses", "guard_responses_delete"),
    ("bank_versions", "guard_bank_versions_update"),
    ("bank_versions", "guard_bank_versions_delete"),
    *((table, f"guard_{table}_{op_}") for table in CONTENT_TABLES for op_ in ("update", "delete")),
    ("question_findings", "guard_question_findings_update"),
    ("question_findings", "guard_question_findings_delete"),
)


def _sqlite_trigger(name: str, when: str, table: str, condition: str, message: str) -> str:
    return (
        f"CREATE TRIGGER {name} BEFORE {when} ON {table} FOR EACH ROW WHEN {condition}"
        f" BEGIN SELECT RAISE(ABORT, '{message}'); END"
    )


def _sqlite_upgrade() -> None:
    submitted = "SELECT 1 FROM attempts WHERE submitted_at IS NOT NULL AND id"
    published = "SELECT 1 FROM bank_versions WHERE status = 'published' AND id"
    statements = [
        _sqlite_trigger(
            "guard_attempts_update",
            "UPDATE",
            "attempts",
            "OLD.submitted_at IS NOT NULL",
            ATTEMPT_CHANGED,
        ),
        _sqlite_trigger(
            "guard_attempts_delete",
            "DELETE",
            "attempts",
            "OLD.submitted_at IS NOT NULL",
            ATTEMPT_CHANGED,
        ),
        _sqlite_trigger(
            "guard_responses_insert",
            "INSERT",
            "responses",
            f"EXISTS ({submitted} = NEW.attempt_id)",
            RESPONSE_CHANGED,
        ),
        _sqlite_trigger(
            "guard_responses_update",
            "UPDATE",
            "responses",
            f"EXISTS ({submitted} IN (OLD.attempt_id, NEW.attempt_id))",
            RESPONSE_CHANGED,
        ),
        _sqlite_trigger(
            "guard_responses_delete",
            "DELETE",
            "responses",
            f"EXISTS ({submitted} = OLD.attempt_id)",
            RESPONSE_CHANGED,
        ),
        _sqlite_trigger(
            "guard_bank_versions_update",
            "UPDATE",
            "bank_versions",
            "OLD.status = 'published'",
            VERSION_CHANGED,
        ),
        _sqlite_trigger(
            "guard_bank_versions_delete",
            "DELETE",
            "bank_versions",
            "OLD.status = 'published'",
            VERSION_CHANGED,
        ),
    ]
    for table in CONTENT_TABLES:
        statements += [
            _sqlite_trigger(
                f"guard_{table}_update",
                "UPDATE",
                table,
                f"EXISTS ({published} IN (OLD.version_id, NEW.version_id))",
                CONTENT_CHANGED,
            ),
            _sqlite_trigger(
                f"guard_{table}_delete",
                "DELETE",
                table,
                f"EXISTS ({published} = OLD.version_id)",
                CONTENT_CHANGED,
            ),
        ]
    via_question = (
        "SELECT 1 FROM questions JOIN bank_versions ON bank_versions.id = questions.version_id"
        " WHERE bank_versions.status = 'published' AND questions.id"
    )
    statements += [
        _sqlite_trigger(
            "guard_question_findings_update",
            "UPDATE",
            "question_findings",
            f"EXISTS ({via_question} IN (OLD.question_id, NEW.question_id))",
            CONTENT_CHANGED,
        ),
        _sqlite_trigger(
            "guard_question_findings_delete",
            "DELETE",
            "question_findings",
            f"EXISTS ({via_question} = OLD.question_id)",
            CONTENT_CHANGED,
        ),
    ]
    for statement in statements:
        op.execute(statement)


POSTGRESQL_FUNCTIONS = f"""
CREATE FUNCTION quizapp_guard_off() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('quizapp.maintenance', true), '') = 'on'
$$;

CREATE FUNCTION quizapp_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF quizapp_guard_off() THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'restrict_violation';
END
$$;

CREATE FUNCTION quizapp_guard_responses() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids integer[];
BEGIN
  IF quizapp_guard_off() THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  ids := CASE TG_OP
    WHEN 'INSERT' THEN ARRAY[NEW.attempt_id]
    WHEN 'UPDATE' THEN ARRAY[OLD.attempt_id, NEW.attempt_id]
    ELSE ARRAY[OLD.attempt_id] END;
  IF EXISTS (SELECT 1 FROM attempts WHERE id = ANY(ids) AND submitted_at IS NOT NULL) THEN
    RAISE EXCEPTION '{RESPONSE_CHANGED}' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE FUNCTION quizapp_guard_content() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids integer[];
BEGIN
  IF quizapp_guard_off() THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  ids := CASE TG_OP
    WHEN 'UPDATE' THEN ARRAY[OLD.version_id, NEW.version_id]
    ELSE ARRAY[OLD.version_id] END;
  IF EXISTS (SELECT 1 FROM bank_versions WHERE id = ANY(ids) AND status = 'published') THEN
    RAISE EXCEPTION '{CONTENT_CHANGED}' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

CREATE FUNCTION quizapp_guard_question_findings() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids integer[];
BEGIN
  IF quizapp_guard_off() THEN
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
  END IF;
  ids := CASE TG_OP
    WHEN 'UPDATE' THEN ARRAY[OLD.question_id, NEW.question_id]
    ELSE ARRAY[OLD.question_id] END;
  IF EXISTS (
    SELECT 1 FROM questions JOIN bank_versions ON bank_versions.id = questions.version_id
    WHERE questions.id = ANY(ids) AND bank_versions.status = 'published'
  ) THEN
    RAISE EXCEPTION '{CONTENT_CHANGED}' USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
"""


def _pg_trigger(name: str, when: str, table: str, function: str, condition: str = "") -> str:
    clause = f" WHEN ({condition})" if condition else ""
    return (
        f"CREATE TRIGGER {name} BEFORE {when} ON {table} FOR EACH ROW{clause}"
        f" EXECUTE FUNCTION {function}"
    )


def _postgresql_upgrade() -> None:
    op.execute(POSTGRESQL_FUNCTIONS)
    refuse_attempt = f"quizapp_refuse('{ATTEMPT_CHANGED}')"
    refuse_version = f"quizapp_refuse('{VERSION_CHANGED}')"
    statements = [
        _pg_trigger(
            "guard_attempts_update",
            "UPDATE",
            "attempts",
            refuse_attempt,
            "OLD.submitted_at IS NOT NULL",
        ),
        _pg_trigger(
            "guard_attempts_delete",
            "DELETE",
            "attempts",
            refuse_attempt,
            "OLD.submitted_at IS NOT NULL",
        ),
        _pg_trigger(
            "guard_bank_versions_update",
            "UPDATE",
            "bank_versions",
            refuse_version,
            "OLD.status = 'published'",
        ),
        _pg_trigger(
            "guard_bank_versions_delete",
            "DELETE",
            "bank_versions",
            refuse_version,
            "OLD.status = 'published'",
        ),
    ]
    for when in ("insert", "update", "delete"):
        statements.append(
            _pg_trigger(
                f"guard_responses_{when}", when.upper(), "responses", "quizapp_guard_responses()"
            )
        )
    for table in CONTENT_TABLES:
        for when in ("update", "delete"):
            statements.append(
                _pg_trigger(f"guard_{table}_{when}", when.upper(), table, "quizapp_guard_content()")
            )
    for when in ("update", "delete"):
        statements.append(
            _pg_trigger(
                f"guard_question_findings_{when}",
                when.upper(),
                "question_findings",
                "quizapp_guard_question_findings()",
            )
        )
    for statement in statements:
        op.execute(statement)


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, name in TRIGGERS:
        op.execute(
            f"DROP TRIGGER IF EXISTS {name} ON {table}"
            if postgresql
            else f"DROP TRIGGER IF EXISTS {name}"
        )
    if postgresql:
        for function in (
            "quizapp_guard_question_findings()",
            "quizapp_guard_content()",
            "quizapp_guard_responses()",
            "quizapp_refuse()",
            "quizapp_guard_off()",
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
