"""xAPI outbox: statements waiting for the learning record store

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01

- xapi_outbox: one row per xAPI statement, written when an attempt is submitted (only when
  XAPI_ENDPOINT is configured) and marked sent by `flask --app quizapp xapi send`.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "xapi_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_xapi_outbox_attempts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_outbox")),
        sa.UniqueConstraint("statement_id", name=op.f("uq_xapi_outbox_statement_id")),
    )
    op.create_index(
        "ix_xapi_outbox_sent_at_next_try_at",
        "xapi_outbox",
        ["sent_at", "next_try_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_xapi_outbox_sent_at_next_try_at", table_name="xapi_outbox")
    op.drop_table("xapi_outbox")
