"""Editing a draft in the browser, previewing it as a practitioner, publishing it, and
starting a new bank from a learning briefing."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from ..access import roles_required
from ..authoring import editing, merge, scenario_diagram
from ..banks import plain_error, plain_message, plain_place
from ..banks.importer import follow_up_weeks, latest_published
from ..extensions import db
from ..models import Bank, BankVersion, Role, utcnow
from ..questions import QUESTION_TYPES
from ..questions.base import SLUG_PATTERN
from . import bp, operations
from .draft_forms import (
    MAX_OPTIONS,
    BriefingForm,
    ConfirmForm,
    DetailsForm,
    FindingForm,
    PublishForm,
    QuestionForm,
    QuestionTypeForm,
    StageForm,
    as_sentence,
)

authors = roles_required(Role.AUTHOR, Role.ADMIN)
# A scenario's graph as a picture and as a list, wherever an author's page shows one.
bp.add_app_template_global(scenario_diagram.diagram_svg, "scenario_svg")
bp.add_app_template_global(scenario_diagram.outline_html, "scenario_outline")
SECTIONS = {"findings": "finding", "stages": "stage", "questions": "question"}


def _pool_context(data: dict[str, Any]) -> dict[str, Any]:
    """What the draft page shows of pools: each pool's question ids, and the counts."""
    pools = {pool: [q["id"] for q in members] for pool, members in editing.pools(data).items()}
    return {"pools": pools, "counts": editing.practitioner_counts(data)}


def _bank(key: str) -> Bank:
    return db.one_or_404(sa.select(Bank).where(Bank.key == key))


def _draft(key: str) -> BankVersion:
    draft = operations.draft_of(_bank(key))
    if draft is None:
        abort(404)
    return draft


def _form_page(template: str, status_if_errors: bool, **context: Any) -> tuple[str, int] | str:
    page = render_template(template, **context)
    return (page, 422) if status_if_errors else page


def _apply(
    draft: BankVersion,
    data: dict[str, Any],
    prefix: str,
    form: Any,
    what: str,
    *,
    related: dict[str, str] | None = None,
    before: list[editing.BankError] | None = None,
) -> bool:
    """Save `data` unless the loader finds problems inside `prefix`; put those on `form`.

    `related` maps the prefixes of other items the change touches (a question's pool
    variants) to their ids: problems there that the change caused (not in `before`) go
    on the same-named field of `form`, naming the other item."""
    if _show_problems(data, prefix, form, related=related, before=before):
        return False
    approved = draft.approved_by_id is not None
    operations.save_draft(draft, data, user=current_user, action="draft.edit", what=what)
    db.session.commit()
    flash(f"{what.capitalize()} saved.{_withdrawn(approved, draft)}", "success")
    return True


def _withdrawn(approved: bool, draft: BankVersion) -> str:
    """What to add to a change's message if it withdrew the draft's approval."""
    if approved and draft.approved_by_id is None:
        return " The draft's approval was withdrawn: a second author must approve it again."
    return ""


def _show_problems(
    data: dict[str, Any],
    prefix: str,
    form: Any,
    *,
    related: dict[str, str] | None = None,
    before: list[editing.BankError] | None = None,
) -> bool:
    """Put the loader's problems inside `prefix` (and those the change caused in `related`)
    on `form`; True when there are any."""
    errors = editing.validate(data)
    problems = editing.under(errors, prefix) if prefix else []
    known = {(error.path, error.message) for error in before or []}
    found = [(error, prefix, "") for error in problems]
    for other, other_id in (related or {}).items():
        for error in editing.under(errors, other):
            if (error.path, error.message) not in known:
                found.append((error, other, f"Question {other_id}: "))
    for error, where, intro in found:
        relative = editing.relative_path(error, where) if where else error.path
        message = intro + _readable(error.message)
        field = form.field_for(relative) if hasattr(form, "field_for") else None
        if field is None and hasattr(form, "FIELDS"):
            name = form.FIELDS.get(relative) or form.FIELDS.get(relative.split("[")[0])
            field = getattr(form, name) if name else None
        if field is None:
            place = plain_place(relative, inside=True) if where else plain_place(relative)
            form.form_errors.append(f"{place or 'This'}: {message}")
        else:
            if hasattr(form, "placed"):  # a scenario's nodes box: say where in it
                message = form.placed(relative, message)
            field.errors = [*field.errors, as_sentence(message)]
    return bool(found)


