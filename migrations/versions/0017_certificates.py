"""Certificates and CPD minutes

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30

- checks.cpd_minutes (default 20) and checks.participatory (default false).
- certificates: one per passed attempt, with a random verification code and what it
  states copied at issue time. Passes from before get theirs when first looked at
  (quizapp/certificates/operations.py), so no rows are written here.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

CPD_RANGE = "cpd_minutes >= 0 AND cpd_minutes <= 6000"


def upgrade() -> None:
    # ALTER TABLE on both databases, as in 0011: no table rebuild on SQLite.
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE checks ADD COLUMN cpd_minutes INTEGER NOT NULL DEFAULT 20"
            f" CONSTRAINT ck_checks_cpd_minutes CHECK ({CPD_RANGE})"
        )
    else:
        op.add_column(
            "checks", sa.Column("cpd_minutes", sa.Integer(), nullable=False, server_default="20")
        )
        op.create_check_constraint(op.f("ck_checks_cpd_minutes"), "checks", CPD_RANGE)
    op.add_column(
        "checks",
        sa.Column("participatory", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("passed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("check_title", sa.String(length=300), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("cpd_minutes", sa.Integer(), nullable=False),
        sa.Column("participatory", sa.Boolean(), nullable=False),
        sa.CheckConstraint(CPD_RANGE, name=op.f("ck_certificates_cpd_minutes")),
        sa.CheckConstraint(
            "expires_at > passed_at", name=op.f("ck_certificates_expires_after_pass")
        ),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_certificates_attempt_id_attempts"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_certificates_check_id_checks"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_certificates_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("attempt_id", name=op.f("uq_certificates_attempt_id")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
    )
    op.create_index(
        "ix_certificates_user_id_passed_at", "certificates", ["user_id", "passed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_certificates_user_id_passed_at", table_name="certificates")
    op.drop_table("certificates")
    # A column's own CHECK goes with it (SQLite allows dropping such a column).
    op.drop_column("checks", "participatory")
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_checks_cpd_minutes"), "checks", type_="check")
    op.drop_column("checks", "cpd_minutes")
