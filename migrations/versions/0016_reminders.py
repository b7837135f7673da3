"""Reminders: what `flask reminders send` has sent, and each agency's switches

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30

- reminder_sends: one row per reminder email sent (recipient, check or none for a
  digest, kind, period), unique, so that no run sends one twice.
- agencies.reminder_due_soon / reminder_expiring / reminder_overdue / reminder_digest:
  each kind of reminder on or off for the agency (on by default).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

SWITCHES = ("reminder_due_soon", "reminder_expiring", "reminder_overdue", "reminder_digest")


def upgrade():
    op.create_table(
        "reminder_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('due-soon', 'expiring', 'overdue', 'digest')",
            name=op.f("ck_reminder_sends_kind"),
        ),
        sa.CheckConstraint(
            "(kind = 'digest') = (check_id IS NULL)",
            name=op.f("ck_reminder_sends_digest_has_no_check"),
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_reminder_sends_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_reminder_sends_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_sends")),
        sa.UniqueConstraint(
            "user_id",
            "check_id",
            "kind",
            "period",
            name=op.f("uq_reminder_sends_user_id_check_id_kind_period"),
        ),
    )
    op.create_index(
        "uq_reminder_sends_digest",
        "reminder_sends",
        ["user_id", "period"],
        unique=True,
        sqlite_where=sa.text("check_id IS NULL"),
        postgresql_where=sa.text("check_id IS NULL"),
    )
    op.create_index("ix_reminder_sends_kind_period", "reminder_sends", ["kind", "period"])
    for name in SWITCHES:
        op.add_column(
            "agencies",
            sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.true()),
        )


def downgrade():
    with op.batch_alter_table("agencies") as batch:
        for name in SWITCHES:
            batch.drop_column(name)
    op.drop_index("ix_reminder_sends_kind_period", table_name="reminder_sends")
    op.drop_index("uq_reminder_sends_digest", table_name="reminder_sends")
    op.drop_table("reminder_sends")
