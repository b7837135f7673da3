"""Preview a draft exactly as a practitioner would take it, with scoring, without an
attempt: answers live in the author's session only."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from flask import abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from ..models import ScenarioChoice
from ..questions import QUESTION_TYPES, AnswerError, get_type
from ..questions import scenario as graph
from ..scoring import CERTAINTY_LABELS, ItemResult, confidence_sentence, summarise
from ..take import scenario as scenario_pages
from ..take.forms import QuestionPageForm
from ..take.layout import preview_arrangement
from ..take.results import QuestionResult, ScenarioReview, outcome_of, scenario_path
from . import bp
from .drafts import _draft, authors

SESSION_KEY = "preview"


@dataclass
class PreviewStage:
    key: str
    title: str
    narrative: str
    questions: list[PreviewQuestion] = field(default_factory=list)


@dataclass
class PreviewQuestion:
    id: int
    key: str
    type: str
    spec: dict[str, Any]
    points: int
    stage: PreviewStage
    findings: list[SimpleNamespace]


def _story(data: dict[str, Any]) -> list[PreviewStage]:
    findings = {f["id"]: SimpleNamespace(text=f["text"], kind=f["kind"]) for f in data["findings"]}
    stages = {s["id"]: PreviewStage(s["id"], s["title"], s["narrative"]) for s in data["stages"]}
    for number, q in enumerate(data["questions"], start=1):
        stage = stages.get(q.get("stage"))
        if stage is None or q.get("type") not in QUESTION_TYPES:
            continue
        scored = get_type(q["type"]).scored
        stage.questions.append(
            PreviewQuestion(
                id=number,
                key=q["id"],
                type=q["type"],
                spec=q,
                points=q.get("points", 1) if scored else 0,
                stage=stage,
                findings=[findings[f] for f in q.get("findings", []) if f in findings],
            )
        )
    return [stages[s["id"]] for s in data["stages"]]


def _steps(stages: list[PreviewStage]) -> list[tuple[str, PreviewStage, PreviewQuestion | None]]:
    steps: list[tuple[str, PreviewStage, PreviewQuestion | None]] = []
    for stage in stages:
        steps.append(("stage", stage, None))
        steps.extend(("question", stage, q) for q in stage.questions)
    return steps


def _url(key: str, step: tuple[str, PreviewStage, PreviewQuestion | None] | None) -> str:
    if step is None:
        return url_for("author.preview_result", key=key)
    kind, stage, question = step
    if kind == "stage":
        return url_for("author.preview_stage", key=key, stage_id=stage.key)
    assert question is not None
    return url_for("author.preview_question", key=key, question_id=question.key)


def _answers(draft_id: int) -> dict[str, Any]:
    state = session.get(SESSION_KEY) or {}
    return state.get("answers", {}) if state.get("draft") == draft_id else {}


def _find(steps: list, kind: str, key: str) -> int:
    for index, (step_kind, stage, question) in enumerate(steps):
        if step_kind == kind and (question.key if question else stage.key) == key:
            return index
    abort(404)


def _preview_context(draft: Any) -> SimpleNamespace:
    return SimpleNamespace(check=SimpleNamespace(title=f"Preview: {draft.content['title']}"))


@bp.route("/banks/<key>/draft/preview")
@authors
def preview(key: str) -> Response:
    draft = _draft(key)
    session[SESSION_KEY] = {"draft": draft.id, "answers": {}, "paths": {}}
    steps = _steps(_story(draft.content))
    return redirect(_url(key, steps[0] if steps else None))


@bp.route("/banks/<key>/draft/preview/stages/<stage_id>")
@authors
def preview_stage(key: str, stage_id: str) -> str:
    draft = _draft(key)
    steps = _steps(_story(draft.content))
    index = _find(steps, "stage", stage_id)
    return render_template(
        "take/stage.html",
        attempt=_preview_context(draft),
        stage=steps[index][1],
        back_url=_url(key, steps[index - 1]) if index else url_for("author.draft", key=key),
        next_url=_url(key, steps[index + 1] if index + 1 < len(steps) else None),
        preview=True,
    )


@bp.route("/banks/<key>/draft/preview/questions/<question_id>", methods=["GET", "POST"])
@authors
def preview_question(key: str, question_id: str) -> str | Response | tuple[str, int]:
    draft = _draft(key)
    steps = _steps(_story(draft.content))
    index = _find(steps, "question", question_id)
    question = steps[index][2]
    assert question is not None
    qtype = get_type(question.type)
    arrangement = preview_arrangement(question.id)
    certainty_on = bool(draft.content.get("check", {}).get("certainty"))
    form = QuestionPageForm()
    if not (certainty_on and qtype.scored):
        del form.certainty
    answers = _answers(draft.id)
    if question.type == "scenario":
        return _preview_scenario(key, draft, steps, index, form, answers)
    errors: list[dict[str, str]] = []
    answer_error = None
    if request.method == "POST":
        try:
            answer = qtype.parse_answer(question.spec, request.form, arrangement)
        except AnswerError as error:
            answer_error = str(error)
            errors.append({"text": answer_error, "href": "#answer"})
        if not form.validate():
            if "csrf_token" in form.errors:
                abort(400)
            if "certainty" in form.errors:
                errors.append({"text": form.certainty.errors[0], "href": "#certainty"})
        if not errors:
            certainty = int(form.certainty.data) if "certainty" in form else None
            # Reflections are not kept, even in a preview: they are private to a practitioner.
            kept = "" if not qtype.scored else answer
            answers[question.key] = {"answer": kept, "certainty": certainty}
            session[SESSION_KEY] = {"draft": draft.id, "answers": answers}
            return redirect(_url(key, steps[index + 1] if index + 1 < len(steps) else None))
    saved = answers.get(question.key)
    if request.method == "GET" and saved and "certainty" in form and saved["certainty"]:
        form.certainty.data = str(saved["certainty"])
    # Numbered as an attempt numbers them: questions, and reflections, each on their own.
    same_kind = [
        q for kind, _, q in steps if q is not None and get_type(q.type).scored == qtype.scored
    ]
    page = render_template(
        "take/question.html",
        attempt=_preview_context(draft),
        question=question,
        spec=question.spec,
        qtype=qtype,
        presentation=qtype.presentation(question.spec, arrangement),
        saved_answer=saved["answer"] if saved else None,
        submitted=request.form if request.method == "POST" else None,
        answer_error=answer_error,
        errors=errors,
        form=form,
        label=f"{'Question' if qtype.scored else 'Reflection'} {same_kind.index(question) + 1}",
        total=len(same_kind),
        back_url=_url(key, steps[index - 1]),
        preview=True,
    )
    return (page, 422) if errors else page


def _preview_scenario(
    key: str, draft: Any, steps: list, index: int, form: QuestionPageForm, answers: dict
) -> str | Response | tuple[str, int]:
    """A scenario walked in the preview: the path so far lives in the session, as answers
    do; the page is the practitioner's own (take/scenario.html)."""
    question = steps[index][2]
    arrangement = preview_arrangement(question.id)
    state = session.get(SESSION_KEY) or {}
    paths = state.get("paths", {}) if state.get("draft") == draft.id else {}
    path = paths.get(question.key, [])
    choices = [
        ScenarioChoice(sequence=n, action="chose", node_key=d, alternative_key=a, certainty=c)
        for n, (d, a, c) in enumerate(path, start=1)
    ]
    try:
        page = scenario_pages.page_of(question.spec, choices, arrangement)
    except ValueError:  # the draft changed under a path walked before: start again
        path, choices = [], []
        page = scenario_pages.page_of(question.spec, choices, arrangement)
    errors: list[dict[str, str]] = []
    answer_error = None
    here = url_for("author.preview_question", key=key, question_id=question.key)
    if request.method == "POST":
        if not form.validate() and "csrf_token" in form.errors:
            abort(400)
        if request.form.get("sequence") != str(page.sequence):
            return redirect(here)  # sent twice: the first one counted
        try:
            alternative = scenario_pages.offered_alternative(
                page, arrangement, request.form.get("answer")
            )
        except scenario_pages.ChoiceRefused as error:
            answer_error = error.message
            errors.append({"text": answer_error, "href": "#answer"})
        if "certainty" in form.errors:
            errors.append({"text": form.certainty.errors[0], "href": "#certainty"})
        if not errors:
            certainty = int(form.certainty.data) if "certainty" in form else None
            path = [*path, [page.decision["id"], alternative["id"], certainty]]
            paths[question.key] = path
            reached = graph.position(question.spec, [(d, a) for d, a, _ in path])
            if reached.ended:
                answers[question.key] = {
                    "answer": {"path": [[d, a] for d, a, _ in path], "ending": reached.node["id"]},
                    "certainty": scenario_pages.path_certainty(
                        [SimpleNamespace(certainty=c) for _, _, c in path]  # type: ignore[misc]
                    ),
                }
            session[SESSION_KEY] = {"draft": draft.id, "answers": answers, "paths": paths}
            return redirect(f"{here}?chosen={page.sequence}")
    scored = [q for kind, _, q in steps if q is not None and get_type(q.type).scored]
    page_html = render_template(
        "take/scenario.html",
        attempt=_preview_context(draft),
        question=question,
        spec=question.spec,
        page=page,
        latest=scenario_pages.chosen(question.spec, page.latest) if page.latest else None,
        fresh=page.just_chosen(request.args.get("chosen")),
        choice_texts=[scenario_pages.chosen(question.spec, c)[1]["text"] for c in page.path],
        may_go_back=False,
        answer_error=answer_error,
        chosen_value=request.form.get("answer") if request.method == "POST" else None,
        errors=errors,
        form=form,
        label=f"Question {scored.index(question) + 1}",
        total=len(scored),
        back_url=_url(key, steps[index - 1]),
        next_url=_url(key, steps[index + 1] if index + 1 < len(steps) else None),
        preview=True,
    )
    return (page_html, 422) if errors else page_html


