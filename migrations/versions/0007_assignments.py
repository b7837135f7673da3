"""Assignments and checks: edit and end assignments, retire checks, assignment emails, the
partnership's advice line

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

- assignments.ended_at: an ended assignment requires nobody; it stays listed, and the
  attempts and passes made under it are kept.
- assignments.grace_days (default 30): with a fixed due date, people who join the
  audience after that date are due this many days after joining.
- checks.retired_at: a retired check can't be started or assigned; its assignments stop
  requiring it until it is brought back.
- agencies.assignment_emails (default on): email people when an assignment first
  requires a check of them; assignment_emails records each email, one per person and
  assignment.
- partnership_settings: one row, the partnership's own advice line for result pages.

Columns are added with ALTER TABLE on both databases (no table is rebuilt: on SQLite a
rebuild of assignments would cascade-delete its requirements).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("assignments", sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE assignments ADD COLUMN grace_days INTEGER NOT NULL DEFAULT 30"
            " CONSTRAINT ck_assignments_grace_days_range"
            " CHECK (grace_days >= 0 AND grace_days <= 3650)"
        )
    else:
        op.add_column(
            "assignments",
            sa.Column("grace_days", sa.Integer(), nullable=False, server_default="30"),
        )
        op.create_check_constraint(
            op.f("ck_assignments_grace_days_range"),
            "assignments",
            "grace_days >= 0 AND grace_days <= 3650",
        )
    op.add_column("checks", sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "agencies",
        sa.Column("assignment_emails", sa.Boolean(), nullable=False, server_default=sa.true()),
    )

    op.create_table(
        "assignment_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
            name=op.f("fk_assignment_emails_assignment_id_assignments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_assignment_emails_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_emails")),
        sa.UniqueConstraint(
            "assignment_id", "user_id", name=op.f("uq_assignment_emails_assignment_id_user_id")
        ),
    )
    op.create_index(
        op.f("ix_assignment_emails_user_id"), "assignment_emails", ["user_id"], unique=False
    )
    op.create_index(
        op.f("ix_assignment_emails_sent_at"), "assignment_emails", ["sent_at"], unique=False
    )

    op.create_table(
        "partnership_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("advice_name", sa.String(length=200), nullable=False),
        sa.Column("advice_phone", sa.String(length=50), nullable=False),
        sa.Column("advice_email", sa.String(length=320), nullable=False),
        sa.Column("advice_details", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_partnership_settings_single_row")),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_partnership_settings_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partnership_settings")),
    )


def downgrade():
    op.drop_table("partnership_settings")
    op.drop_index(op.f("ix_assignment_emails_sent_at"), table_name="assignment_emails")
    op.drop_index(op.f("ix_assignment_emails_user_id"), table_name="assignment_emails")
    op.drop_table("assignment_emails")
    op.drop_column("agencies", "assignment_emails")
    op.drop_column("checks", "retired_at")
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_assignments_grace_days_range"), "assignments", type_="check")
    op.drop_column("assignments", "grace_days")
    op.drop_column("assignments", "ended_at")