_QUESTION_AT = re.compile(r"questions\[\d+\] \('([^']*)'\)")


def _readable(message: str) -> str:
    """Loader messages name questions by position ("questions[3] ('q-refer')"); the
    editor names them by id, and any other place as pages do ("finding 1")."""
    return plain_message(_QUESTION_AT.sub(lambda match: f"question {match.group(1)}", message))


@bp.route("/banks/<key>/draft/new", methods=["POST"])
@authors
def new_draft(key: str) -> Response:
    bank = _bank(key)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    operations.start_draft(bank, user=current_user, now=utcnow())
    db.session.commit()
    return redirect(url_for("author.draft", key=key))


@bp.route("/banks/<key>/draft")
@authors
def draft(key: str) -> str:
    draft = _draft(key)
    # A note given with an uploaded file is suggested as the change note.
    return _draft_page(draft, PublishForm(change_note=draft.change_note or None))


def _draft_page(
    draft: BankVersion, publish_form: PublishForm, approve_form: ConfirmForm | None = None
) -> str:
    newer = operations.published_since(draft)
    return render_template(
        "author/draft.html",
        draft=draft,
        data=draft.content,
        errors=editing.validate(draft.content),
        problems=operations.publish_problems(draft),
        stories=editing.in_story_order(draft.content),
        **_pool_context(draft.content),
        # Until the first version is published: how the briefing or file it came from was
        # read.
        reading=operations.creation_reading(draft.bank) if draft.number == 1 else None,
        newer=newer,
        types=QUESTION_TYPES,
        publish_form=publish_form,
        # Banks that need a second author: whether the person viewing may approve.
        may_approve=operations.may_approve(draft, current_user),
        approve_form=approve_form or ConfirmForm(),
        fingerprint=operations.fingerprint(draft.content),
        confirm=ConfirmForm(),
    )


@bp.route("/banks/<key>/draft/details", methods=["GET", "POST"])
@authors
def draft_details(key: str) -> str | Response | tuple[str, int]:
    draft = _draft(key)
    data = editing.copy_of(draft.content)
    form = DetailsForm()
    if request.method == "GET":
        source, check = data.get("source", {}), data.get("check", {})
        form.title.data, form.summary.data = data.get("title"), data.get("summary")
        form.publisher.data, form.source_title.data = source.get("publisher"), source.get("title")
        form.source_url.data, form.signposting.data = source.get("url"), data.get("signposting")
        form.pass_mark.data, form.certainty.data = check.get("pass_mark"), check.get("certainty")
        form.attempts.data, form.refresh_months.data = (
            check.get("attempts"),
            check.get("refresh_months"),
        )
        form.after_fail.data = check.get("after_fail", "feedback")
        form.ask_confidence.data = check.get("ask_confidence", True)
        form.ask_reaction.data = check.get("ask_reaction", True)
        form.follow_up_weeks.data = follow_up_weeks(check) or None
    elif form.validate_on_submit():
        data["title"] = form.title.data.strip()
        data["summary"] = form.summary.data.strip()
        data["source"] = {
            "publisher": form.publisher.data.strip(),
            "title": form.source_title.data.strip(),
        }
        if (form.source_url.data or "").strip():
            data["source"]["url"] = form.source_url.data.strip()
        data["signposting"] = form.signposting.data.strip()
        data["check"] = _check_block(data.get("check", {}), form)
        problems = [
            e
            for e in editing.validate(data)
            if e.path.split(".")[0].split("[")[0]
            in {"title", "summary", "source", "signposting", "check", "id", "format"}
        ]
        if not problems:
            operations.save_draft(
                draft, data, user=current_user, action="draft.edit", what="details"
            )
            db.session.commit()
            flash("Details saved.", "success")
            return redirect(url_for("author.draft", key=key))
        for error in problems:
            name = DetailsForm.FIELDS.get(error.path)
            target = getattr(form, name) if name else None
            if target is None:
                form.form_errors.append(plain_error(error.path, error.message))
            else:
                target.errors = [*target.errors, as_sentence(error.message)]
    return _form_page("author/draft_details.html", bool(form.errors), draft=draft, form=form)


