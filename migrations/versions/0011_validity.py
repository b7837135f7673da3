"""Validity: shuffled options with opaque values, question pools, what a failed result shows

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30

- attempts.layout: how the attempt's questions are put on the page. Attempts already
  made get 1 (options in file order, values their indexes) and keep showing and scoring
  exactly as they did; new attempts get 2 (shuffled, opaque; quizapp/take/layout.py).
- attempts.question_ids: the questions an attempt drew from its version's pools, in order;
  NULL for attempts made before pools (they have every question of their version).
- checks.after_fail: what a failed result shows while attempts remain, "feedback"
  (default) or "answers".

Columns are added with ALTER TABLE on both databases: rebuilding attempts on SQLite would
drop its immutability triggers (migration 0005).
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

CHECKS = {
    ("attempts", "layout"): "layout IN (1, 2)",
    ("checks", "after_fail"): "after_fail IN ('feedback', 'answers')",
}


def upgrade():
    sqlite = op.get_context().dialect.name == "sqlite"
    if sqlite:
        op.execute(
            "ALTER TABLE attempts ADD COLUMN layout INTEGER NOT NULL DEFAULT 1"
            " CONSTRAINT ck_attempts_layout CHECK (layout IN (1, 2))"
        )
        op.execute(
            "ALTER TABLE checks ADD COLUMN after_fail VARCHAR(20) NOT NULL DEFAULT 'feedback'"
            " CONSTRAINT ck_checks_after_fail CHECK (after_fail IN ('feedback', 'answers'))"
        )
    else:
        op.add_column(
            "attempts", sa.Column("layout", sa.Integer(), nullable=False, server_default="1")
        )
        op.add_column(
            "checks",
            sa.Column("after_fail", sa.String(20), nullable=False, server_default="feedback"),
        )
        for (table, column), condition in CHECKS.items():
            op.create_check_constraint(op.f(f"ck_{table}_{column}"), table, condition)
    op.add_column(
        "attempts",
        sa.Column(
            "question_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
    )


def downgrade():
    # A column's own CHECK goes with it (SQLite allows dropping such a column).
    op.drop_column("attempts", "question_ids")
    op.drop_column("checks", "after_fail")
    op.drop_column("attempts", "layout")
