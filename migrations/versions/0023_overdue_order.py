"""Overdue order: the overdue list's sort keys on the requirement, in one index

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01

The overdue list is ordered by deadline, the person's name, the check's title and the
person. Whole assignments share a due date (a fixed date, or a date some days after the
same upload), so most overdue requirements tie on the deadline, and an index on the
deadline alone still leaves every one of them to sort by name. So:

- requirements.agency_id, person_name, check_title: copies of the person's agency and
  name and of the check's title, filled here from users and checks and kept in step
  by quizapp.workforce.deadlines with the stored deadline (0022).
- ix_requirements_overdue_order (agency_id, deadline_at, person_name, check_title,
  user_id): an agency's overdue requirements in the list's order; a page reads its 100
  entries (after those of the pages before it) and stops.

The columns are nullable: a requirement inserted by the ORM gets its copies at the end
of the same flush.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

BACKFILL = """
UPDATE requirements SET
    agency_id = (SELECT u.agency_id FROM users u WHERE u.id = requirements.user_id),
    person_name = (SELECT u.name FROM users u WHERE u.id = requirements.user_id),
    check_title = (SELECT c.title FROM checks c WHERE c.id = requirements.check_id)
"""

INDEX = "ix_requirements_overdue_order"


def upgrade() -> None:
    op.add_column("requirements", sa.Column("agency_id", sa.Integer(), nullable=True))
    op.add_column("requirements", sa.Column("person_name", sa.String(200), nullable=True))
    op.add_column("requirements", sa.Column("check_title", sa.String(300), nullable=True))
    op.execute(BACKFILL)
    op.create_index(
        INDEX,
        "requirements",
        ["agency_id", "deadline_at", "person_name", "check_title", "user_id"],
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="requirements")
    with op.batch_alter_table("requirements") as batch:
        batch.drop_column("check_title")
        batch.drop_column("person_name")
        batch.drop_column("agency_id")