def _check_block(before: dict[str, Any], form: DetailsForm) -> dict[str, Any]:
    """The draft's `check:` block from the form. A setting the file left out at its
    default stays out (so an unchanged draft keeps its content hash)."""
    check = {
        "pass_mark": form.pass_mark.data,
        "certainty": bool(form.certainty.data),
        "refresh_months": form.refresh_months.data,
    }
    if form.attempts.data:
        check["attempts"] = form.attempts.data
    after_fail = form.after_fail.data if form.after_fail.raw_data else before.get("after_fail")
    if after_fail and (after_fail != "feedback" or "after_fail" in before):
        check["after_fail"] = after_fail
    # Settings this form doesn't show are kept as the file has them.
    for kept in ("cpd_minutes", "participatory"):
        if kept in before:
            check[kept] = before[kept]
    for name in ("ask_confidence", "ask_reaction"):
        asked = bool(getattr(form, name).data)
        if not asked or name in before:
            check[name] = asked
    # Blank is no follow-up (`false` in the file); not sent at all keeps the setting.
    sent = form.follow_up_weeks.raw_data
    weeks = (form.follow_up_weeks.data or False) if sent else before.get("follow_up_weeks", 8)
    if weeks != 8 or "follow_up_weeks" in before:
        check["follow_up_weeks"] = weeks
    return check


@bp.route("/banks/<key>/draft/<section>/<item_id>", methods=["GET", "POST"])
@authors
def draft_item(key: str, section: str, item_id: str) -> str | Response | tuple[str, int]:
    """A finding or a stage (questions have their own page)."""
    if section not in ("findings", "stages"):
        abort(404)
    draft = _draft(key)
    data = editing.copy_of(draft.content)
    items = data[section]
    index = len(items) if item_id == "new" else editing.index_of(items, item_id)
    if index is None:
        abort(404)
    form = FindingForm() if section == "findings" else StageForm()
    if request.method == "GET" and item_id != "new":
        for path, name in form.FIELDS.items():
            getattr(form, name).data = items[index].get(path)
    elif form.validate_on_submit():
        optional = getattr(form, "OPTIONAL", ())
        values = {
            path: (getattr(form, name).data or "").strip()
            for path, name in form.FIELDS.items()
            if path not in optional or getattr(form, name).raw_data
        }
        cleared = {path for path in optional if path in values and not values[path]}
        values = {path: value for path, value in values.items() if path not in cleared}
        if item_id == "new":
            taken = [item["id"] for item in items]
            seed = values.get("text") or values.get("title") or "item"
            items.append({"id": editing.unique_id(seed, taken), **values})
        else:
            kept = {key: value for key, value in items[index].items() if key not in cleared}
            items[index] = {**kept, **values}
        if _apply(draft, data, f"{section}[{index}]", form, SECTIONS[section]):
            return redirect(url_for("author.draft", key=key) + f"#{section}")
    return _form_page(
        "author/draft_item.html",
        bool(form.errors),
        draft=draft,
        form=form,
        section=section,
        kind=SECTIONS[section],
        is_new=item_id == "new",
    )


@bp.route("/banks/<key>/draft/questions/new", methods=["GET", "POST"])
@authors
def new_question(key: str) -> str | Response | tuple[str, int]:
    draft = _draft(key)
    form = QuestionTypeForm()
    if form.validate_on_submit():
        return redirect(url_for("author.add_question", key=key, kind=form.type.data))
    return _form_page("author/question_type.html", bool(form.errors), draft=draft, form=form)


@bp.route("/banks/<key>/draft/questions/new/<kind>", methods=["GET", "POST"])
@authors
def add_question(key: str, kind: str) -> str | Response | tuple[str, int]:
    if kind not in QUESTION_TYPES:
        abort(404)
    return _question_page(key, "new", kind)


@bp.route("/banks/<key>/draft/questions/<question_id>", methods=["GET", "POST"])
@authors
def draft_question(key: str, question_id: str) -> str | Response | tuple[str, int]:
    if question_id == "new":
        abort(404)
    return _question_page(key, question_id, "")


