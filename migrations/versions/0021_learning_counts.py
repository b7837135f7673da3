"""Yearly learning counts: the learning cube's figures per finding, per question and for
whole attempts, summarised per reporting year

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01

- finding_year_counts: per agency, team, level, check, reporting year and finding (bank
  key, finding key), from the attempts' marks per finding (attempt_marks rows other than
  the whole attempt's): people, marks gained and available, wrong answers, those given
  "very sure", and people giving any wrong answer, any "very sure" and any not.
- question_year_counts: the same per question (bank key, question key), from the scored
  responses (a fraction, a question worth points) of the attempts with marks.
- year_counts gains sure_people and unsure_people, so the whole-attempt figures come
  from it too.

Kept in step with the writes by quizapp.workforce.tally like year_counts. Filled here by
INSERT ... SELECT (and an UPDATE of year_counts' rows) when the summaries have been built
(a status_counts_clock row); otherwise they are built with the others by the first
change or `flask dashboards refresh`.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

#: quizapp.statistics.items.WRONG_FRACTION when this migration was written.
WRONG_FRACTION = 0.00000005

COUNTS = ("wrong", "confidently_wrong", "wrong_people", "sure_people", "unsure_people")

PLACE = "u.agency_id, COALESCE(u.team_id, 0), COALESCE(u.level, ''), m.check_id, m.reporting_year"

FINDINGS = f"""
INSERT INTO finding_year_counts (agency_id, team_key, level, check_id, reporting_year,
    bank_key, finding_key, people, marks, points, wrong, confidently_wrong,
    wrong_people, sure_people, unsure_people)
SELECT {PLACE}, m.bank_key, m.finding_key,
    COUNT(DISTINCT m.user_id), SUM(m.marks), SUM(m.points), SUM(m.wrong),
    SUM(m.confidently_wrong),
    COUNT(DISTINCT CASE WHEN m.wrong > 0 THEN m.user_id END),
    COUNT(DISTINCT CASE WHEN m.confidently_wrong > 0 THEN m.user_id END),
    COUNT(DISTINCT CASE WHEN m.wrong > m.confidently_wrong THEN m.user_id END)
FROM attempt_marks m
JOIN users u ON u.id = m.user_id
WHERE u.agency_id IS NOT NULL AND m.finding_key != ''
    AND EXISTS (SELECT 1 FROM status_counts_clock)
GROUP BY {PLACE}, m.bank_key, m.finding_key
"""

WRONG = f"r.fraction <= {WRONG_FRACTION!r}"

QUESTIONS = f"""
INSERT INTO question_year_counts (agency_id, team_key, level, check_id, reporting_year,
    bank_key, question_key, people, marks, points, wrong, confidently_wrong,
    wrong_people, sure_people, unsure_people)
SELECT {PLACE}, b.key, q.key,
    COUNT(DISTINCT m.user_id), COALESCE(SUM(r.mark), 0.0), SUM(q.points),
    SUM(CASE WHEN {WRONG} THEN 1 ELSE 0 END),
    SUM(CASE WHEN {WRONG} AND r.certainty = 3 THEN 1 ELSE 0 END),
    COUNT(DISTINCT CASE WHEN {WRONG} THEN m.user_id END),
    COUNT(DISTINCT CASE WHEN {WRONG} AND r.certainty = 3 THEN m.user_id END),
    COUNT(DISTINCT CASE WHEN {WRONG} AND COALESCE(r.certainty, 0) != 3 THEN m.user_id END)
FROM attempt_marks m
JOIN users u ON u.id = m.user_id
JOIN responses r ON r.attempt_id = m.attempt_id
JOIN questions q ON q.id = r.question_id
JOIN bank_versions v ON v.id = q.version_id
JOIN banks b ON b.id = v.bank_id
WHERE u.agency_id IS NOT NULL AND m.finding_key = ''
    AND r.fraction IS NOT NULL AND q.points > 0
    AND EXISTS (SELECT 1 FROM status_counts_clock)
GROUP BY {PLACE}, b.key, q.key
"""

# Both databases take UPDATE ... FROM (SQLite since 3.33). Only rows that exist are
# updated: year_counts is empty when the summaries were never built.
WHOLE = f"""
UPDATE year_counts SET sure_people = s.sure_people, unsure_people = s.unsure_people
FROM (
    SELECT u.agency_id AS agency_id, COALESCE(u.team_id, 0) AS team_key,
        COALESCE(u.level, '') AS level, m.check_id AS check_id,
        m.reporting_year AS reporting_year,
        COUNT(DISTINCT CASE WHEN m.confidently_wrong > 0 THEN m.user_id END) AS sure_people,
        COUNT(DISTINCT CASE WHEN m.wrong > m.confidently_wrong THEN m.user_id END)
            AS unsure_people
    FROM attempt_marks m
    JOIN users u ON u.id = m.user_id
    WHERE u.agency_id IS NOT NULL AND m.finding_key = ''
    GROUP BY {PLACE}
) AS s
WHERE year_counts.agency_id = s.agency_id AND year_counts.team_key = s.team_key
    AND year_counts.level = s.level AND year_counts.check_id = s.check_id
    AND year_counts.reporting_year = s.reporting_year
"""


def _learning_table(name: str, item: str) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("team_key", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=50), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("reporting_year", sa.Integer(), nullable=False),
        sa.Column("bank_key", sa.String(length=100), nullable=False),
        sa.Column(item, sa.String(length=100), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("marks", sa.Double(), nullable=False),
        sa.Column("points", sa.Double(), nullable=False),
        *(sa.Column(count, sa.Integer(), nullable=False) for count in COUNTS),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f(f"fk_{name}_agency_id_agencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["checks.id"],
            name=op.f(f"fk_{name}_check_id_checks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint(
            "agency_id",
            "team_key",
            "level",
            "check_id",
            "reporting_year",
            "bank_key",
            item,
            name=op.f(f"uq_{name}_key"),
        ),
    )
    op.create_index(f"ix_{name}_check_id_reporting_year", name, ["check_id", "reporting_year"])


def upgrade() -> None:
    for column in ("sure_people", "unsure_people"):
        op.add_column(
            "year_counts",
            sa.Column(column, sa.Integer(), nullable=False, server_default=sa.text("0")),
        )
    _learning_table("finding_year_counts", "finding_key")
    _learning_table("question_year_counts", "question_key")
    op.execute(sa.text(WHOLE))
    op.execute(sa.text(FINDINGS))
    op.execute(sa.text(QUESTIONS))


def downgrade() -> None:
    for name in ("question_year_counts", "finding_year_counts"):
        op.drop_index(f"ix_{name}_check_id_reporting_year", table_name=name)
        op.drop_table(name)
    with op.batch_alter_table("year_counts") as batch:
        batch.drop_column("unsure_people")
        batch.drop_column("sure_people")
