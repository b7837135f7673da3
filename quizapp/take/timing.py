"""How long a check takes: the median time from starting an attempt to submitting it,
over the check's latest submitted attempts, or a stated estimate while there are too few.

The median, not the mean: people who stop and come back the next day would pull a mean
far from what a sitting takes, but they move the median little."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..models import Attempt, BankVersion, Check

#: Fewer submitted attempts than this and the stated estimate is used instead.
MIN_ATTEMPTS = 10
#: The median is taken over at most this many of the check's latest submitted attempts.
LATEST = 500
#: The stated estimate: minutes per question (reading each part's story included).
MINUTES_PER_QUESTION = 1.0


@dataclass(frozen=True)
class TimeEstimate:
    #: Rounded as said: to the minute under 10, to 5 minutes under an hour, then to 15.
    minutes: int
    #: How many submitted attempts the median is of; 0 for the stated estimate.
    attempts: int

    @property
    def text(self) -> str:
        """ "about 15 minutes", "about 1 hour 15 minutes"."""
        return f"about {duration_text(self.minutes)}"


def _half_up(value: float) -> int:
    return math.floor(value + 0.5)


def rounded_minutes(minutes: float) -> int:
    if minutes < 10:
        return max(1, _half_up(minutes))
    if minutes < 60:
        return 5 * _half_up(minutes / 5)
    return 15 * _half_up(minutes / 15)


def duration_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def estimate_for(check: Check, version: BankVersion) -> TimeEstimate:
    """From the check's latest submitted attempts (every version of its bank), or
    MINUTES_PER_QUESTION for each question of `version` while there are too few."""
    rows = db.session.execute(
        sa.select(Attempt.started_at, Attempt.submitted_at)
        .where(Attempt.check_id == check.id, Attempt.submitted_at.is_not(None))
        .order_by(Attempt.submitted_at.desc())
        .limit(LATEST)
    ).all()
    if len(rows) >= MIN_ATTEMPTS:
        median = statistics.median(
            max(0.0, (submitted - started).total_seconds()) for started, submitted in rows
        )
        return TimeEstimate(rounded_minutes(median / 60), len(rows))
    return TimeEstimate(rounded_minutes(len(version.questions) * MINUTES_PER_QUESTION), 0)