def _question_page(key: str, question_id: str, kind: str) -> str | Response | tuple[str, int]:
    draft = _draft(key)
    data = editing.copy_of(draft.content)
    questions = data["questions"]
    if question_id == "new":
        index, existing = len(questions), {"type": kind}
        if kind == "scenario":  # a small graph to start from, rather than an empty box
            existing.update(editing.starter_scenario())
    else:
        index = editing.index_of(questions, question_id)
        if index is None:
            abort(404)
        existing = questions[index]
        kind = existing["type"]
        changing_to = request.args.get("type")
        if changing_to and changing_to != kind:
            # A type change: shown (and saved) only as the form, nothing lost until saved.
            if changing_to not in editing.TYPE_CHANGES.get(kind, ()):
                abort(404)
            existing = editing.change_type(existing, changing_to)
            kind = changing_to
    form = QuestionForm()
    form.stage.choices = [(s["id"], s["title"]) for s in data["stages"]]
    form.findings.choices = [(f["id"], _short(f["text"])) for f in data["findings"]]
    pool_hints = _pool_choices(form, data, question_id)
    action = request.form.get("action", "") if request.method == "POST" else ""
    ids_editable = latest_published(draft.bank) is None
    if request.method == "GET":
        form.load(existing)
        form.question_id.data = "" if question_id == "new" else question_id
        if question_id != "new" and existing is not questions[index]:  # a changed type
            changed = editing.copy_of(data)
            changed["questions"][index] = existing
            _show_problems(changed, f"questions[{index}]", form)
    elif action:
        # A button that changes the option rows: shown again as typed, nothing saved.
        if not _change_options(form, action):
            abort(400)
    elif form.validate_on_submit():
        new_id = _new_question_id(form, questions, question_id, kind, editable=ids_editable)
        question = form.question(question_id=new_id or question_id, kind=kind, before=existing)
        touched = _join_pool(form, data, question, index)
        if touched is not None and new_id is not None:
            before = editing.validate(draft.content)
            if question_id == "new":
                questions.append(question)
            else:
                questions[index] = question
            left_alone = editing.leave_lonely_pools(data)
            related = {
                f"questions[{i}]": q["id"] for i, q in enumerate(questions) if q["id"] in touched
            }
            if _apply(
                draft,
                data,
                f"questions[{index}]",
                form,
                "question",
                related=related,
                before=before,
            ):
                _say_left_alone(left_alone)
                return redirect(url_for("author.draft", key=key) + f"#question-{new_id}")
    return _form_page(
        "author/draft_question.html",
        request.method == "POST" and (bool(form.errors) or bool(form.form_errors)),
        draft=draft,
        form=form,
        kind=kind,
        label=QUESTION_TYPES[kind].label,
        fields=QuestionForm.TYPE_FIELDS[kind],
        is_new=question_id == "new",
        show_pool=QUESTION_TYPES[kind].scored or "pool" in existing,
        pool_hints=pool_hints,
        max_options=MAX_OPTIONS,
        ids_editable=ids_editable,
        question_id=question_id,
        confirm=ConfirmForm(),
        changed_from=(
            QUESTION_TYPES[questions[index]["type"]].label
            if question_id != "new" and kind != questions[index]["type"]
            else None
        ),
        type_changes=editing.TYPE_CHANGES.get(kind, ()) if question_id != "new" else (),
        saved=questions[index] if question_id != "new" else None,
    )


@bp.route("/banks/<key>/draft/questions/<question_id>/type", methods=["GET", "POST"])
@authors
def change_question_type(key: str, question_id: str) -> str | Response | tuple[str, int]:
    """Choose another type for a question, among those its fields carry over to."""
    draft = _draft(key)
    index = editing.index_of(draft.content["questions"], question_id)
    if index is None:
        abort(404)
    kind = draft.content["questions"][index]["type"]
    targets = editing.TYPE_CHANGES.get(kind, ())
    form = QuestionTypeForm()
    form.type.choices = [(name, QUESTION_TYPES[name].label) for name in targets]
    if targets and form.validate_on_submit():
        return redirect(
            url_for("author.draft_question", key=key, question_id=question_id, type=form.type.data)
        )
    return _form_page(
        "author/question_type.html",
        bool(form.errors),
        draft=draft,
        form=form,
        changing=question_id,
        label=QUESTION_TYPES[kind].label,
    )


