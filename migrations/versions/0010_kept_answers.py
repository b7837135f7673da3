"""Kept answers: an answer sent after an idle sign-out, kept until its owner signs in again

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30

- kept_answers: one row per attempt and question, holding the question page's own form
  fields as they were sent with a session that had just ended for being idle
  (quizapp/take/kept.py). The question page shows them again to the attempt's owner after
  they sign in; saving that question, or submitting the attempt, removes the row.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kept_answers",
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column(
            "form",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_kept_answers_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["questions.id"],
            name=op.f("fk_kept_answers_question_id_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("attempt_id", "question_id", name=op.f("pk_kept_answers")),
    )


def downgrade():
    op.drop_table("kept_answers")
