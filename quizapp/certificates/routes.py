"""Certificate pages, public verification and the learning record.

Verification is public, so it must not help anyone find certificates: a code is 60
random bits, lookups are limited per address (VERIFY_LIMIT_PER_ADDRESS), an unknown and a
malformed code get the same page with the same 404, and a genuine one shows the holder's
initials only.
"""

from __future__ import annotations

import csv
import io

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user
from werkzeug.wrappers import Response

from ..access import public, roles_required
from ..dashboards.exports import safe_text
from ..extensions import db, limiter
from ..models import Certificate, Role, utcnow
from ..take.queries import own_attempt_or_404
from . import bp, codes, operations, pdf, queries, record

practitioner = roles_required(Role.PRACTITIONER)


def _own_certificate(attempt_id: int) -> Certificate:
    """Own passed attempts only: someone else's, a failed or an unfinished one is a 404."""
    attempt = own_attempt_or_404(current_user, attempt_id)
    if not (attempt.is_submitted and attempt.passed):
        abort(404)
    certificate = operations.certificate_for(attempt)
    db.session.commit()
    return certificate


@bp.route("/checks/attempts/<int:attempt_id>/certificate")
@practitioner
def certificate(attempt_id: int) -> str:
    cert = _own_certificate(attempt_id)
    return render_template(
        "certificates/certificate.html",
        certificate=cert,
        holder=current_user,
        standing=queries.standing(cert, now=utcnow()),
        method=record.METHOD,
        code=codes.shown(cert.code),
        verify_url=url_for("certificates.verify", _external=True),
    )


@bp.route("/checks/attempts/<int:attempt_id>/certificate.pdf")
@practitioner
def certificate_pdf(attempt_id: int) -> Response:
    cert = _own_certificate(attempt_id)
    agency = current_user.agency.name if current_user.agency else "No agency"
    facts = pdf.CertificateFacts(
        name=current_user.name,
        agency=agency,
        check_title=cert.check_title,
        version_number=cert.version_number,
        passed_at=cert.passed_at,
        expires_at=queries.expiry_of(cert),
        cpd_minutes=cert.cpd_minutes,
        participatory=cert.participatory,
        code=cert.code,
        verify_url=url_for("certificates.verify", _external=True),
        service_name=current_app.config["SERVICE_NAME"],
    )
    return _download(
        pdf.certificate_pdf(facts),
        "application/pdf",
        f"certificate-{codes.shown(cert.code)}.pdf",
    )


# Verification ---------------------------------------------------------------------------


def _verify_limit() -> str:
    return current_app.config["VERIFY_LIMIT_PER_ADDRESS"]


@bp.route("/verify")
@public
def verify() -> Response | str:
    """The form sends the code by GET here, and is sent on to the code's own address."""
    typed = request.args.get("code")
    if typed is None:
        return render_template("certificates/verify.html", typed="", error=None)
    if not typed.strip():
        page = render_template(
            "certificates/verify.html", typed="", error="Enter the verification code"
        )
        return current_app.make_response((page, 422))
    code = codes.normalise(typed) or "".join(typed.split()).upper()[:40]
    return redirect(url_for("certificates.verify_code", code=code))


@bp.route("/verify/<code>")
@limiter.limit(_verify_limit, key_func=get_remote_address)
@public
def verify_code(code: str) -> Response:
    found = queries.by_code(code)
    if found is None:
        page = render_template("certificates/verified.html", standing=None, typed=code[:40])
        response = current_app.make_response((page, 404))
    else:
        page = render_template(
            "certificates/verified.html",
            standing=queries.standing(found, now=utcnow()),
            initials=_holder(found),
            code=codes.shown(found.code),
        )
        response = current_app.make_response(page)
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Cache-Control"] = "no-store"
    return response


def _holder(found: Certificate) -> str:
    """Initials only; nothing for someone anonymised (their placeholder name is no one's)."""
    from ..privacy import is_anonymised

    if is_anonymised(found.user):
        return "Not shown: the holder's details have been removed"
    return codes.initials(found.user.name)


# Learning record ------------------------------------------------------------------------


def _entries() -> tuple[list[record.Entry], bool]:
    """Always the signed-in person's own: the URL takes no id, and reflections come
    only when the person asks for them."""
    with_reflections = request.args.get("reflections") == "yes"
    if operations.ensure_certificates(current_user.id):
        db.session.commit()
    entries = queries.learning_record(current_user, with_reflections=with_reflections)
    return entries, with_reflections


@bp.route("/account/learning-record")
@roles_required()
def learning_record() -> str:
    entries, with_reflections = _entries()
    return render_template(
        "certificates/learning_record.html",
        entries=entries,
        with_reflections=with_reflections,
        totals=record.totals(entries),
        method=record.METHOD,
        code_link=record.CODE_LINK,
        hours_text=record.hours_text,
        query={"reflections": "yes"} if with_reflections else {},
        can_take_checks=current_user.has_role(Role.PRACTITIONER),
    )


@bp.route("/account/learning-record.csv")
@roles_required()
def learning_record_csv() -> Response:
    entries, _ = _entries()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(record.COLUMNS)
    for row in record.rows(entries):
        writer.writerow([safe_text(value) for value in row])
    return _download(out.getvalue(), "text/csv", f"learning-record-{utcnow():%Y-%m-%d}.csv")


@bp.route("/account/learning-record.pdf")
@roles_required()
def learning_record_pdf() -> Response:
    entries, _ = _entries()
    now = utcnow()
    content = pdf.learning_record_pdf(
        name=current_user.name,
        entries=entries,
        generated_at=now,
        service_name=current_app.config["SERVICE_NAME"],
    )
    return _download(content, "application/pdf", f"learning-record-{now:%Y-%m-%d}.pdf")


def _download(content: str | bytes, mimetype: str, filename: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