def _new_question_id(
    form: QuestionForm,
    questions: list[dict[str, Any]],
    question_id: str,
    kind: str,
    *,
    editable: bool,
) -> str | None:
    """The id the question is saved under: the one typed, while the bank has never been
    published (nothing in a bank refers to a question by id, and no statistics exist yet:
    after the first version they link a question across versions by its id, so it stays);
    else the current id, or one made from a new question's first words. None, with an
    error on the form, when the typed id can't be used."""
    taken = [q["id"] for q in questions if q["id"] != question_id]
    typed = (form.question_id.data or "").strip() if editable else ""
    if not typed:
        if question_id != "new":
            return question_id
        return editing.question_id(form.prompt.data or kind, taken)
    if not re.fullmatch(SLUG_PATTERN, typed):
        form.question_id.errors = [
            "The question id must use only lower-case letters, numbers and single hyphens,"
            " like q-refer-early"
        ]
        return None
    if typed == "new":  # the address of the page for a new question
        form.question_id.errors = ["The question id can't be \u201cnew\u201d: choose another"]
        return None
    if typed in taken:
        form.question_id.errors = [f"Another question already has the id {typed}"]
        return None
    return typed


_OPTION_ACTION = re.compile(r"(remove|up|down)-option-([1-9][0-9]*)")


def _change_options(form: QuestionForm, action: str) -> bool:
    """Add, remove or move an option row (numbered from 1, as the page shows them), keeping
    every value typed. False when the action is not one of these."""
    rows = [dict(entry.form.data) for entry in form.options.entries]
    if action == "add-option":
        if len(rows) >= MAX_OPTIONS:
            form.form_errors.append(f"A question can have at most {MAX_OPTIONS} options")
        else:
            rows.append({})
    else:
        match = _OPTION_ACTION.fullmatch(action)
        if match is None or int(match.group(2)) > len(rows):
            return False
        verb, index = match.group(1), int(match.group(2)) - 1
        if verb == "remove":
            del rows[index]
        else:
            editing.move(rows, index, -1 if verb == "up" else 1)
    form.options.entries = []
    form.options.last_index = -1
    for row in rows:
        form.options.append_entry(row)
    return True


def _pool_choices(form: QuestionForm, data: dict[str, Any], question_id: str) -> dict[str, str]:
    """Fill the pool radios and the question list for a new pool; return each pool's
    hint (which questions are in it)."""
    hints = {}
    form.pool.choices = [(QuestionForm.NO_POOL, "Not in a pool")]
    for pool, members in editing.pools(data).items():
        others = [m["id"] for m in members if m["id"] != question_id]
        mine = len(others) < len(members)
        form.pool.choices.append(
            (pool, f"Pool {pool}" + (" (this question's pool)" if mine else ""))
        )
        hints[pool] = ("This question and " if mine else "Variants: ") + _and(others)
    # Questions sharing a tag with this one come first: likely variants of it.
    tags = set(next((q.get("tags", []) for q in data["questions"] if q["id"] == question_id), []))
    candidates = [
        q
        for q in data["questions"]
        if q["id"] != question_id
        and not q.get("pool")
        and QUESTION_TYPES.get(q.get("type", ""), QUESTION_TYPES["reflection"]).scored
    ]
    partners = []
    for q in sorted(candidates, key=lambda q: not tags & set(q.get("tags", []))):
        label = f"{q['id']}: {_short(q.get('prompt', ''), 80)}"
        if shared := sorted(tags & set(q.get("tags", []))):
            label += f" (also tagged {', '.join(shared)})"
        partners.append((q["id"], label))
    if partners:
        form.pool.choices.append((QuestionForm.NEW_POOL, "A new pool with another question"))
    form.pool_with.choices = [("", "Choose a question"), *partners]
    return hints


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _join_pool(
    form: QuestionForm, data: dict[str, Any], question: dict[str, Any], index: int
) -> set[str] | None:
    """Put `question` in the pool the author chose (a new pool also takes its partner).
    Returns the ids of other questions whose pool changed or whose pool it joined;
    None, with an error on the form, when the choice can't be used."""
    choice = form.pool.data
    if choice is None:  # not offered: kept as it was
        return set()
    if form.pool_with.data and choice != QuestionForm.NEW_POOL:
        form.pool.errors = [
            f"Select \u201cA new pool with another question\u201d to make a pool with"
            f" {form.pool_with.data}, or choose no question for a new pool"
        ]
        return None
    old = question.get("pool")
    members = editing.pools(data)
    touched = {q["id"] for q in members.get(old, [])} if old else set()
    if choice == QuestionForm.NO_POOL:
        question.pop("pool", None)
    elif choice in members:
        question["pool"] = choice
        touched |= {q["id"] for q in members[choice]}
    elif choice == QuestionForm.NEW_POOL:
        partner_id = form.pool_with.data
        valid = {value for value, _label in form.pool_with.choices if value}
        if partner_id not in valid:
            form.pool_with.errors = ["Select the question to make a pool with"]
            return None
        partner_index = editing.index_of(data["questions"], partner_id)
        assert partner_index is not None
        partner = data["questions"][partner_index]
        first = partner if partner_index < index else question
        pool = editing.new_pool_id(data, first["id"])
        question["pool"] = partner["pool"] = pool
        touched.add(partner_id)
    else:
        form.pool.errors = ["Select a pool, or not in a pool"]
        return None
    touched.discard(question["id"])
    return touched


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@bp.route("/banks/<key>/draft/<section>/<item_id>/move", methods=["POST"])
@authors
def move_item(key: str, section: str, item_id: str) -> Response:
    if section not in SECTIONS or not ConfirmForm().validate_on_submit():
        abort(400 if section in SECTIONS else 404)
    draft = _draft(key)
    data = editing.copy_of(draft.content)
    index = editing.index_of(data[section], item_id)
    if index is None:
        abort(404)
    delta = -1 if request.form.get("direction") == "up" else 1
    if editing.move(data[section], index, delta):
        operations.save_draft(
            draft, data, user=current_user, action="draft.edit", what=f"order of {section}"
        )
        db.session.commit()
    return redirect(url_for("author.draft", key=key) + f"#{SECTIONS[section]}-{item_id}")


