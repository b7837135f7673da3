"""Which single sign-on providers exist and whom each one serves.

Providers come from two places: the environment (QUIZAPP_SSO_PROVIDERS, a JSON list,
read-only in the admin pages) and the sso_providers table (added by an administrator).
An environment provider names its agency by name, since ids differ between databases.

A provider tied to one agency serves that agency only. A provider tied to none (say,
Google for several schools) serves the email domains listed with it: each person joins
the agency listing their email's domain, unless that agency has a provider of its own
(then its people must use that one). Nobody else can use single sign-on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..models import Agency, SsoProvider
from ..models.sso import SLUG_PATTERN

#: Keys every environment provider must have.
REQUIRED_KEYS = ("slug", "name", "metadata_url", "client_id", "client_secret")


@dataclass(frozen=True)
class Provider:
    """A provider wherever it was set up."""

    slug: str
    name: str
    metadata_url: str
    client_id: str
    client_secret: str
    #: The one agency it serves; None: by email domain (or, from the environment, an
    #: agency name that matches no agency: then it serves nobody).
    agency_id: int | None
    #: The agency name an environment provider gave ("" for none).
    agency_name: str = ""
    #: For a provider of no one agency: the email domains it signs in.
    email_domains: frozenset[str] = frozenset()
    #: Set in the environment: shown, not changed, in the admin pages.
    from_environment: bool = False
    #: The sso_providers row, for providers added by an administrator.
    id: int | None = None

    @property
    def by_email_domain(self) -> bool:
        return self.agency_id is None and not self.agency_name

    @property
    def button_text(self) -> str:
        return f"Sign in with {self.name}"


class ConfigError(ValueError):
    """QUIZAPP_SSO_PROVIDERS is not a list of providers."""


def parse_environment(value: str | Iterable[Mapping[str, Any]] | None) -> list[dict[str, str]]:
    """The providers a QUIZAPP_SSO_PROVIDERS value (JSON text, or already a list) sets up."""
    if not value:
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as error:
            raise ConfigError(f"QUIZAPP_SSO_PROVIDERS is not valid JSON: {error}") from None
    if not isinstance(value, list):
        raise ConfigError("QUIZAPP_SSO_PROVIDERS must be a JSON list of providers")
    providers: list[dict[str, str]] = []
    for number, item in enumerate(value, start=1):
        if not isinstance(item, Mapping):
            raise ConfigError(f"QUIZAPP_SSO_PROVIDERS item {number} is not an object")
        missing = [key for key in REQUIRED_KEYS if not str(item.get(key) or "").strip()]
        if missing:
            raise ConfigError(f"QUIZAPP_SSO_PROVIDERS item {number} has no {', '.join(missing)}")
        slug = str(item["slug"]).strip()
        if not re.match(SLUG_PATTERN, slug):
            raise ConfigError(
                f"QUIZAPP_SSO_PROVIDERS item {number}: slug {slug!r} must be lower case"
                " letters, digits and hyphens"
            )
        if slug in {p["slug"] for p in providers}:
            raise ConfigError(f"QUIZAPP_SSO_PROVIDERS names {slug!r} twice")
        provider = {key: str(item.get(key) or "").strip() for key in (*REQUIRED_KEYS, "agency")}
        domains = item.get("email_domains") or []
        if not isinstance(domains, list) or not all(isinstance(d, str) for d in domains):
            raise ConfigError(
                f"QUIZAPP_SSO_PROVIDERS item {number}: email_domains must be a list of domains"
            )
        if not provider["agency"] and not domains:
            raise ConfigError(
                f"QUIZAPP_SSO_PROVIDERS item {number} needs an agency or email_domains"
            )
        provider["email_domains"] = "\n".join(domains)
        providers.append(provider)
    return providers


def _from_environment(config: Mapping[str, Any]) -> list[Provider]:
    items = parse_environment(config.get("SSO_PROVIDERS"))
    names = {item["agency"] for item in items if item["agency"]}
    ids: dict[str, int] = {}
    if names:
        rows = db.session.execute(sa.select(Agency.name, Agency.id).where(Agency.name.in_(names)))
        ids = {name: agency_id for name, agency_id in rows}
    return [
        Provider(
            slug=item["slug"],
            name=item["name"],
            metadata_url=item["metadata_url"],
            client_id=item["client_id"],
            client_secret=item["client_secret"],
            agency_id=ids.get(item["agency"]),
            agency_name=item["agency"],
            email_domains=parse_domains(item["email_domains"]),
            from_environment=True,
        )
        for item in items
    ]


def _from_row(row: SsoProvider) -> Provider:
    return Provider(
        slug=row.slug,
        name=row.name,
        metadata_url=row.metadata_url,
        client_id=row.client_id,
        client_secret=row.client_secret,
        agency_id=row.agency_id,
        agency_name=row.agency.name if row.agency else "",
        email_domains=parse_domains(row.email_domains),
        id=row.id,
    )


def parse_domains(text: str) -> frozenset[str]:
    """Domains written one per line (or separated by spaces or commas), lower-cased."""
    return frozenset(part.lower() for part in re.split(r"[\s,]+", text or "") if part)


def all_providers(config: Mapping[str, Any]) -> list[Provider]:
    """Environment providers first, then the administrators' (a stored provider with an
    environment provider's slug is hidden by it)."""
    providers = _from_environment(config)
    taken = {provider.slug for provider in providers}
    rows = db.session.scalars(sa.select(SsoProvider).order_by(SsoProvider.name)).all()
    return providers + [_from_row(row) for row in rows if row.slug not in taken]


def provider_by_slug(config: Mapping[str, Any], slug: str) -> Provider | None:
    return next((p for p in all_providers(config) if p.slug == slug), None)


def serves(provider: Provider, agency: Agency, providers: list[Provider]) -> bool:
    """Whether the agency's people may sign in through `provider`."""
    if not provider.by_email_domain:
        return provider.agency_id == agency.id
    domains = {row.domain for row in agency.email_domains}
    return bool(domains & provider.email_domains) and not any(
        p.agency_id == agency.id for p in providers if not p.by_email_domain
    )


def providers_for(config: Mapping[str, Any], agency: Agency) -> list[Provider]:
    """The providers the agency's people may use, its own first."""
    providers = all_providers(config)
    return [p for p in providers if serves(p, agency, providers)]
