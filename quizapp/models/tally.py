"""Completion status counts per group and check: the summary the dashboards read.

One row per agency, team, level and check holds how many current people are required to
take the check and how many of them were complete, expiring soon, due and overdue at
the moment `StatusCountsClock.as_of`. quizapp.workforce.tally keeps the rows in step
with every change to people, requirements and passes, in the same transaction; the
dashboards add what the clock moving on since `as_of` changed (a few rows whose dates
fall in between), so a page reads hundreds of rows, not millions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime

#: team_key of people in no team (team ids start at 1).
NO_TEAM_KEY = 0
#: level of people with no level.
NO_LEVEL = ""
#: The counted columns, in order.
COUNTS = ("required", "complete", "expiring", "due", "overdue")


class _Group:
    """Where the people counted are: agency, team and competency level; and the check."""

    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"))
    #: The team's id, or NO_TEAM_KEY. Not a foreign key: a removed team's rows are zeros
    #: (only people who have left can be in a team when it is removed).
    team_key: Mapped[int] = mapped_column(default=NO_TEAM_KEY)
    level: Mapped[str] = mapped_column(sa.String(50), default=NO_LEVEL)
    check_id: Mapped[int] = mapped_column(
        sa.ForeignKey("checks.id", ondelete="CASCADE"), index=True
    )


class StatusCount(_Group, db.Model):
    __tablename__ = "status_counts"
    __table_args__ = (
        sa.UniqueConstraint("agency_id", "team_key", "level", "check_id"),
        sa.CheckConstraint("required = complete + expiring + due + overdue", name="adds_up"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    required: Mapped[int] = mapped_column(default=0)
    complete: Mapped[int] = mapped_column(default=0)
    expiring: Mapped[int] = mapped_column(default=0)
    due: Mapped[int] = mapped_column(default=0)
    overdue: Mapped[int] = mapped_column(default=0)


class StatusCountsClock(db.Model):
    """The single row saying when the counts' statuses were taken. Absent until the
    counts are first built (by the first change to people or passes, or
    `flask dashboards refresh`)."""

    __tablename__ = "status_counts_clock"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)


#: finding_key of an attempt's row for all its scored questions.
WHOLE_ATTEMPT = ""


class AttemptMarks(db.Model):
    """Marks of one submitted attempt, per finding its questions test and in total
    (finding_key WHOLE_ATTEMPT): written in the transaction that submits the attempt,
    from its responses, and never changed, like the attempt. The learning dashboards
    read these instead of every response: a row per finding rather than per question,
    with no joins to questions, findings and banks."""

    __tablename__ = "attempt_marks"
    __table_args__ = (
        sa.Index("ix_attempt_marks_submitted_at", "submitted_at"),
        sa.Index("ix_attempt_marks_check_id_submitted_at", "check_id", "submitted_at"),
        # An agency's figures start from its people.
        sa.Index("ix_attempt_marks_user_id_submitted_at", "user_id", "submitted_at"),
    )

    attempt_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attempts.id", ondelete="CASCADE"), primary_key=True
    )
    finding_key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    bank_key: Mapped[str] = mapped_column(sa.String(100))
    #: The attempt's person, check and submission time, copied so a page needs no join.
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="RESTRICT"))
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("checks.id", ondelete="RESTRICT"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: The reporting year (April to March, UK time) of submitted_at.
    reporting_year: Mapped[int]
    #: Marks gained and available on the scored questions (the finding's, or all).
    marks: Mapped[float]
    points: Mapped[float]
    #: Wrong answers (a fraction of 0), and of them those given "very sure".
    wrong: Mapped[int]
    confidently_wrong: Mapped[int]


#: What YearCount adds up, in order.
YEAR_COUNTS = (
    "people",
    "marks",
    "points",
    "wrong",
    "confidently_wrong",
    "wrong_people",
    "first_attempts",
    "first_passed",
    "people_passing",
    "sure_people",
    "unsure_people",
)


class YearCount(_Group, db.Model):
    """Per agency, team, level, check and reporting year, what the yearly report shows of
    the attempts submitted that year, counted where each person is now (as the report
    is). Kept in step by quizapp.workforce.tally like StatusCount. People are counted
    once per row; every person is in exactly one agency, team and level, so the rows of a
    year add up to the year's distinct people."""

    __tablename__ = "year_counts"
    __table_args__ = (
        sa.UniqueConstraint("agency_id", "team_key", "level", "check_id", "reporting_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The April-to-March year, named by its first calendar year.
    reporting_year: Mapped[int]
    #: People with a submitted attempt; marks gained and available over those attempts;
    #: wrong answers, those given very sure, and people giving any wrong answer.
    people: Mapped[int] = mapped_column(default=0)
    marks: Mapped[float] = mapped_column(default=0.0)
    points: Mapped[float] = mapped_column(default=0.0)
    wrong: Mapped[int] = mapped_column(default=0)
    confidently_wrong: Mapped[int] = mapped_column(default=0)
    wrong_people: Mapped[int] = mapped_column(default=0)
    #: First attempts (one per person and check, ever) submitted this year, and passed.
    first_attempts: Mapped[int] = mapped_column(default=0)
    first_passed: Mapped[int] = mapped_column(default=0)
    #: People passing the check this year.
    people_passing: Mapped[int] = mapped_column(default=0)
    #: People giving any wrong answer "very sure", and any not "very sure" (migration
    #: 0021): the learning cube's whole-attempt figures.
    sure_people: Mapped[int] = mapped_column(default=0)
    unsure_people: Mapped[int] = mapped_column(default=0)


#: What the yearly learning counts (FindingYearCount, QuestionYearCount) add up, in
#: order: quizapp.dashboards.queries.MarkSums.
LEARNING_COUNTS = (
    "people",
    "marks",
    "points",
    "wrong",
    "confidently_wrong",
    "wrong_people",
    "sure_people",
    "unsure_people",
)


class _LearningCounts(_Group):
    """Per agency, team, level, check and reporting year, and an item of a bank (a finding
    or a question, matched across the bank's versions by key), the learning cube's figures
    of the attempts submitted that year, counted where each person is now like YearCount.
    Every "people" count is of distinct people in the row, so rows of different places
    add up to distinct people; rows of different checks or items don't (a person can be
    in both)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Indexed with the reporting year (the table's check_id index), not alone.
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("checks.id", ondelete="CASCADE"))
    #: The April-to-March year, named by its first calendar year.
    reporting_year: Mapped[int]
    bank_key: Mapped[str] = mapped_column(sa.String(100))
    #: People answering the item; marks gained and available; wrong answers and those
    #: given "very sure"; people giving any wrong answer, any "very sure" and any not.
    people: Mapped[int] = mapped_column(default=0)
    marks: Mapped[float] = mapped_column(default=0.0)
    points: Mapped[float] = mapped_column(default=0.0)
    wrong: Mapped[int] = mapped_column(default=0)
    confidently_wrong: Mapped[int] = mapped_column(default=0)
    wrong_people: Mapped[int] = mapped_column(default=0)
    sure_people: Mapped[int] = mapped_column(default=0)
    unsure_people: Mapped[int] = mapped_column(default=0)


class FindingYearCount(_LearningCounts, db.Model):
    """Per finding: from the attempts' marks per finding (AttemptMarks rows other than
    WHOLE_ATTEMPT), as the learning cube's finding items count them."""

    __tablename__ = "finding_year_counts"
    __table_args__ = (
        sa.UniqueConstraint(
            "agency_id",
            "team_key",
            "level",
            "check_id",
            "reporting_year",
            "bank_key",
            "finding_key",
            # Named: the convention's name would pass PostgreSQL's 63 characters.
            name="uq_finding_year_counts_key",
        ),
        # The partnership's learning for one check and year.
        sa.Index("ix_finding_year_counts_check_id_reporting_year", "check_id", "reporting_year"),
    )

    finding_key: Mapped[str] = mapped_column(sa.String(100))


class QuestionYearCount(_LearningCounts, db.Model):
    """Per question: from the scored responses (a fraction, a question worth points), as
    the learning cube's question items count them."""

    __tablename__ = "question_year_counts"
    __table_args__ = (
        sa.UniqueConstraint(
            "agency_id",
            "team_key",
            "level",
            "check_id",
            "reporting_year",
            "bank_key",
            "question_key",
            # Named: the convention's name would pass PostgreSQL's 63 characters.
            name="uq_question_year_counts_key",
        ),
        sa.Index("ix_question_year_counts_check_id_reporting_year", "check_id", "reporting_year"),
    )

    question_key: Mapped[str] = mapped_column(sa.String(100))


#: What MonthCount adds up, in order.
MONTH_COUNTS = ("first_attempts", "first_passed", "people_passing")


class MonthCount(_Group, db.Model):
    """Per agency, team, level, check and calendar month (UK time), the completion pages'
    figures of the attempts submitted that month, counted where each person is now, like
    YearCount and kept in step with it (quizapp.workforce.tally). People passing are
    counted once per row, so the rows of one month add up to the month's distinct people
    passing the check; months can't be added up to distinct people over several months
    (a person passing in two months is in both)."""

    __tablename__ = "month_counts"
    __table_args__ = (
        sa.UniqueConstraint("agency_id", "team_key", "level", "check_id", "month"),
        # The partnership's trend for one check: its rows of the period's months.
        sa.Index("ix_month_counts_check_id_month", "check_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Indexed with the month (ix_month_counts_check_id_month), not alone.
    check_id: Mapped[int] = mapped_column(sa.ForeignKey("checks.id", ondelete="CASCADE"))
    #: The month as year * 100 + month, in UK time: 202604 is April 2026.
    month: Mapped[int]
    #: First attempts (one per person and check, ever) submitted this month, and passed.
    first_attempts: Mapped[int] = mapped_column(default=0)
    first_passed: Mapped[int] = mapped_column(default=0)
    #: People passing the check this month.
    people_passing: Mapped[int] = mapped_column(default=0)


class london_month(sa.sql.functions.GenericFunction[int]):
    """SQL for the calendar month in UK time (year * 100 + month) of a UTC timestamp.
    PostgreSQL converts with its time zone database. SQLite, which has none, holds naive
    UTC text: a month starts at midnight UK time, which is 23:00 UTC the day before when
    British Summer Time is in force on the 1st (April to October) and 00:00 UTC
    otherwise, so the month is that of the instant an hour later when that month is
    April to October, and the instant's own month otherwise (tests compare every month
    boundary with Python's zoneinfo). Rules of 1996 onwards, as the EU's; were the UK to
    change them, this and the rows built with it would need changing too."""

    type = sa.Integer()
    inherit_cache = True


@compiles(london_month, "postgresql")
def _london_month_postgresql(element: london_month, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"CAST(to_char(({column}) AT TIME ZONE 'Europe/London', 'YYYYMM') AS INTEGER)"


@compiles(london_month)
def _london_month_sqlite(element: london_month, compiler: Any, **kw: Any) -> str:
    # Whole seconds: SQLite rounds fractions to milliseconds, which could cross midnight.
    column = f"substr({compiler.process(element.clauses, **kw)}, 1, 19)"
    later = f"CAST(strftime('%Y%m', {column}, '+1 hour') AS INTEGER)"
    return (
        f"CASE WHEN {later} % 100 BETWEEN 4 AND 10 THEN {later}"
        f" ELSE CAST(strftime('%Y%m', {column}) AS INTEGER) END"
    )
