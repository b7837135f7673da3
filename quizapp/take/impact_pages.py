"""The impact questions around a check (quizapp/impact/): "Before you start" (confidence
before the first question), confidence after the result, and the reaction questions.

None of these pages depends on whether any answer was right: the ratings and reactions
are the person's own view, never marked, and leads only ever see them counted together.
Each POST writes all of its rows in one commit, or none.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as WerkzeugResponse

from ..extensions import db
from ..impact import confidence, reaction
from ..models import Attempt, Finding, utcnow
from . import bp, operations, queries
from .routes import _resume_url, practitioner


@bp.route("/attempts/<int:attempt_id>/confidence", methods=["GET", "POST"])
@practitioner
def confidence_before(attempt_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    attempt = queries.own_attempt_or_404(current_user, attempt_id)
    if attempt.is_submitted:
        return redirect(url_for("take.result", attempt_id=attempt.id))
    findings = confidence.asked_findings(attempt.check, attempt.bank_version)
    # Once any question is answered, ratings "before" would no longer be before.
    if not findings or operations.responses_by_question(attempt):
        return redirect(_resume_url(attempt))
    return _confidence_page(
        attempt,
        findings,
        moment="before",
        template="take/confidence_before.html",
        done=lambda: _resume_url(attempt),
    )


@bp.route("/attempts/<int:attempt_id>/confidence-after", methods=["GET", "POST"])
@practitioner
def confidence_after(attempt_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    attempt = _submitted(attempt_id)
    if not isinstance(attempt, Attempt):
        return attempt
    findings = confidence.asked_findings(attempt.check, attempt.bank_version)
    if not findings:
        return redirect(_after_confidence(attempt))
    # Ratings after are given once: the result page no longer offers them.
    if confidence.ratings_for(attempt.id, "after"):
        return redirect(url_for("take.result", attempt_id=attempt.id))
    return _confidence_page(
        attempt,
        findings,
        moment="after",
        template="take/confidence_after.html",
        done=lambda: _after_confidence(attempt, thank=True),
    )


@bp.route("/attempts/<int:attempt_id>/reaction", methods=["GET", "POST"])
@practitioner
def reaction_questions(attempt_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    attempt = _submitted(attempt_id)
    if not isinstance(attempt, Attempt):
        return attempt
    if not attempt.check.ask_reaction or reaction.reaction_given(attempt.id):
        return redirect(url_for("take.result", attempt_id=attempt.id))
    form = reaction.ReactionForm()
    if request.method == "POST":
        if form.validate():
            answers = reaction.answers_from(form)
            if reaction.nothing_answered(answers):
                # As "Back to your result without answering": no row, no thank-you.
                return redirect(url_for("take.result", attempt_id=attempt.id))
            try:
                reaction.save_reaction(attempt.id, answers, now=utcnow())
                db.session.commit()
            except IntegrityError:  # sent twice at once: the other one recorded it
                db.session.rollback()
            flash("Thank you. Your answers are saved.", "success")
            return redirect(url_for("take.result", attempt_id=attempt.id))
        if "csrf_token" in form.errors:
            abort(400)
    page = render_template(
        "take/reaction.html",
        attempt=attempt,
        form=form,
        statements=reaction.STATEMENTS,
        errors=[
            {"text": form[name].errors[0], "href": f"#{form[name].id}"}
            for name in reaction.STATEMENTS
            if form[name].errors
        ],
    )
    return (page, 422) if form.errors else page


def _submitted(attempt_id: int) -> Attempt | WerkzeugResponse:
    """The person's own attempt, once submitted: these pages come after the result."""
    attempt = queries.own_attempt_or_404(current_user, attempt_id)
    if not attempt.is_submitted:
        return redirect(url_for("take.check_answers", attempt_id=attempt.id))
    return attempt


def _after_confidence(attempt: Attempt, *, thank: bool = False) -> str:
    """On to the reaction questions if the check asks them and they are not answered,
    else back to the result (with a thank-you when ratings were just given)."""
    if attempt.check.ask_reaction and not reaction.reaction_given(attempt.id):
        return url_for("take.reaction_questions", attempt_id=attempt.id)
    if thank:
        flash("Thank you. Your answers are saved.", "success")
    return url_for("take.result", attempt_id=attempt.id)


def _confidence_page(
    attempt: Attempt,
    findings: list[Finding],
    *,
    moment: str,
    template: str,
    done: Callable[[], str],
) -> str | WerkzeugResponse | tuple[str, int]:
    """The confidence questions at a moment: a rating or "skip" for each finding, or
    "Skip these questions" for all of them; then on to `done()`."""
    form = confidence.confidence_form(findings)
    if request.method == "POST":
        valid = form.validate()
        if "csrf_token" in form.errors:
            abort(400)
        skip_all = request.form.get("action") == confidence.SKIP_ALL
        if skip_all or valid:
            values = (
                confidence.skipped(findings)
                if skip_all
                else confidence.ratings_from(form, findings)
            )
            try:
                confidence.save_ratings(attempt.id, moment, values, now=utcnow())
                db.session.commit()
            except IntegrityError:  # sent twice at once: the other one recorded them
                db.session.rollback()
            return redirect(done())
    else:
        confidence.fill(form, findings, confidence.ratings_for(attempt.id, moment))
    has_errors = request.method == "POST"
    page = render_template(
        template,
        attempt=attempt,
        form=form,
        findings=findings,
        has_errors=has_errors,
        skip_all=confidence.SKIP_ALL,
    )
    return (page, 422) if has_errors else page
