"""Dashboards at scale: status counts and attempt marks kept in step with the writes, indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

- status_counts: per agency, team, level and check, people required and each status at
  status_counts_clock.as_of (quizapp.workforce.tally keeps them in step). Created empty
  with no clock: the first change to people or passes builds them, or run
  `flask dashboards refresh` after upgrading (docs/operations.md).
- attempt_marks: each submitted attempt's marks per finding and in total (finding_key
  ''), written when it is submitted; filled here for the attempts already submitted,
  by the same aggregate as quizapp.statistics.attempt_marks.
- year_counts: per agency, team, level, check and reporting year, what the yearly report
  shows (people, marks, wrong answers, first attempts, people passing), kept in step
  like status_counts and built with it.
- Indexes the dashboards use: passes by expiry date and requirements by due date (what
  changed since the clock), attempts by submission time (period filters), people by team.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


#: quizapp.statistics.items.WRONG_FRACTION when this migration was written.
WRONG_FRACTION = 0.00000005

BACKFILL = """
INSERT INTO attempt_marks (attempt_id, finding_key, bank_key, user_id, check_id,
    submitted_at, reporting_year, marks, points, wrong, confidently_wrong)
SELECT r.attempt_id, {finding_key}, b.key, a.user_id, a.check_id, a.submitted_at, {year},
    COALESCE(SUM(r.mark), 0.0), COALESCE(SUM(q.points), 0),
    SUM(CASE WHEN r.fraction <= :wrong THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.fraction <= :wrong AND r.certainty = 3 THEN 1 ELSE 0 END)
FROM responses r
JOIN attempts a ON a.id = r.attempt_id
JOIN questions q ON q.id = r.question_id
JOIN bank_versions v ON v.id = q.version_id
JOIN banks b ON b.id = v.bank_id
{finding_join}
WHERE a.submitted_at IS NOT NULL AND r.fraction IS NOT NULL AND q.points > 0
GROUP BY r.attempt_id, {finding_group}b.key, a.user_id, a.check_id, a.submitted_at
"""


def _year_case(dialect: str) -> str:
    """The reporting year (1 April, UK time) of a.submitted_at, as SQL: 2000 to 2100.
    SQLite holds naive UTC text; PostgreSQL is told the offset."""
    offset = "+00" if dialect == "postgresql" else ""
    starts = [
        (year, datetime(year, 4, 1, tzinfo=ZoneInfo("Europe/London")).astimezone(UTC))
        for year in range(2100, 2000, -1)
    ]
    whens = " ".join(
        f"WHEN a.submitted_at >= '{start:%Y-%m-%d %H:%M:%S}{offset}' THEN {year}"
        for year, start in starts
    )
    return f"CASE {whens} ELSE 2000 END"


def backfill(dialect: str) -> list[sa.TextClause]:
    """The two statements filling attempt_marks: per finding, then per whole attempt."""
    joins = (
        "JOIN question_findings qf ON qf.question_id = q.id JOIN findings f ON f.id = qf.finding_id"
    )
    return [
        sa.text(
            BACKFILL.format(
                finding_key=key, finding_join=join, finding_group=group, year=_year_case(dialect)
            )
        ).bindparams(wrong=WRONG_FRACTION)
        for key, join, group in (("f.key", joins, "f.key, "), ("''", "", ""))
    ]


def upgrade() -> None:
    op.create_table(
        "attempt_marks",
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("finding_key", sa.String(length=100), nullable=False),
        sa.Column("bank_key", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reporting_year", sa.Integer(), nullable=False),
        sa.Column("marks", sa.Double(), nullable=False),
        sa.Column("points", sa.Double(), nullable=False),
        sa.Column("wrong", sa.Integer(), nullable=False),
        sa.Column("confidently_wrong", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["attempts.id"],
            name=op.f("fk_attempt_marks_attempt_id_attempts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_attempt_marks_check_id_checks"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_attempt_marks_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("attempt_id", "finding_key", name=op.f("pk_attempt_marks")),
    )
    op.create_index("ix_attempt_marks_submitted_at", "attempt_marks", ["submitted_at"])
    op.create_index(
        "ix_attempt_marks_check_id_submitted_at", "attempt_marks", ["check_id", "submitted_at"]
    )
    op.create_index(
        "ix_attempt_marks_user_id_submitted_at", "attempt_marks", ["user_id", "submitted_at"]
    )
    for statement in backfill(op.get_bind().dialect.name):
        op.execute(statement)
    op.create_table(
        "status_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("team_key", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=50), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("required", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Integer(), nullable=False),
        sa.Column("expiring", sa.Integer(), nullable=False),
        sa.Column("due", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "required = complete + expiring + due + overdue",
            name=op.f("ck_status_counts_adds_up"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_status_counts_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_status_counts_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_counts")),
        sa.UniqueConstraint(
            "agency_id",
            "team_key",
            "level",
            "check_id",
            name=op.f("uq_status_counts_agency_id_team_key_level_check_id"),
        ),
    )
    op.create_index(op.f("ix_status_counts_check_id"), "status_counts", ["check_id"])
    op.create_table(
        "year_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("team_key", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=50), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("reporting_year", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("marks", sa.Double(), nullable=False),
        sa.Column("points", sa.Double(), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "wrong",
                "confidently_wrong",
                "wrong_people",
                "first_attempts",
                "first_passed",
                "people_passing",
            )
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_year_counts_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f("fk_year_counts_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_year_counts")),
        sa.UniqueConstraint(
            "agency_id",
            "team_key",
            "level",
            "check_id",
            "reporting_year",
            name=op.f("uq_year_counts_agency_id_team_key_level_check_id_reporting_year"),
        ),
    )
    op.create_index(op.f("ix_year_counts_check_id"), "year_counts", ["check_id"])
    op.create_table(
        "status_counts_clock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_status_counts_clock_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_counts_clock")),
    )
    op.create_index(op.f("ix_completions_expires_at"), "completions", ["expires_at"])
    op.create_index(op.f("ix_requirements_due_at"), "requirements", ["due_at"])
    op.create_index("ix_attempts_submitted_at", "attempts", ["submitted_at"])
    # Replaces the index on check_id alone, which it also serves.
    op.create_index("ix_attempts_check_id_submitted_at", "attempts", ["check_id", "submitted_at"])
    op.drop_index("ix_attempts_check_id", table_name="attempts")
    op.create_index(op.f("ix_users_team_id"), "users", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_attempt_marks_user_id_submitted_at", table_name="attempt_marks")
    op.drop_index("ix_attempt_marks_check_id_submitted_at", table_name="attempt_marks")
    op.drop_index("ix_attempt_marks_submitted_at", table_name="attempt_marks")
    op.drop_table("attempt_marks")
    op.drop_index(op.f("ix_users_team_id"), table_name="users")
    op.create_index("ix_attempts_check_id", "attempts", ["check_id"])
    op.drop_index("ix_attempts_check_id_submitted_at", table_name="attempts")
    op.drop_index("ix_attempts_submitted_at", table_name="attempts")
    op.drop_index(op.f("ix_requirements_due_at"), table_name="requirements")
    op.drop_index(op.f("ix_completions_expires_at"), table_name="completions")
    op.drop_table("status_counts_clock")
    op.drop_index(op.f("ix_year_counts_check_id"), table_name="year_counts")
    op.drop_table("year_counts")
    op.drop_index(op.f("ix_status_counts_check_id"), table_name="status_counts")
    op.drop_table("status_counts")
