"""Team managers: a person may manage one or more teams

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30

- team_managers: (user, team) pairs. A manager sees their teams' people by name (status,
  dates, CSV) and gets the weekly digest of their overdue checks; nothing else follows.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "team_managers",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_managers_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_team_managers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "team_id", name=op.f("pk_team_managers")),
    )
    op.create_index(op.f("ix_team_managers_team_id"), "team_managers", ["team_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_team_managers_team_id"), table_name="team_managers")
    op.drop_table("team_managers")
