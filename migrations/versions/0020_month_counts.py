"""Monthly counts: the completion pages' first attempts and people passing per month

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01

- month_counts: per agency, team, level, check and calendar month (UK time, as year * 100
  + month), first attempts submitted that month, passes among them, and people passing
  the check that month; kept in step with the writes by quizapp.workforce.tally like
  year_counts. Filled here by one INSERT ... SELECT from attempt_marks when the
  summaries have been built (a status_counts_clock row); otherwise they are built with
  the others by the first change or `flask dashboards refresh`.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

#: quizapp.models.tally.london_month when this migration was written.
MONTH = {
    "postgresql": "CAST(to_char(m.submitted_at AT TIME ZONE 'Europe/London', 'YYYYMM') AS INTEGER)",
    "sqlite": (
        "CASE WHEN CAST(strftime('%Y%m', substr(m.submitted_at, 1, 19), '+1 hour') AS INTEGER)"
        " % 100 BETWEEN 4 AND 10"
        " THEN CAST(strftime('%Y%m', substr(m.submitted_at, 1, 19), '+1 hour') AS INTEGER)"
        " ELSE CAST(strftime('%Y%m', substr(m.submitted_at, 1, 19)) AS INTEGER) END"
    ),
}

BACKFILL = """
INSERT INTO month_counts (agency_id, team_key, level, check_id, month,
    first_attempts, first_passed, people_passing)
SELECT u.agency_id, COALESCE(u.team_id, 0), COALESCE(u.level, ''), m.check_id, {month},
    SUM(CASE WHEN a.number = 1 THEN 1 ELSE 0 END),
    SUM(CASE WHEN a.number = 1 AND a.passed IS TRUE THEN 1 ELSE 0 END),
    COUNT(DISTINCT CASE WHEN a.passed IS TRUE THEN m.user_id END)
FROM attempt_marks m
JOIN attempts a ON a.id = m.attempt_id
JOIN users u ON u.id = m.user_id
WHERE u.agency_id IS NOT NULL AND m.finding_key = ''
    AND EXISTS (SELECT 1 FROM status_counts_clock)
GROUP BY u.agency_id, COALESCE(u.team_id, 0), COALESCE(u.level, ''), m.check_id, {month}
"""


def upgrade() -> None:
    op.create_table(
        "month_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("team_key", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=50), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("first_attempts", sa.Integer(), nullable=False),
        sa.Column("first_passed", sa.Integer(), nullable=False),
        sa.Column("people_passing", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_month_counts_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_month_counts_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_month_counts")),
        sa.UniqueConstraint(
            "agency_id",
            "team_key",
            "level",
            "check_id",
            "month",
            name=op.f("uq_month_counts_agency_id_team_key_level_check_id_month"),
        ),
    )
    op.create_index("ix_month_counts_check_id_month", "month_counts", ["check_id", "month"])
    op.execute(sa.text(BACKFILL.format(month=MONTH[op.get_bind().dialect.name])))


def downgrade() -> None:
    op.drop_index("ix_month_counts_check_id_month", table_name="month_counts")
    op.drop_table("month_counts")
