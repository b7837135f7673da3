"""People who use the service and the roles they hold."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .agency import Agency, Team
from .types import UTCDateTime, one_of, utcnow


class Role(StrEnum):
    PRACTITIONER = "practitioner"
    AUTHOR = "author"
    LEAD = "lead"
    ADMIN = "admin"


def normalise_email(email: str) -> str:
    """Emails are compared case-insensitively; we store them lower-cased."""
    return email.strip().lower()


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def hash_password(password: str) -> str:
    """scrypt, salted: deliberately slow, so that stolen hashes are slow to guess."""
    return generate_password_hash(password, method="scrypt")


#: The teams a person manages: they see those teams' people by name (quizapp.managers).
team_managers = sa.Table(
    "team_managers",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "team_id", sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
        sa.CheckConstraint("length(name) > 0", name="name_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Work email, lower-cased, unique: people sign in with it.
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: scrypt hash; None until the person sets a password (e.g. invited).
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    #: Stands for the user in the session cookie; changing it signs out every session.
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=new_session_token
    )
    agency_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agencies.id", ondelete="RESTRICT"), index=True
    )
    team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    #: Job role in the person's own words, e.g. "Health visitor".
    job_role: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Competency level, e.g. "Level 3" (Intercollegiate) or "DSL".
    level: Mapped[str | None] = mapped_column(sa.String(50))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the person proved they own the email address (registration, invitation).
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Set when the person leaves their agency: history is kept, but they drop out of
    #: every denominator and can no longer sign in.
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agency: Mapped[Agency | None] = relationship(back_populates="people")
    team: Mapped[Team | None] = relationship()
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    #: Teams this person manages. Only their own agency's count (admin.person_teams offers
    #: no others; quizapp.managers and the digest ignore any others).
    managed_teams: Mapped[list[Team]] = relationship(secondary=team_managers, order_by="Team.name")

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(row.role) for row in self.role_rows)

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def is_partnership_lead(self) -> bool:
        """A lead for the whole partnership (no agency): sees aggregates across agencies."""
        return self.has_role(Role.LEAD) and self.agency_id is None

    @property
    def is_agency_lead(self) -> bool:
        """A lead for one agency: sees that agency's people by name."""
        return self.has_role(Role.LEAD) and self.agency_id is not None

    @property
    def is_team_manager(self) -> bool:
        """Manages at least one team: sees its people's named status (quizapp.managers)."""
        return any(team.agency_id == self.agency_id for team in self.managed_teams)

    def grant(self, role: Role) -> None:
        if role not in self.roles:
            self.role_rows.append(UserRole(role=role.value))

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        return self.password_hash is not None and check_password_hash(self.password_hash, password)

    def get_id(self) -> str:
        return self.session_token

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active and self.left_at is None

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class UserRole(db.Model):
    __tablename__ = "user_roles"
    __table_args__ = (sa.CheckConstraint(one_of("role", tuple(Role)), name="role"),)

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    #: One of Role; a person may hold several.
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
