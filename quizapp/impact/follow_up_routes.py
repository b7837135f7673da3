"""The follow-up's pages, one thing per page: start, its questions, confidence, practice,
check your answers, and the marks. Every page is the passing attempt's person's only
(anyone else gets 404, as for a missing page) and works without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as WerkzeugResponse

from ..access import roles_required
from ..extensions import db
from ..models import Attempt, Finding, FollowUp, Question, Role, utcnow
from ..models.guards import ImmutableRecordError
from ..questions import get_type
from ..questions.base import Arrangement
from ..scoring import CERTAINTY_LABELS
from ..take.forms import QuestionPageForm, SubmitForm, read_answer_post
from ..take.layout import seeded_arrangement
from . import confidence
from . import follow_up as operations
from .follow_up_forms import PRACTICE_LABELS, PracticeForm

bp = Blueprint("follow_up", __name__)
practitioner = roles_required(Role.PRACTITIONER)
RETURN = "check-answers"


@dataclass(frozen=True)
class Journey:
    follow_up: FollowUp
    attempt: Attempt
    questions: list[Question]
    #: The findings the confidence page asks about (none: no such page).
    findings: list[Finding]

    @property
    def steps(self) -> list[str]:
        steps = [f"question-{n}" for n in range(1, len(self.questions) + 1)]
        if self.findings:
            steps.append("confidence")
        return [*steps, "practice", RETURN]

    def url(self, step: str | None) -> str:
        attempt_id = self.attempt.id
        if step is None:
            return url_for("follow_up.start", attempt_id=attempt_id)
        if step.startswith("question-"):
            return url_for("follow_up.question", attempt_id=attempt_id, number=int(step[9:]))
        return url_for(f"follow_up.{step.replace('-', '_')}", attempt_id=attempt_id)

    def back(self, step: str) -> str:
        if request.args.get("return") == RETURN and step != RETURN:
            return self.url(RETURN)
        index = self.steps.index(step)
        return self.url(self.steps[index - 1] if index else None)

    def forward(self, step: str) -> str:
        if request.args.get("return") == RETURN:
            return self.url(RETURN)
        return self.url(self.steps[self.steps.index(step) + 1])

    def arrangement(self, question: Question) -> Arrangement:
        return seeded_arrangement(self.follow_up.seed, question.id)


def _own_follow_up(attempt_id: int) -> FollowUp | None:
    return db.session.scalar(
        sa.select(FollowUp).where(
            FollowUp.attempt_id == attempt_id, FollowUp.user_id == current_user.id
        )
    )


def _journey(follow_up: FollowUp) -> Journey:
    attempt = follow_up.attempt
    findings = confidence.asked_findings(attempt.check, follow_up.bank_version)
    return Journey(follow_up, attempt, operations.questions_of(follow_up), findings)


def _open(attempt_id: int) -> Journey | WerkzeugResponse:
    """The journey of an open follow-up (made now if the invitation has not made it); a
    submitted one goes to its marks; anything else is 404."""
    follow_up = _own_follow_up(attempt_id)
    if follow_up is not None and follow_up.is_submitted:
        return redirect(url_for("follow_up.done", attempt_id=attempt_id))
    due = operations.due_follow_ups(utcnow(), user_id=current_user.id, attempt_id=attempt_id)
    if not due:
        abort(404)
    if follow_up is None:
        follow_up = operations.open_follow_up(due[0], now=utcnow())
        db.session.commit()
    return _journey(follow_up)


def _save(journey: Journey, save: Callable[[], object], then: str) -> WerkzeugResponse:
    """Save and commit, then go on to `then`. A request racing another for the same
    follow-up (the same answer saved twice at once, or the follow-up submitted meanwhile)
    is rolled back and sent to the marks if it is now submitted, else back to this page,
    which shows what was saved: never a 500."""
    try:
        save()
        db.session.commit()
    except (IntegrityError, ImmutableRecordError, operations.AlreadySubmitted):
        db.session.rollback()
        attempt_id = journey.attempt.id
        follow_up = _own_follow_up(attempt_id)
        if follow_up is not None and follow_up.is_submitted:
            return redirect(url_for("follow_up.done", attempt_id=attempt_id))
        return redirect(request.full_path if request.query_string else request.path)
    return redirect(then)


@bp.route("/<int:attempt_id>")
@practitioner
def start(attempt_id: int) -> str | WerkzeugResponse:
    journey = _open(attempt_id)
    if not isinstance(journey, Journey):
        return journey
    return render_template(
        "impact/follow_up_start.html",
        journey=journey,
        check=journey.attempt.check,
        start_url=journey.url(journey.steps[0]),
    )


@bp.route("/<int:attempt_id>/questions/<int:number>", methods=["GET", "POST"])
@practitioner
def question(attempt_id: int, number: int) -> str | WerkzeugResponse | tuple[str, int]:
    journey = _open(attempt_id)
    if not isinstance(journey, Journey):
        return journey
    if not 1 <= number <= len(journey.questions):
        abort(404)
    step = f"question-{number}"
    question = journey.questions[number - 1]
    qtype = get_type(question.type)
    arrangement = journey.arrangement(question)
    form = QuestionPageForm()
    if not journey.attempt.certainty:
        del form.certainty
    errors: list[dict[str, str]] = []
    answer_error: str | None = None
    if request.method == "POST":
        post = read_answer_post(qtype, question.spec, arrangement, form)
        errors, answer_error = post.errors, post.answer_error
        if post.ok:
            return _save(
                journey,
                lambda: operations.save_answer(
                    journey.follow_up, question, post.answer, post.certainty, now=utcnow()
                ),
                journey.forward(step),
            )
    saved = operations.responses_of(journey.follow_up).get(question.id)
    if request.method == "GET" and saved is not None and "certainty" in form and saved.certainty:
        form.certainty.data = str(saved.certainty)
    page = render_template(
        "impact/follow_up_question.html",
        journey=journey,
        check=journey.attempt.check,
        question=question,
        spec=question.spec,
        qtype=qtype,
        presentation=qtype.presentation(question.spec, arrangement),
        saved_answer=saved.answer if saved is not None else None,
        submitted=request.form if request.method == "POST" else None,
        answer_error=answer_error,
        errors=errors,
        form=form,
        number=number,
        total=len(journey.questions),
        back_url=journey.back(step),
    )
    return (page, 422) if errors else page


@bp.route("/<int:attempt_id>/confidence", methods=["GET", "POST"], endpoint="confidence")
@practitioner
def confidence_page(attempt_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    journey = _open(attempt_id)
    if not isinstance(journey, Journey):
        return journey
    findings = journey.findings
    if not findings:
        abort(404)
    form = confidence.confidence_form(findings)
    if request.method == "POST":
        if request.form.get("action") == confidence.SKIP_ALL:
            if not SubmitForm().validate():
                abort(400)
            values = confidence.skipped(findings)
        elif form.validate():
            values = confidence.ratings_from(form, findings)
        else:
            if "csrf_token" in form.errors:
                abort(400)
            values = None
        if values is not None:
            return _save(
                journey,
                lambda: confidence.save_ratings(
                    journey.attempt.id, "follow-up", values, now=utcnow()
                ),
                journey.forward("confidence"),
            )
    else:
        confidence.fill(form, findings, confidence.ratings_for(journey.attempt.id, "follow-up"))
    page = render_template(
        "impact/follow_up_confidence.html",
        journey=journey,
        check=journey.attempt.check,
        form=form,
        findings=findings,
        skip_all=confidence.SKIP_ALL,
        back_url=journey.back("confidence"),
    )
    return (page, 422) if form.errors else page


@bp.route("/<int:attempt_id>/practice", methods=["GET", "POST"])
@practitioner
def practice(attempt_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    journey = _open(attempt_id)
    if not isinstance(journey, Journey):
        return journey
    follow_up = journey.follow_up
    form = PracticeForm()
    if form.validate_on_submit():
        return _save(
            journey,
            lambda: operations.save_practice(follow_up, form.used.data, form.example.data),
            journey.forward("practice"),
        )
    if "csrf_token" in form.errors:
        abort(400)
    if request.method == "GET":
        form.used.data = follow_up.used_in_practice
        form.example.data = follow_up.practice_example or ""
    page = render_template(
        "impact/follow_up_practice.html",
        journey=journey,
        check=journey.attempt.check,
        form=form,
        back_url=journey.back("practice"),
    )
    return (page, 422) if form.errors else page


@bp.route("/<int:attempt_id>/check-answers", methods=["GET", "POST"])
@practitioner
def check_answers(attempt_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    journey = _open(attempt_id)
    if not isinstance(journey, Journey):
        return journey
    follow_up = journey.follow_up
    form = SubmitForm()
    missing: operations.Incomplete | None = None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            operations.submit(follow_up, now=utcnow())
        except operations.Incomplete as error:
            db.session.rollback()
            missing = error
        else:
            db.session.commit()
            return redirect(url_for("follow_up.done", attempt_id=attempt_id))
    errors = []
    if missing is not None:
        errors = [
            {
                "text": f"Answer question {number}",
                "href": url_for(
                    "follow_up.question", attempt_id=attempt_id, number=number, **{"return": RETURN}
                ),
            }
            for number in missing.questions
        ]
        if missing.practice:
            errors.append(
                {
                    "text": "Say whether you have used this learning in your practice",
                    "href": url_for(
                        "follow_up.practice", attempt_id=attempt_id, **{"return": RETURN}
                    ),
                }
            )
    page = render_template(
        "impact/follow_up_check_answers.html",
        journey=journey,
        check=journey.attempt.check,
        answered=operations.responses_of(follow_up),
        ratings=confidence.ratings_for(journey.attempt.id, "follow-up"),
        scale=confidence.SCALE,
        question_text=confidence.question_text,
        practice_labels=PRACTICE_LABELS,
        certainty_labels=CERTAINTY_LABELS,
        get_type=get_type,
        errors=errors,
        form=form,
        back_url=journey.back(RETURN),
        return_to=RETURN,
    )
    return (page, 422) if errors else page


@bp.route("/<int:attempt_id>/done")
@practitioner
def done(attempt_id: int) -> str | WerkzeugResponse:
    follow_up = _own_follow_up(attempt_id)
    if follow_up is None or not follow_up.is_submitted:
        opened = _open(attempt_id)  # 404 unless it is open
        if isinstance(opened, Journey):
            return redirect(url_for("follow_up.check_answers", attempt_id=attempt_id))
        return opened
    journey = _journey(follow_up)
    answered = operations.responses_of(follow_up)
    results = []
    for number, question in enumerate(journey.questions, start=1):
        qtype = get_type(question.type)
        response = answered[question.id]
        results.append(
            {
                "number": number,
                "question": question,
                "answer": qtype.answer_text(question.spec, response.answer),
                "correct": qtype.correct_answer_text(question.spec),
                "mark": response.mark,
                "points": question.points,
                "feedback": qtype.feedback(
                    question.spec, response.answer, journey.arrangement(question)
                ),
            }
        )
    return render_template(
        "impact/follow_up_done.html",
        journey=journey,
        check=journey.attempt.check,
        results=results,
    )
