"""Impact: confidence before and after, reactions, follow-ups

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30

- findings.confidence: the finding as practice ("How confident are you ...?").
- checks.ask_confidence, checks.ask_reaction (default true), checks.follow_up_weeks
  (default 8; NULL: no follow-up). Checks that exist when this runs get NULL: with 8
  they would invite, on the first reminders run, everyone who passed 8 to 16 weeks
  before, with no "before" confidence to compare. Turn it on in the check's settings;
  checks made afterwards default to 8.
- confidence_ratings, reactions, follow_ups, follow_up_responses.
- reminder_sends.kind may be 'follow-up' (the invitation).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
WEEKS_RANGE = "follow_up_weeks IS NULL OR (follow_up_weeks >= 1 AND follow_up_weeks <= 52)"
OLD_KINDS = "kind IN ('due-soon', 'expiring', 'overdue', 'digest')"
NEW_KINDS = "kind IN ('due-soon', 'expiring', 'overdue', 'digest', 'follow-up')"


def _reminder_kinds(kinds: str) -> None:
    name = op.f("ck_reminder_sends_kind")
    if op.get_context().dialect.name == "sqlite":
        # SQLite cannot alter a constraint: the batch rebuilds the table.
        with op.batch_alter_table("reminder_sends", recreate="always") as batch:
            batch.drop_constraint(name, type_="check")
            batch.create_check_constraint(name, kinds)
    else:
        op.drop_constraint(name, "reminder_sends", type_="check")
        op.create_check_constraint(name, "reminder_sends", kinds)


def upgrade() -> None:
    op.add_column("findings", sa.Column("confidence", sa.String(length=300), nullable=True))
    op.add_column(
        "checks",
        sa.Column("ask_confidence", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    op.add_column(
        "checks",
        sa.Column("ask_reaction", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    # ALTER TABLE on both databases, as in 0017: no table rebuild on SQLite.
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE checks ADD COLUMN follow_up_weeks INTEGER DEFAULT 8"
            f" CONSTRAINT ck_checks_follow_up_weeks CHECK ({WEEKS_RANGE})"
        )
    else:
        op.add_column(
            "checks", sa.Column("follow_up_weeks", sa.Integer(), nullable=True, server_default="8")
        )
        op.create_check_constraint(op.f("ck_checks_follow_up_weeks"), "checks", WEEKS_RANGE)
    # Every check now existed before follow-ups: none until turned on (see above).
    op.execute("UPDATE checks SET follow_up_weeks = NULL")
    _reminder_kinds(NEW_KINDS)

    op.create_table(
        "confidence_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("finding_key", sa.String(length=100), nullable=False),
        sa.Column("moment", sa.String(length=20), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "moment IN ('before', 'after', 'follow-up')",
            name=op.f("ck_confidence_ratings_moment"),
        ),
        sa.CheckConstraint(
            "rating IS NULL OR (rating >= 1 AND rating <= 5)",
            name=op.f("ck_confidence_ratings_rating"),
        ),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_confidence_ratings_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confidence_ratings")),
        sa.UniqueConstraint(
            "attempt_id",
            "finding_key",
            "moment",
            name=op.f("uq_confidence_ratings_attempt_id_finding_key_moment"),
        ),
    )
    op.create_table(
        "reactions",
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("relevant", sa.Integer(), nullable=True),
        sa.Column("clear", sa.Integer(), nullable=True),
        sa.Column("will_change", sa.Integer(), nullable=True),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        *(
            sa.CheckConstraint(
                f"{name} IS NULL OR ({name} >= 1 AND {name} <= 5)",
                name=op.f(f"ck_reactions_{name}"),
            )
            for name in ("relevant", "clear", "will_change")
        ),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_reactions_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_reactions")),
    )
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("bank_version_id", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("weak_findings", JSON, nullable=False),
        sa.Column("question_ids", JSON, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("max_score", sa.Double(), nullable=True),
        sa.Column("percent", sa.Double(), nullable=True),
        sa.Column("used_in_practice", sa.String(length=20), nullable=True),
        sa.Column("practice_example", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "used_in_practice IS NULL OR used_in_practice IN ('yes', 'not-yet', 'not-applicable')",
            name=op.f("ck_follow_ups_used_in_practice"),
        ),
        sa.CheckConstraint(
            "submitted_at IS NULL OR (score IS NOT NULL AND max_score IS NOT NULL)",
            name=op.f("ck_follow_ups_submitted_is_scored"),
        ),
        sa.CheckConstraint(
            "percent IS NULL OR (percent >= 0 AND percent <= 100)",
            name=op.f("ck_follow_ups_percent"),
        ),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_follow_ups_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["bank_version_id"],
            ["bank_versions.id"],
            name=op.f("fk_follow_ups_bank_version_id_bank_versions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_follow_ups_check_id_checks"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_follow_ups_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint("attempt_id", name=op.f("uq_follow_ups_attempt_id")),
    )
    op.create_index("ix_follow_ups_user_id", "follow_ups", ["user_id"])
    op.create_index(
        "ix_follow_ups_check_id_submitted_at", "follow_ups", ["check_id", "submitted_at"]
    )
    op.create_table(
        "follow_up_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("follow_up_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("answer", JSON, nullable=False),
        sa.Column("certainty", sa.Integer(), nullable=True),
        sa.Column("fraction", sa.Double(), nullable=True),
        sa.Column("mark", sa.Double(), nullable=True),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "certainty IS NULL OR certainty IN (1, 2, 3)",
            name=op.f("ck_follow_up_responses_certainty"),
        ),
        sa.CheckConstraint(
            "fraction IS NULL OR (fraction >= 0 AND fraction <= 1)",
            name=op.f("ck_follow_up_responses_fraction_range"),
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_id"],
            ["follow_ups.id"],
            name=op.f("fk_follow_up_responses_follow_up_id_follow_ups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_follow_up_responses_question_id_questions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_responses")),
        sa.UniqueConstraint(
            "follow_up_id",
            "question_id",
            name=op.f("uq_follow_up_responses_follow_up_id_question_id"),
        ),
    )
    op.create_index(
        op.f("ix_follow_up_responses_question_id"), "follow_up_responses", ["question_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_follow_up_responses_question_id"), table_name="follow_up_responses")
    op.drop_table("follow_up_responses")
    op.drop_index("ix_follow_ups_check_id_submitted_at", table_name="follow_ups")
    op.drop_index("ix_follow_ups_user_id", table_name="follow_ups")
    op.drop_table("follow_ups")
    op.drop_table("reactions")
    op.drop_table("confidence_ratings")
    op.execute("DELETE FROM reminder_sends WHERE kind = 'follow-up'")
    _reminder_kinds(OLD_KINDS)
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_checks_follow_up_weeks"), "checks", type_="check")
    op.drop_column("checks", "follow_up_weeks")
    op.drop_column("checks", "ask_reaction")
    op.drop_column("checks", "ask_confidence")
    op.drop_column("findings", "confidence")
