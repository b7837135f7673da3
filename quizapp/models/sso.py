"""Single sign-on providers (OpenID Connect) set up by an administrator.

Providers may also come from the environment (QUIZAPP_SSO_PROVIDERS); those are not
stored here and are read-only in the admin pages (quizapp.sso.providers).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .agency import Agency

#: Letters, digits and single hyphens: the provider's part of its sign-in address.
SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class SsoProvider(db.Model):
    __tablename__ = "sso_providers"
    __table_args__ = (
        sa.CheckConstraint("slug = lower(slug)", name="slug_lower_case"),
        sa.CheckConstraint("length(slug) > 0", name="slug_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: In the sign-in address, /sign-in/sso/<slug>; lower case letters, digits, hyphens.
    slug: Mapped[str] = mapped_column(sa.String(50), unique=True)
    #: Shown on the button: "Sign in with West Midlands Police account".
    name: Mapped[str] = mapped_column(sa.String(200))
    #: The issuer's discovery document (.../.well-known/openid-configuration).
    metadata_url: Mapped[str] = mapped_column(sa.String(500))
    client_id: Mapped[str] = mapped_column(sa.String(255))
    #: Never shown back in forms.
    client_secret: Mapped[str] = mapped_column(sa.String(500))
    #: The one agency whose people sign in here; None: by email domain (below).
    agency_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("agencies.id", ondelete="CASCADE"), index=True
    )
    #: For a provider of no one agency: the email domains it signs in, one per line, lower
    #: case (each person joins the agency listing their domain). Empty otherwise.
    email_domains: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency | None] = relationship()

    def __repr__(self) -> str:
        return f"<SsoProvider {self.slug!r}>"
