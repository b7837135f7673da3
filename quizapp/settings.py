"""The partnership's settings (one row): read by every result page, changed by admins."""

from __future__ import annotations

from datetime import datetime

from .audit import record
from .extensions import db
from .models import PartnershipSettings, User
from .models.settings import SETTINGS_ID


def current_settings() -> PartnershipSettings | None:
    """The settings, or None if an administrator has never saved them."""
    return db.session.get(PartnershipSettings, SETTINGS_ID)


def save_advice_line(
    *, name: str, phone: str, email: str, details: str, by: User | None, now: datetime
) -> PartnershipSettings:
    """Set the partnership's advice line (flushes; the caller commits)."""
    settings = current_settings()
    if settings is None:
        settings = PartnershipSettings(id=SETTINGS_ID)
        db.session.add(settings)
    settings.advice_name = " ".join(name.split())
    settings.advice_phone = " ".join(phone.split())
    settings.advice_email = email.strip().lower()
    settings.advice_details = "\n".join(line.rstrip() for line in details.strip().splitlines())
    settings.updated_at = now
    settings.updated_by_id = by.id if by is not None else None
    db.session.flush()
    record("settings.advice_line", "settings:partnership", user=by, details={})
    return settings
