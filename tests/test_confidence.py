"""Confidence questions (quizapp/impact/confidence.py): the form, what it records, and
what it shows again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import render_template_string
from werkzeug.datastructures import MultiDict

from quizapp.extensions import db
from quizapp.impact import confidence
from quizapp.models import ConfidenceRating, Role, utcnow
from quizapp.take import operations

from .factories import check_for, create_user, import_bank_text, small_bank


def _setup():
    outcome = import_bank_text(
        small_bank(), confidence={"sharing": "to share information without consent"}
    )
    check = check_for(outcome)
    user = create_user(roles=[Role.PRACTITIONER])
    attempt = operations.start_attempt(user, check, now=utcnow())
    db.session.commit()
    return outcome.version, attempt


def test_only_phrased_findings_are_asked_about(app):
    version, _ = _setup()
    findings = confidence.rateable_findings(version)
    assert [f.key for f in findings] == ["sharing"]
    assert confidence.question_text(findings[0]) == (
        "How confident are you to share information without consent?"
    )


def test_a_rating_or_skip_is_needed_for_each_finding(app):
    version, _ = _setup()
    findings = confidence.rateable_findings(version)
    with app.test_request_context(method="POST"):
        form = confidence.confidence_form(findings, formdata=MultiDict(), meta={"csrf": False})
        assert not form.validate()
        missing = (
            "Select how confident you are to share information without consent,"
            " or choose “Skip this question”"
        )
        assert form["finding-1"].errors == [missing]
        # Off the scale (a tampered form) gets the same words, not WTForms' own.
        form = confidence.confidence_form(
            findings, formdata=MultiDict({"finding-1": "6"}), meta={"csrf": False}
        )
        assert not form.validate()
        assert form["finding-1"].errors == [missing]


def test_ratings_are_recorded_replaced_and_shown_again(app):
    version, attempt = _setup()
    findings = confidence.rateable_findings(version)
    with app.test_request_context(method="POST"):
        form = confidence.confidence_form(
            findings, formdata=MultiDict({"finding-1": "2"}), meta={"csrf": False}
        )
        assert form.validate()
        confidence.save_ratings(
            attempt.id, "before", confidence.ratings_from(form, findings), now=utcnow()
        )
        db.session.commit()
        assert confidence.ratings_for(attempt.id, "before") == {"sharing": 2}
        confidence.save_ratings(attempt.id, "before", confidence.skipped(findings), now=utcnow())
        db.session.commit()
    rows = db.session.execute(
        sa.select(ConfidenceRating.finding_key, ConfidenceRating.moment, ConfidenceRating.rating)
    ).all()
    assert rows == [("sharing", "before", None)]
    with app.test_request_context():
        form = confidence.confidence_form(findings, meta={"csrf": False})
        confidence.fill(form, findings, confidence.ratings_for(attempt.id, "before"))
        html = render_template_string(
            '{% from "impact/_confidence.html" import confidence_questions %}'
            "{{ confidence_questions(form, findings) }}",
            form=form,
            findings=findings,
        )
    assert "How confident are you to share information without consent?" in html
    assert html.count('type="radio"') == 6
    assert 'value="skip" checked' in html
    assert "sharing" not in html.replace("share information", "")


@pytest.mark.parametrize(
    ("required", "sent", "valid", "errors"),
    [
        (True, {}, False, ["Pick one"]),
        (True, {"choice": "c"}, False, ["Pick one"]),
        (True, {"choice": "b"}, True, []),
        (False, {}, True, []),
        (False, {"choice": "c"}, False, ["Pick one"]),
    ],
)
def test_a_radio_field_refuses_missing_and_off_scale_values_in_its_own_words(
    app, required, sent, valid, errors
):
    from flask_wtf import FlaskForm
    from wtforms.fields.choices import SelectChoice

    class Form(FlaskForm):
        choice = confidence.radio_field(
            "Which?",
            [SelectChoice("a", "A"), SelectChoice("b", "B")],
            message="Pick one",
            required=required,
        )

    with app.test_request_context(method="POST"):
        form = Form(formdata=MultiDict(sent), meta={"csrf": False})
        assert form.validate() is valid
        assert form.choice.errors == errors
