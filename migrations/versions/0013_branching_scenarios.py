"""Branching scenarios: each choice as its own event; going back as a check setting

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30

- scenario_choices: one row per decision made in a branching scenario (who, attempt,
  decision, alternative, points, certainty, when), so the dashboards, statistics and any
  xAPI export read the choices themselves, not only the scenario's mark. Guarded like
  responses (migration 0005): a submitted attempt's choices can not change.
- checks.scenario_back: may practitioners go back and change a decision (off by default).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

#: As in migration 0005; no quotes, as it is written into SQL text.
CHOICE_CHANGED = "quizapp guard: the responses of a submitted attempt can not change"
TRIGGERS = ("insert", "update", "delete")


def upgrade():
    op.create_table(
        "scenario_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("node_key", sa.String(length=100), nullable=False),
        sa.Column("alternative_key", sa.String(length=100), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("certainty", sa.Integer(), nullable=True),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "action IN ('chose', 'went-back')", name=op.f("ck_scenario_choices_action")
        ),
        sa.CheckConstraint(
            "certainty IS NULL OR certainty IN (1, 2, 3)",
            name=op.f("ck_scenario_choices_certainty"),
        ),
        sa.CheckConstraint(
            "points >= 0 AND points <= 10", name=op.f("ck_scenario_choices_points_range")
        ),
        sa.CheckConstraint("sequence > 0", name=op.f("ck_scenario_choices_sequence_positive")),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_scenario_choices_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_scenario_choices_question_id_questions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scenario_choices")),
        sa.UniqueConstraint(
            "attempt_id",
            "question_id",
            "sequence",
            name=op.f("uq_scenario_choices_attempt_id_question_id_sequence"),
        ),
    )
    op.create_index(
        "ix_scenario_choices_question_node",
        "scenario_choices",
        ["question_id", "node_key"],
        unique=False,
    )
    op.add_column(
        "checks",
        sa.Column("scenario_back", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    if op.get_context().dialect.name == "sqlite":
        submitted = "SELECT 1 FROM attempts WHERE submitted_at IS NOT NULL AND id"
        conditions = {
            "insert": f"EXISTS ({submitted} = NEW.attempt_id)",
            "update": f"EXISTS ({submitted} IN (OLD.attempt_id, NEW.attempt_id))",
            "delete": f"EXISTS ({submitted} = OLD.attempt_id)",
        }
        for when in TRIGGERS:
            op.execute(
                f"CREATE TRIGGER guard_scenario_choices_{when} BEFORE {when.upper()}"
                f" ON scenario_choices FOR EACH ROW WHEN {conditions[when]}"
                f" BEGIN SELECT RAISE(ABORT, '{CHOICE_CHANGED}'); END"
            )
    else:
        # The responses guard (0005) reads only attempt_id, which choices share.
        for when in TRIGGERS:
            op.execute(
                f"CREATE TRIGGER guard_scenario_choices_{when} BEFORE {when.upper()}"
                " ON scenario_choices FOR EACH ROW EXECUTE FUNCTION quizapp_guard_responses()"
            )


def downgrade():
    for when in TRIGGERS:
        if op.get_context().dialect.name == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS guard_scenario_choices_{when}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS guard_scenario_choices_{when} ON scenario_choices")
    op.drop_column("checks", "scenario_back")
    op.drop_index("ix_scenario_choices_question_node", table_name="scenario_choices")
    op.drop_table("scenario_choices")