@bp.route("/banks/<key>/draft/preview/result")
@authors
def preview_result(key: str) -> str:
    draft = _draft(key)
    answers = _answers(draft.id)
    check = draft.content.get("check", {})
    items, results = [], []
    number = 0
    for stage in _story(draft.content):
        for question in stage.questions:
            number += 1
            qtype = get_type(question.type)
            saved = answers.get(question.key)
            if not qtype.scored:
                continue
            fraction = qtype.score(question.spec, saved["answer"]) if saved else 0.0
            certainty = saved["certainty"] if saved else None
            items.append(ItemResult(fraction=fraction, points=question.points, certainty=certainty))
            results.append(
                QuestionResult(
                    number=number,
                    question=question,  # type: ignore[arg-type]
                    response=SimpleNamespace(mark=fraction * question.points) if saved else None,  # type: ignore[arg-type]
                    scored=True,
                    outcome=outcome_of(fraction if saved else None),
                    answer_text=qtype.answer_text(
                        question.spec, saved["answer"] if saved else None
                    ),
                    correct_answer_text=qtype.correct_answer_text(question.spec),
                    answer_feedback=qtype.feedback(question.spec, saved["answer"])
                    if saved and question.type != "scenario"
                    else [],
                    findings=question.findings,  # type: ignore[arg-type]
                    certainty_label=CERTAINTY_LABELS.get(certainty) if certainty else None,
                    scenario=_review(question, saved["answer"], draft.content)
                    if question.type == "scenario" and saved
                    else None,
                )
            )
    score = summarise(
        items,
        pass_mark=int(check.get("pass_mark", 80)),
        certainty_based=bool(check.get("certainty")),
    )
    return render_template(
        "author/preview_result.html",
        draft=draft,
        score=score,
        confidence_text=confidence_sentence(score),
        questions=results,
    )


def _review(
    question: PreviewQuestion, answer: dict[str, Any], content: dict[str, Any]
) -> ScenarioReview:
    """The path walked beside the best path, as the practitioner's result shows them."""
    findings = {f["id"]: SimpleNamespace(key=f["id"], text=f["text"]) for f in content["findings"]}
    _points, best, ending = graph.best_path(question.spec)
    return ScenarioReview(
        scenario_path(question.spec, answer["path"], answer["ending"], findings),  # type: ignore[arg-type]
        scenario_path(question.spec, [list(step) for step in best], ending, findings),  # type: ignore[arg-type]
    )
