"""Authoring safety: what a draft was based on, two-person publishing

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30

- bank_versions.based_on: the published version number a draft started from (or was last
  brought up to date with), so the draft page can compare three ways when a newer version
  is published before it. NULL for versions made before this migration and for a bank's
  first draft.
- bank_versions.approved_by_id / approved_at: the second author who approved a draft
  (no ON DELETE: SQLite cannot add a column with one that SQLAlchemy reflects; people are
  anonymised, never deleted).
- banks.two_person: publishing this bank needs a second author's approval.

Columns are added with ALTER TABLE on both databases: rebuilding bank_versions on SQLite
would drop its immutability triggers (migration 0005).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    sqlite = op.get_context().dialect.name == "sqlite"
    op.add_column("bank_versions", sa.Column("based_on", sa.Integer(), nullable=True))
    op.add_column(
        "bank_versions", sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True)
    )
    if sqlite:
        op.execute(
            "ALTER TABLE bank_versions ADD COLUMN approved_by_id INTEGER"
            " CONSTRAINT fk_bank_versions_approved_by_id_users"
            " REFERENCES users (id)"
        )
    else:
        op.add_column("bank_versions", sa.Column("approved_by_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_bank_versions_approved_by_id_users"),
            "bank_versions",
            "users",
            ["approved_by_id"],
            ["id"],
        )
    op.add_column(
        "banks",
        sa.Column("two_person", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade():
    op.drop_column("banks", "two_person")
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint(
            op.f("fk_bank_versions_approved_by_id_users"), "bank_versions", type_="foreignkey"
        )
    op.drop_column("bank_versions", "approved_by_id")
    op.drop_column("bank_versions", "approved_at")
    op.drop_column("bank_versions", "based_on")
