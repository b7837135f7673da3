"""The practitioner's journey: your checks, stages, one question per page, check
answers, submit, result."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as WerkzeugResponse

from ..access import roles_required
from ..extensions import db
from ..impact import confidence, reaction
from ..models import Attempt, Check, Role, utcnow
from ..questions import get_type
from ..scoring import CERTAINTY_LABELS
from . import bp, kept, operations, queries, scenario, timing
from .forms import QuestionPageForm, SubmitForm, read_answer_post
from .layout import arrangement_for, outline_for
from .outline import QuestionInfo, Step, outline_of
from .results import build_result, reveals

practitioner = roles_required(Role.PRACTITIONER)


@bp.route("/")
@practitioner
def your_checks() -> str:
    now = utcnow()
    rows = queries.checks_for(current_user, now=now)
    return render_template(
        "take/your_checks.html",
        required=[row for row in rows if row.requirement is not None],
        optional=[row for row in rows if row.requirement is None],
        follow_ups=queries.follow_ups_for(current_user, now=now),
    )


@bp.route("/<int:check_id>")
@practitioner
def check_overview(check_id: int) -> str:
    check = db.get_or_404(Check, check_id)
    version = operations.version_for(check)
    if version is None:
        abort(404)
    in_progress = operations.in_progress_attempt(current_user, check)
    outline = outline_of(version)
    return render_template(
        "take/check.html",
        check=check,
        version=version,
        questions=outline.scored_count,
        reflections=outline.reflection_count,
        in_progress=in_progress,
        progress=queries.progress_of([in_progress]).get(in_progress.id) if in_progress else None,
        estimate=timing.estimate_for(check, version),
        past=queries.past_attempts(current_user, check),
        form=SubmitForm(),
    )


@bp.route("/<int:check_id>/start", methods=["POST"])
@practitioner
def start(check_id: int) -> WerkzeugResponse | tuple[str, int]:
    check = db.get_or_404(Check, check_id)
    form = SubmitForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        attempt = operations.start_attempt(current_user, check, now=utcnow())
    except operations.CheckRetired:
        db.session.rollback()
        return render_template("take/retired.html", check=check), 409
    except operations.TakeError as error:
        flash(str(error), "info")
        return redirect(url_for("take.check_overview", check_id=check.id))
    db.session.commit()
    return redirect(_resume_url(attempt))


def _resume_url(attempt: Attempt) -> str:
    """The first step not yet done: "Before you start" while it is due, else a stage
    whose questions are all unanswered, or a question."""
    answered = operations.responses_by_question(attempt)
    if confidence.before_is_due(attempt, answered=bool(answered)):
        return url_for("take.confidence_before", attempt_id=attempt.id)
    steps = operations.steps_for(attempt)
    for index, step in enumerate(steps):
        if step.kind == "question" and step.question.id not in answered:  # type: ignore[union-attr]
            previous = steps[index - 1] if index else None
            if previous is not None and previous.kind == "stage":
                return _step_url(attempt, previous)
            return _step_url(attempt, step)
    return url_for("take.check_answers", attempt_id=attempt.id)


def _before_first_step(attempt: Attempt) -> str:
    """Where the first step's back link goes: "Before you start" while its ratings can
    still be changed (the check asks them and no question is answered yet), else the
    check's overview."""
    if confidence.asked_findings(
        attempt.check, attempt.bank_version
    ) and not operations.responses_by_question(attempt):
        return url_for("take.confidence_before", attempt_id=attempt.id)
    return url_for("take.check_overview", check_id=attempt.check_id)


def _step_url(attempt: Attempt, step: Step | None, **params: str) -> str:
    if step is None:
        return url_for("take.check_answers", attempt_id=attempt.id)
    endpoint = "take.stage" if step.kind == "stage" else "take.question"
    return url_for(endpoint, attempt_id=attempt.id, key=step.key, **params)


def _neighbours(
    attempt: Attempt, kind: str, key: str
) -> tuple[Step, Step | None, Step | None, int]:
    """The step asked for, the steps either side, and how many there are of its kind
    (questions, or reflections) in the attempt."""
    outline = outline_for(attempt)
    index = outline.index(kind, key)
    if index is None:
        abort(404)
    steps = outline.steps
    step = steps[index]
    previous = steps[index - 1] if index else None
    following = steps[index + 1] if index + 1 < len(steps) else None
    scored = step.question is None or step.question.scored
    total = outline.scored_count if scored else outline.reflection_count
    return step, previous, following, total


def _open_attempt(attempt_id: int) -> Attempt | WerkzeugResponse:
    attempt = queries.own_attempt_or_404(current_user, attempt_id)
    if attempt.is_submitted:
        return redirect(url_for("take.result", attempt_id=attempt.id))
    return attempt


