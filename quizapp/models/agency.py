"""Agencies of the partnership and their teams."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, one_of, utcnow

if TYPE_CHECKING:
    from .user import User

SECTORS = (
    "local-authority",
    "police",
    "health",
    "education",
    "probation",
    "housing",
    "voluntary",
    "other",
)

SECTOR_LABELS = {
    "local-authority": "Local authority",
    "police": "Police",
    "health": "Health",
    "education": "Education",
    "probation": "Probation",
    "housing": "Housing",
    "voluntary": "Voluntary sector",
    "other": "Other",
}


class Agency(db.Model):
    __tablename__ = "agencies"
    __table_args__ = (sa.CheckConstraint(one_of("sector", SECTORS), name="sector"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Name as the partnership knows it, e.g. "West Midlands Police".
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    #: One of SECTORS.
    sector: Mapped[str] = mapped_column(sa.String(30))
    #: Local authority, ICB and police are the three statutory partners.
    statutory_partner: Mapped[bool] = mapped_column(default=False)
    #: Email people when an assignment first requires a check of them.
    assignment_emails: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    #: Its people sign in only through single sign-on (quizapp.sso), never with a password.
    sso_required: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: Reminder emails (`flask reminders send`), each kind on or off for the agency:
    #: a check due within 14 days,
    reminder_due_soon: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    #: a pass expiring within 30 days,
    reminder_expiring: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    #: a check overdue (weekly),
    reminder_overdue: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    #: and the weekly digest of overdue checks to the agency's leads and team managers.
    reminder_digest: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    teams: Mapped[list[Team]] = relationship(
        back_populates="agency", order_by="Team.name", cascade="all, delete-orphan"
    )
    email_domains: Mapped[list[AgencyEmailDomain]] = relationship(
        back_populates="agency", order_by="AgencyEmailDomain.domain", cascade="all, delete-orphan"
    )
    people: Mapped[list[User]] = relationship(back_populates="agency")

    @property
    def sector_label(self) -> str:
        return SECTOR_LABELS[self.sector]

    def __repr__(self) -> str:
        return f"<Agency {self.name!r}>"


class Team(db.Model):
    __tablename__ = "teams"
    __table_args__ = (sa.UniqueConstraint("agency_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"))
    #: Team name, unique within its agency.
    name: Mapped[str] = mapped_column(sa.String(200))

    agency: Mapped[Agency] = relationship(back_populates="teams")


class AgencyEmailDomain(db.Model):
    """People registering with an address at this domain join the agency."""

    __tablename__ = "agency_email_domains"
    __table_args__ = (sa.CheckConstraint("domain = lower(domain)", name="domain_lower_case"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id", ondelete="CASCADE"))
    #: e.g. "nhs.net" is too broad for one agency; "swbh.nhs.uk" is right. Lower case.
    domain: Mapped[str] = mapped_column(sa.String(253), unique=True)

    agency: Mapped[Agency] = relationship(back_populates="email_domains")
