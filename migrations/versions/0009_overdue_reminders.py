"""Overdue reminders: an agency's lead may email everyone overdue once a week

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "overdue_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_overdue_reminders_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["users.id"],
            name=op.f("fk_overdue_reminders_sent_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overdue_reminders")),
    )
    op.create_index(
        "ix_overdue_reminders_agency_id_sent_at",
        "overdue_reminders",
        ["agency_id", "sent_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_overdue_reminders_agency_id_sent_at", table_name="overdue_reminders")
    op.drop_table("overdue_reminders")