@bp.route("/attempts/<int:attempt_id>/stages/<key>")
@practitioner
def stage(attempt_id: int, key: str) -> str | WerkzeugResponse:
    attempt = _open_attempt(attempt_id)
    if not isinstance(attempt, Attempt):
        return attempt
    step, previous, following, _ = _neighbours(attempt, "stage", key)
    return render_template(
        "take/stage.html",
        attempt=attempt,
        stage=step.stage,
        back_url=_step_url(attempt, previous) if previous else _before_first_step(attempt),
        next_url=_step_url(attempt, following),
    )


@bp.route("/attempts/<int:attempt_id>/questions/<key>", methods=["GET", "POST"])
@practitioner
def question(attempt_id: int, key: str) -> str | WerkzeugResponse | tuple[str, int]:
    attempt = _open_attempt(attempt_id)
    if not isinstance(attempt, Attempt):
        return attempt
    step, previous, following, total = _neighbours(attempt, "question", key)
    question = step.question
    assert question is not None
    qtype = get_type(question.type)
    arrangement = arrangement_for(attempt, question)
    returning = request.args.get("return") == "check-answers"
    form = QuestionPageForm()
    if not (attempt.certainty and qtype.scored):
        del form.certainty
    if question.type == "scenario":
        return _scenario(
            attempt,
            question,
            form,
            total=total,
            back=url_for("take.check_answers", attempt_id=attempt.id)
            if returning
            else _step_url(attempt, previous),
            following=url_for("take.check_answers", attempt_id=attempt.id)
            if returning
            else _step_url(attempt, following),
        )

    errors: list[dict[str, str]] = []
    answer_error: str | None = None
    if request.method == "POST":
        post = read_answer_post(qtype, question.spec, arrangement, form)
        errors, answer_error = post.errors, post.answer_error
        if post.ok:
            operations.save_answer(attempt, question, post.answer, post.certainty, now=utcnow())
            if request.form.get(kept.FIELD):
                kept.discard(attempt, question)
            db.session.commit()
            if returning:
                return redirect(url_for("take.check_answers", attempt_id=attempt.id))
            return redirect(_step_url(attempt, following))
    saved = operations.response_for(attempt, question)
    if request.method == "GET" and saved is not None and "certainty" in form and saved.certainty:
        form.certainty.data = str(saved.certainty)
    # An answer sent after an idle sign-out, shown again to check and save (take/kept.py).
    kept_answer = kept.kept_for(attempt, question, saved) if request.method == "GET" else None
    if kept_answer is not None and "certainty" in form:
        form.certainty.data = kept_answer.get("certainty", form.certainty.data)

    back_url = (
        url_for("take.check_answers", attempt_id=attempt.id)
        if returning
        else _step_url(attempt, previous)
    )
    page = render_template(
        "take/question.html",
        attempt=attempt,
        question=question,
        spec=question.spec,
        qtype=qtype,
        presentation=qtype.presentation(question.spec, arrangement),
        saved_answer=saved.answer if saved is not None else None,
        submitted=request.form if request.method == "POST" else kept_answer,
        kept_answer=kept_answer is not None,
        kept_field=kept.FIELD if kept_answer is not None or request.form.get(kept.FIELD) else None,
        answer_error=answer_error,
        errors=errors,
        form=form,
        label=question.label,
        total=total,
        back_url=back_url,
    )
    return (page, 422) if errors else page