@bp.route("/banks/<key>/draft/<section>/<item_id>/delete", methods=["POST"])
@authors
def delete_item(key: str, section: str, item_id: str) -> Response:
    if section not in SECTIONS or not ConfirmForm().validate_on_submit():
        abort(400 if section in SECTIONS else 404)
    draft = _draft(key)
    data = editing.copy_of(draft.content)
    index = editing.index_of(data[section], item_id)
    if index is None:
        abort(404)
    users = (
        editing.questions_testing(data, item_id)
        if section == "findings"
        else editing.questions_in(data, item_id)
        if section == "stages"
        else []
    )
    if users:
        flash(
            f"This {SECTIONS[section]} can't be removed while questions use it: "
            + ", ".join(users),
            "info",
        )
        return redirect(url_for("author.draft", key=key) + f"#{section}")
    del data[section][index]
    left_alone = editing.leave_lonely_pools(data) if section == "questions" else []
    operations.save_draft(
        draft, data, user=current_user, action="draft.edit", what=f"removed {item_id}"
    )
    db.session.commit()
    flash(f"{SECTIONS[section].capitalize()} removed.", "success")
    _say_left_alone(left_alone)
    return redirect(url_for("author.draft", key=key) + f"#{section}")


@bp.route("/banks/<key>/draft/questions/<question_id>/duplicate", methods=["POST"])
@authors
def duplicate_question(key: str, question_id: str) -> Response:
    """A copy of the question straight after it, with a new id (and in the same pool, as
    another variant), to edit from there."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    draft = _draft(key)
    data = editing.copy_of(draft.content)
    questions = data["questions"]
    index = editing.index_of(questions, question_id)
    if index is None:
        abort(404)
    copy = editing.copy_of(questions[index])
    copy["id"] = editing.unique_id(question_id, [q["id"] for q in questions])
    questions.insert(index + 1, copy)
    operations.save_draft(
        draft, data, user=current_user, action="draft.edit", what=f"copied {question_id}"
    )
    db.session.commit()
    flash(f"Question {question_id} copied as {copy['id']}: you are changing the copy.", "success")
    return redirect(url_for("author.draft_question", key=key, question_id=copy["id"]))


@bp.route("/banks/<key>/draft/questions/<question_id>/leave-pool", methods=["POST"])
@authors
def leave_pool(key: str, question_id: str) -> Response:
    """Take a question out of its pool (a variant no longer wanted as one)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    draft = _draft(key)
    data = editing.copy_of(draft.content)
    index = editing.index_of(data["questions"], question_id)
    if index is None:
        abort(404)
    pool = data["questions"][index].pop("pool", None)
    if pool is not None:
        left_alone = editing.leave_lonely_pools(data)
        operations.save_draft(
            draft, data, user=current_user, action="draft.edit", what=f"{question_id} left {pool}"
        )
        db.session.commit()
        flash(f"Question {question_id} is no longer in pool {pool}.", "success")
        _say_left_alone(left_alone)
    return redirect(url_for("author.draft", key=key) + f"#question-{question_id}")


