"""Single sign-on providers, and whether an agency's people must use one: administrators
only. Providers set in the environment (QUIZAPP_SSO_PROVIDERS) are listed, not changed."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..audit import record
from ..extensions import db
from ..models import Agency, SsoProvider
from ..sso import providers
from . import bp
from .agencies import admin_only
from .sso_forms import AgencySignInForm, SelectChoice, SsoProviderForm

Page = str | Response | tuple[str, int]


def _page(template: str, form, status_if_errors: int = 422, **context) -> Page:
    page = render_template(template, form=form, **context)
    return (page, status_if_errors) if form.errors else page


@bp.route("/single-sign-on/")
@admin_only
def sso_providers() -> str:
    rows = providers.all_providers(current_app.config)
    agencies = db.session.scalars(sa.select(Agency).order_by(Agency.name)).all()
    return render_template("admin/sso/list.html", providers=rows, agencies=agencies)


def _agency_choices(form: SsoProviderForm) -> None:
    agencies = db.session.scalars(sa.select(Agency).order_by(Agency.name)).all()
    form.agency.choices = [SelectChoice("", "By email address")] + [
        SelectChoice(str(agency.id), agency.name) for agency in agencies
    ]


def _apply(form: SsoProviderForm, row: SsoProvider | None) -> SsoProvider | None:
    """Save a valid form into `row` (a new one when None); on a problem, the message on
    its field and None."""
    slug = (form.slug.data or "").strip()
    env_slugs = {p.slug for p in providers.all_providers(current_app.config) if p.from_environment}
    taken = db.session.scalar(
        sa.select(SsoProvider.id).where(
            SsoProvider.slug == slug, SsoProvider.id != (row.id if row else -1)
        )
    )
    if slug in env_slugs or taken is not None:
        form.slug.errors = [*form.slug.errors, "Another provider has this short name"]
    agency = None
    if form.agency.data:
        agency = (
            db.session.get(Agency, int(form.agency.data)) if form.agency.data.isdigit() else None
        )
        if agency is None:
            form.agency.errors = [*form.agency.errors, "Select an agency from the list"]
    domains = providers.parse_domains(form.email_domains.data or "")
    if not form.agency.data and not domains:
        form.email_domains.errors = [
            *form.email_domains.errors,
            "Enter the email domains this provider signs in, or select its agency",
        ]
    secret = form.client_secret.data or ""
    if row is None and not secret:
        form.client_secret.errors = [*form.client_secret.errors, "Enter the client secret"]
    if form.errors:
        return None
    agency_id = agency.id if agency else None
    if row is None:
        row = SsoProvider(client_secret=secret)
        db.session.add(row)
    elif secret:
        row.client_secret = secret
    row.name = (form.name.data or "").strip()
    row.slug = slug
    row.metadata_url = (form.metadata_url.data or "").strip()
    row.client_id = (form.client_id.data or "").strip()
    row.agency_id = agency_id
    row.email_domains = "" if agency_id else "\n".join(sorted(domains))
    db.session.flush()
    record(
        "sso.provider_saved",
        f"sso_provider:{row.id}",
        user=current_user,
        details={"slug": row.slug, "agency_id": row.agency_id, "secret_changed": bool(secret)},
    )
    return row


@bp.route("/single-sign-on/new", methods=["GET", "POST"])
@admin_only
def new_sso_provider() -> Page:
    form = SsoProviderForm()
    _agency_choices(form)
    if form.validate_on_submit() and (row := _apply(form, None)) is not None:
        db.session.commit()
        flash(f"{row.name} added. Its sign-in button is on the sign-in page.", "success")
        return redirect(url_for("admin.sso_providers"))
    db.session.rollback()
    return _page("admin/sso/form.html", form, provider=None)


@bp.route("/single-sign-on/<int:provider_id>/edit", methods=["GET", "POST"])
@admin_only
def edit_sso_provider(provider_id: int) -> Page:
    row = db.get_or_404(SsoProvider, provider_id)
    form = SsoProviderForm()
    _agency_choices(form)
    if form.validate_on_submit():
        if _apply(form, row) is not None:
            db.session.commit()
            flash(f"{row.name} updated.", "success")
            return redirect(url_for("admin.sso_providers"))
        db.session.rollback()
        row = db.get_or_404(SsoProvider, provider_id)
    elif not form.is_submitted():
        form.name.data = row.name
        form.slug.data = row.slug
        form.metadata_url.data = row.metadata_url
        form.client_id.data = row.client_id
        form.agency.data = str(row.agency_id or "")
        form.email_domains.data = row.email_domains
    return _page("admin/sso/form.html", form, provider=row)


@bp.route("/agencies/<int:agency_id>/sign-in", methods=["GET", "POST"])
@admin_only
def agency_sign_in(agency_id: int) -> Page:
    agency = db.get_or_404(Agency, agency_id)
    choices = providers.providers_for(current_app.config, agency)
    form = AgencySignInForm()
    if not form.is_submitted():
        form.sso_required.data = "yes" if agency.sso_required else "no"
    if form.validate_on_submit():
        required = form.sso_required.data == "yes"
        if required and not choices:
            form.sso_required.errors = [
                f"{agency.name} has no single sign-on provider yet. Add one before requiring it"
            ]
        else:
            agency.sso_required = required
            record(
                "agency.sso_required",
                f"agency:{agency.id}",
                user=current_user,
                details={"on": required},
            )
            db.session.commit()
            flash(
                f"People in {agency.name} now sign in with single sign-on only."
                if required
                else f"People in {agency.name} can now sign in with a password.",
                "success",
            )
            return redirect(url_for("admin.agency", agency_id=agency.id))
    return _page("admin/agencies/sign_in.html", form, agency=agency, providers=choices)