def _scenario(
    attempt: Attempt,
    question: QuestionInfo,
    form: QuestionPageForm,
    *,
    total: int,
    back: str,
    following: str,
) -> str | WerkzeugResponse | tuple[str, int]:
    """A branching scenario's page: the next decision, or the ending (take/scenario.py)."""
    arrangement = arrangement_for(attempt, question)
    errors: list[dict[str, str]] = []
    answer_error: str | None = None
    if request.method == "POST":
        if not form.validate() and "csrf_token" in form.errors:
            abort(400)
        sequence = _int(request.form.get("sequence"))
        here = url_for("take.question", attempt_id=attempt.id, key=question.key)
        if request.form.get("action") == "back":
            if attempt.check.scenario_back:
                try:
                    scenario.go_back(attempt, question, sequence=sequence, now=utcnow())
                    db.session.commit()
                except IntegrityError:  # sent twice at once: the other one went back
                    db.session.rollback()
            return redirect(here)
        try:
            if "certainty" in form.errors:
                # Say what is missing from the choice too, if anything, in one go.
                if not request.form.get("answer"):
                    raise scenario.ChoiceRefused("Select what you would do")
            else:
                certainty = int(form.certainty.data) if "certainty" in form else None
                scenario.choose(
                    attempt,
                    question,
                    arrangement,
                    sequence=sequence,
                    value=request.form.get("answer"),
                    certainty=certainty,
                    now=utcnow(),
                )
        except scenario.ChoiceRefused as error:
            answer_error = error.message
            errors.append({"text": answer_error, "href": "#answer"})
        except IntegrityError:
            # The same decision posted twice at once: the other request recorded it.
            db.session.rollback()
            return redirect(here)
        if "certainty" in form.errors:
            errors.append({"text": form.certainty.errors[0], "href": "#certainty"})
        if not errors:
            if request.form.get(kept.FIELD):
                kept.discard(attempt, question)
            db.session.commit()
            # The next page announces this choice's feedback (see `fresh`).
            return redirect(
                url_for("take.question", attempt_id=attempt.id, key=question.key, chosen=sequence)
            )
    page = scenario.page_for(attempt, question, arrangement)
    latest = page.latest
    chosen_value = request.form.get("answer") if request.method == "POST" else None
    # A choice sent after an idle sign-out, shown again to check and make (take/kept.py),
    # if the page is still at the decision it was sent for.
    kept_choice = kept.kept_for(attempt, question, None) if request.method == "GET" else None
    if kept_choice is not None and kept_choice.get("sequence") != str(page.sequence):
        kept_choice = None
    if kept_choice is not None:
        chosen_value = kept_choice.get("answer")
        if "certainty" in form:
            form.certainty.data = kept_choice.get("certainty", form.certainty.data)
    page_html = render_template(
        "take/scenario.html",
        attempt=attempt,
        question=question,
        spec=question.spec,
        page=page,
        latest=scenario.chosen(question.spec, latest) if latest else None,
        fresh=page.just_chosen(request.args.get("chosen")),
        choice_texts=[scenario.chosen(question.spec, c)[1]["text"] for c in page.path],
        may_go_back=attempt.check.scenario_back and bool(page.path),
        answer_error=answer_error,
        chosen_value=chosen_value,
        kept_choice=kept_choice is not None,
        kept_field=kept.FIELD if kept_choice is not None or request.form.get(kept.FIELD) else None,
        errors=errors,
        form=form,
        label=question.label,
        total=total,
        back_url=back,
        next_url=following,
    )
    return (page_html, 422) if errors else page_html


def _int(value: str | None) -> int:
    return int(value) if value and value.isascii() and value.isdigit() and len(value) < 6 else 0


@bp.route("/attempts/<int:attempt_id>/check-answers", methods=["GET", "POST"])
@practitioner
def check_answers(attempt_id: int) -> str | WerkzeugResponse | tuple[str, int]:
    attempt = _open_attempt(attempt_id)
    if not isinstance(attempt, Attempt):
        return attempt
    form = SubmitForm()
    unanswered = []
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            operations.submit_attempt(attempt, now=utcnow())
        except operations.UnansweredQuestions as error:
            db.session.rollback()
            unanswered = error.questions
        else:
            kept.discard_all(attempt)
            db.session.commit()
            return redirect(url_for("take.result", attempt_id=attempt.id))
    answered = operations.responses_by_question(attempt)
    steps = operations.steps_for(attempt)
    page = render_template(
        "take/check_answers.html",
        attempt=attempt,
        steps=steps,
        answered=answered,
        get_type=get_type,
        certainty_labels=CERTAINTY_LABELS,
        unanswered=unanswered,
        form=form,
        back_url=_step_url(attempt, steps[-1]) if steps else None,
    )
    return (page, 422) if unanswered else page


@bp.route("/attempts/<int:attempt_id>/result")
@practitioner
def result(attempt_id: int) -> str | WerkzeugResponse:
    attempt = queries.own_attempt_or_404(current_user, attempt_id)
    if not attempt.is_submitted:
        return redirect(url_for("take.check_answers", attempt_id=attempt.id))
    check = attempt.check
    past = queries.past_attempts(current_user, check)
    in_progress = operations.in_progress_attempt(current_user, check)
    try_again_open = in_progress is not None or operations.may_try_again(check, len(past))
    return render_template(
        "take/result.html",
        attempt=attempt,
        result=build_result(attempt, reveal=reveals(attempt, may_try_again=try_again_open)),
        past=past,
        in_progress=in_progress,
        try_again_open=try_again_open,
        impact_url=_impact_url(attempt),
        form=SubmitForm(),
    )


def _impact_url(attempt: Attempt) -> str | None:
    """Where the result page's "A few quick questions" leads: the confidence questions
    after, if the check asks them and they are not answered, else the reaction questions
    on the same terms; None when there is nothing left to ask."""
    if confidence.asked_findings(attempt.check, attempt.bank_version) and not (
        confidence.ratings_for(attempt.id, "after")
    ):
        return url_for("take.confidence_after", attempt_id=attempt.id)
    if attempt.check.ask_reaction and not reaction.reaction_given(attempt.id):
        return url_for("take.reaction_questions", attempt_id=attempt.id)
    return None