def _say_left_alone(left_alone: list[tuple[str, str]]) -> None:
    for other_id, pool in left_alone:
        flash(
            f"Question {other_id} is no longer in a pool: it was the only question left"
            f" in pool {pool}.",
            "info",
        )


@bp.route("/banks/<key>/draft/discard", methods=["POST"])
@authors
def discard_draft(key: str) -> Response:
    draft = _draft(key)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    operations.discard_draft(draft, user=current_user)
    db.session.commit()
    flash("Draft discarded.", "success")
    still_there = db.session.scalar(sa.select(Bank).where(Bank.key == key))
    return redirect(url_for("author.bank", key=key) if still_there else url_for("author.banks"))


@bp.route("/banks/<key>/draft/publish", methods=["POST"])
@authors
def publish(key: str) -> str | Response | tuple[str, int]:
    draft = _draft(key)
    form = PublishForm()
    status = 422
    if form.validate_on_submit():
        try:
            version = operations.publish_draft(
                draft,
                change_note=form.change_note.data,
                user=current_user,
                now=utcnow(),
            )
        except operations.PublishRefused as refused:
            db.session.rollback()
            form.change_note.errors = []
            form.form_errors.extend(refused.problems)
            if isinstance(refused, operations.NewerVersionPublished):
                status = 409  # the draft page links to the update page
        else:
            db.session.commit()
            flash(f"Version {version.number} published.", "success")
            return redirect(url_for("author.bank", key=key))
    return _draft_page(_draft(key), form), status


@bp.route("/banks/<key>/draft/update", methods=["GET", "POST"])
@authors
def draft_update(key: str) -> str | Response | tuple[str, int]:
    """Bring the draft up to date with the newest version published since it was started:
    per question, finding, stage (and the details) changed on either side, the author
    chooses which to keep. Where only one side changed, that side is chosen already;
    conflicts must be chosen (see authoring/merge.py)."""
    draft = _draft(key)
    newer = operations.published_since(draft)
    if not newer:
        flash("Your draft is up to date: no version was published since you started it.", "info")
        return redirect(url_for("author.draft", key=key))
    newest = newer[-1]
    base = operations.base_of(draft)
    comparison = merge.three_way(base.content if base else {}, draft.content, newest.content)
    form = ConfirmForm()
    chosen: dict[str, str] = dict(comparison.defaults())
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if request.form.get("newest") != str(newest.number) or request.form.get(
            "draft"
        ) != operations.fingerprint(draft.content):
            # Choices made against other content are not applied to this content.
            form.form_errors.append(
                f"Your draft or the newest version (now version {newest.number}) changed"
                " while you were choosing. Check the changes below and choose again."
            )
            status = 409
        else:
            for item in comparison.changed:
                value = request.form.get(_choice_name(item))
                if value in merge.SIDES:
                    chosen[item.key] = value
                elif item.conflict or value is not None:
                    errors[item.key] = f"Choose which version of {_item_name(item)} to keep"
            if not errors:
                merged = merge.apply(comparison, chosen)
                approved = draft.approved_by_id is not None
                operations.update_draft(
                    draft,
                    merged,
                    newest=newest,
                    choices={item.key: chosen[item.key] for item in comparison.changed},
                    user=current_user,
                )
                db.session.commit()
                flash(
                    f"Your draft is up to date with version {newest.number}."
                    + _withdrawn(approved, draft),
                    "success",
                )
                problems = operations.publish_problems(draft)
                if problems:  # e.g. a question kept in a part of the story deleted
                    flash(
                        f"{len(problems)} thing{'s' if len(problems) != 1 else ''} to fix"
                        " before you publish: see the list below.",
                        "info",
                    )
                return redirect(url_for("author.draft", key=key))
            status = 422
            chosen = {k: v for k, v in chosen.items() if k not in errors}
    page = render_template(
        "author/draft_update.html",
        draft=draft,
        base=base,
        newest=newest,
        comparison=comparison,
        rows=[_update_row(item, newest.number, chosen, errors) for item in comparison.changed],
        errors=errors,
        form=form,
        fingerprint=operations.fingerprint(draft.content),
    )
    return (page, status) if status != 200 else page


