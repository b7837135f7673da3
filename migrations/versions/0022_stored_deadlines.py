"""Stored deadlines: each requirement's date to (re)pass by, kept on the row

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01

- requirements.deadline_at: the later of due_at and the expiry of the person's pass of
  the check (completions), so that "overdue at t" is `deadline_at <= t` on the
  requirement alone, with no look-up of the pass per requirement. Filled here by one
  UPDATE from the passes; kept in step by quizapp.workforce.deadlines.
  (The index the overdue list reads it by comes with the other sort keys, in 0023.)

On SQLite, making the column NOT NULL rebuilds requirements (the batch): no table refers
to requirements, so the rebuild cascades nowhere.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

#: quizapp.workforce.deadlines.computed when this migration was written.
BACKFILL = """
UPDATE requirements SET deadline_at = COALESCE(
    (SELECT CASE WHEN c.expires_at > requirements.due_at THEN c.expires_at END
     FROM completions c
     WHERE c.user_id = requirements.user_id AND c.check_id = requirements.check_id),
    requirements.due_at)
"""


def upgrade() -> None:
    op.add_column(
        "requirements", sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(BACKFILL)
    with op.batch_alter_table("requirements") as batch:
        batch.alter_column("deadline_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("requirements") as batch:
        batch.drop_column("deadline_at")