def _choice_name(item: merge.MergeItem) -> str:
    return f"choice-{item.kind}-{item.id}"


def _item_name(item: merge.MergeItem) -> str:
    return "the bank's details" if item.kind == merge.DETAILS else f"{item.noun} {item.id}"


#: What each status is called on the update page (n: the newest version's number).
_STATUS_TEXT = {
    "changed_mine": "Changed in your draft",
    "changed_theirs": "Changed in version {n}",
    "added_mine": "Added in your draft",
    "added_theirs": "Added in version {n}",
    "deleted_mine": "Removed in your draft",
    "deleted_theirs": "Removed in version {n}",
    "same_change": "Changed the same way in both",
    "conflict": "Changed in both: choose which to keep",
}


def _choice_label(item: merge.MergeItem, side: merge.Side, n: int) -> str:
    """The radio for keeping `side`'s item, in words that say what happens to it."""
    whose = "your draft" if side == "mine" else f"version {n}"
    other = item.side("theirs" if side == "mine" else "mine")
    if item.side(side) is None:
        if item.base is None:
            return f"Leave it out, as {whose} does"
        return "Keep it deleted" if side == "mine" else f"Delete it, as version {n} did"
    if other is None and item.base is None:
        return f"Keep the {item.noun} {whose} added"
    if other is None:
        return f"Keep the {item.noun}" + (
            f", with {whose}'s changes" if item.changed_on(side) else ""
        )
    return "Keep your draft's version" if side == "mine" else f"Use version {n}'s"


def _update_row(
    item: merge.MergeItem, n: int, chosen: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    """What the update page shows of one changed item."""
    shown = item.mine or item.theirs or item.base or {}
    summary = shown.get("prompt") or shown.get("title") or shown.get("text") or ""
    return {
        "item": item,
        "name": _choice_name(item),
        "title": (
            "The bank's details"
            if item.kind == merge.DETAILS
            else f"{item.noun.capitalize()} {item.id}"
            + (f": {_short(str(summary), 80)}" if summary else "")
        ),
        "status": _STATUS_TEXT[item.status].format(n=n),
        "error": errors.get(item.key),
        "choices": [
            {
                "value": side,
                "text": _choice_label(item, side, n),
                "checked": chosen.get(item.key) == side,
            }
            for side in merge.SIDES
        ],
    }


@bp.route("/banks/<key>/draft/approve", methods=["POST"])
@authors
def approve(key: str) -> str | Response | tuple[str, int]:
    """A second author approves the draft as it is (banks that need one): someone who
    edited it may not (403); a draft with problems can't be approved (422)."""
    draft = _draft(key)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        operations.approve_draft(
            draft, user=current_user, now=utcnow(), seen=request.form.get("draft", "")
        )
    except operations.ApprovalRefused as refused:
        db.session.rollback()
        form.form_errors.extend(refused.problems)
        return _draft_page(_draft(key), PublishForm(formdata=None), form), refused.status
    db.session.commit()
    flash("Draft approved. It can now be published.", "success")
    return redirect(url_for("author.draft", key=key) + "#approval")


@bp.route("/briefings/new", methods=["GET", "POST"])
@authors
def new_from_briefing() -> str | Response | tuple[str, int]:
    from ..authoring.briefing import BriefingError, parse_briefing

    form = BriefingForm()
    if form.validate_on_submit():
        text = form.text.data or ""
        if form.upload.data:
            raw = form.upload.data.read()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                form.upload.errors = ["The file must be plain text saved as UTF-8"]
        if not form.upload.errors and not text.strip():
            form.text.errors = ["Paste the learning briefing, or upload it as a text file"]
        if not form.errors:
            try:
                result = parse_briefing(
                    text,
                    title=(form.title.data or "").strip() or None,
                    publisher=(form.publisher.data or "").strip() or None,
                )
            except BriefingError as error:
                form.text.errors = [str(error)]
            else:
                draft = operations.create_bank_from_draft(
                    result.data,
                    user=current_user,
                    now=utcnow(),
                    reading={"kinds": result.kind_reasons, "not_used": result.unused_lines},
                )
                db.session.commit()
                for warning in result.warnings:
                    flash(warning, "info")
                flash("Draft made. Replace every placeholder before you publish.", "success")
                return redirect(url_for("author.draft", key=draft.bank.key))
    return _form_page("author/briefing.html", bool(form.errors), form=form)
