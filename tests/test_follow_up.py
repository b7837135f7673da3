"""The follow-up some weeks after a pass (quizapp/impact/follow_up.py): when it is due, the
invitation sent exactly once through `flask reminders send`, the weak findings and the
draw, the pages, the marks, and that a submitted follow-up never changes."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from quizapp.demo import _answer
from quizapp.extensions import db
from quizapp.impact import follow_up as fu
from quizapp.models import (
    Attempt,
    Completion,
    ConfidenceRating,
    FollowUp,
    FollowUpResponse,
    Question,
    ReminderSend,
    Response,
    Role,
    utcnow,
)
from quizapp.models.guards import ImmutableRecordError
from quizapp.take import operations
from quizapp.take.layout import seeded_arrangement
from quizapp.web import LONDON

from .factories import answer_form, check_for, create_agency, create_user, import_bank_text
from .factories import small_bank as small_bank_text
from .mail import LINK
from .test_take import _summary_cards

#: A Monday, 8am (UK time is UTC in January).
T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
URL = "http://quizapp.test"
SUBJECT = "A 5-minute follow-up to your safeguarding check"
EXAMPLE = "I rang children's social care about the Smith family on 3 March."

#: The small bank with its true/false question in a pool of two, so a follow-up on
#: "referral" can draw the variant the pass did not show.
VARIANT = """\
  - id: q-true-false-b
    stage: second
    type: true_false
    pool: q-true-false
    findings: [referral]
    prompt: You must wait for consent before a referral.
    feedback: Not when a child is at risk of significant harm.
    answer: false
    feedback_true: You can refer without consent when a child is at risk.
    feedback_false: Right; refer without waiting when a child is at risk.
"""
CONFIDENCE = {
    "sharing": "to share information without consent",
    "referral": "to make a timely referral",
}


def pooled_check(*, confidence: dict[str, str] | None = CONFIDENCE):
    text = small_bank_text(
        **{
            "    type: true_false\n": "    type: true_false\n    pool: q-true-false\n",
            "  - id: q-ordering\n": VARIANT + "  - id: q-ordering\n",
        }
    )
    check = check_for(import_bank_text(text, confidence=confidence))
    check.attempts_allowed = None
    db.session.commit()
    return check


def drawn_questions(attempt: Attempt) -> list[Question]:
    return [
        q
        for q in attempt.bank_version.questions
        if attempt.question_ids is None or q.id in attempt.question_ids
    ]


def pass_check(user, check, *, at: datetime, wrong: tuple[str, ...] = ()) -> Attempt:
    """Answer every question right at "very sure", except those on a finding in `wrong`
    (wrong, very sure); the attempt must pass."""
    attempt = operations.start_attempt(user, check, now=at)
    rng = random.Random(3)
    for question in drawn_questions(attempt):
        if question.type == "reflection":
            operations.save_answer(attempt, question, "Private", None, now=at)
            continue
        right = not {f.key for f in question.findings} & set(wrong)
        operations.save_answer(attempt, question, _answer(question, right, rng), 3, now=at)
    operations.submit_attempt(attempt, now=at)
    db.session.commit()
    assert attempt.passed, attempt.percent
    return attempt


def weak_from_rows(attempt: Attempt) -> set[str]:
    """The weak-finding rule worked out again from the stored responses."""
    gained: dict[str, float] = defaultdict(float)
    available: dict[str, float] = defaultdict(float)
    weak = set()
    for response in db.session.scalars(sa.select(Response).where(Response.attempt == attempt)):
        if response.fraction is None:
            continue
        for finding in response.question.findings:
            gained[finding.key] += response.fraction * response.question.points
            available[finding.key] += response.question.points
            if response.fraction == 0 and response.certainty == 3:
                weak.add(finding.key)
    weak |= {k for k in available if gained[k] / available[k] * 100 < attempt.pass_mark}
    return weak


def run(app, now: datetime):
    return app.test_cli_runner().invoke(
        args=["reminders", "send", "--url", URL, "--now", now.isoformat()]
    )


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- The clock moves: exactly one invitation --------------------------------------------


def test_a_pass_then_eight_weeks_then_exactly_one_invitation(app, mailbox):
    check = pooled_check()
    assert check.follow_up_weeks == 8
    user = create_user(agency=create_agency())
    attempt = pass_check(user, check, at=T0, wrong=("referral",))
    weak = weak_from_rows(attempt)
    assert weak == {"referral"}
    shown = {q.key for q in drawn_questions(attempt)}

    eight_weeks = T0 + timedelta(weeks=8)
    result = run(app, eight_weeks - timedelta(days=1))
    assert result.exit_code == 0, result.output
    assert mailbox.messages == []
    assert count(ReminderSend) == 0 and count(FollowUp) == 0

    result = run(app, eight_weeks)
    assert result.exit_code == 0, result.output
    assert "follow-up: 1 sent" in result.output
    message = mailbox.only()
    assert message["X-Envelope-To"] == user.email and message["Subject"] == SUBJECT
    body = message.get_content()
    assert "optional" in body and "under five minutes" in body
    # 16 weeks after the pass: 27 April 2026, 9am in UK summer time.
    assert "open until 27 April 2026 at 9:00am" in body
    assert LINK.findall(body) == [f"/follow-ups/{attempt.id}"]
    sends = db.session.execute(
        sa.select(
            ReminderSend.user_id, ReminderSend.check_id, ReminderSend.kind, ReminderSend.period
        )
    ).all()
    assert sends == [(user.id, check.id, "follow-up", str(attempt.id))]
    (row,) = db.session.scalars(sa.select(FollowUp)).all()
    assert row.attempt_id == attempt.id and row.user_id == user.id
    assert row.invited_at == eight_weeks and row.due_at == T0 + timedelta(weeks=8)
    assert row.weak_findings == ["referral"]
    # On the weak findings only: one question, on "referral", the variant not shown.
    (question,) = [db.session.get(Question, i) for i in row.question_ids]
    assert {f.key for f in question.findings} <= weak
    assert question.key not in shown and question.key.startswith("q-true-false")

    mailbox.messages.clear()
    for later in (eight_weeks, eight_weeks + timedelta(days=1)):
        result = run(app, later)
        assert result.exit_code == 0 and mailbox.messages == []
    assert count(ReminderSend) == 1 and count(FollowUp) == 1


def test_no_invitation_when_closed_superseded_retired_or_switched_off(app, mailbox):
    check = pooled_check()
    early, late, gone = (create_user() for _ in range(3))
    pass_check(early, check, at=T0 - timedelta(weeks=9))  # due a week ago...
    pass_check(late, check, at=T0 - timedelta(weeks=17))  # closed: 8 weeks after due
    first = pass_check(gone, check, at=T0 - timedelta(weeks=8))
    pass_check(gone, check, at=T0 - timedelta(weeks=1))  # a later pass supersedes it
    run(app, T0)
    assert [m["X-Envelope-To"] for m in mailbox.messages] == [early.email]
    assert not fu.due_follow_ups(T0, attempt_id=first.id)
    check.follow_up_weeks = None
    db.session.commit()
    assert fu.due_follow_ups(T0 + timedelta(weeks=8)) == []


def test_invitations_follow_the_agencys_reminder_switches(app, mailbox):
    """An agency with every reminder to people off (the digest to leads alone on) sends no
    invitation; turning one back on sends it, once; people in no agency get theirs."""
    check = pooled_check()
    quiet = create_agency(name="Quiet agency")
    quiet.reminder_due_soon = quiet.reminder_expiring = quiet.reminder_overdue = False
    loud = create_agency(name="Loud agency")
    loud.reminder_due_soon = loud.reminder_expiring = loud.reminder_digest = False
    quiet_person, loud_person, nobody = (
        create_user(agency=quiet),
        create_user(agency=loud),
        create_user(),
    )
    for user in (quiet_person, loud_person, nobody):
        pass_check(user, check, at=T0)
    run(app, T0 + timedelta(weeks=8))
    sent = sorted(m["X-Envelope-To"] for m in mailbox.messages)
    assert sent == sorted([loud_person.email, nobody.email])
    assert quiet_person.id not in {row.user_id for row in db.session.scalars(sa.select(FollowUp))}
    mailbox.messages.clear()
    quiet.reminder_expiring = True
    db.session.commit()
    for day in (1, 2):
        run(app, T0 + timedelta(weeks=8, days=day))
    assert [m["X-Envelope-To"] for m in mailbox.messages] == [quiet_person.email]


@pytest.mark.parametrize("stored", ["as written", "in another ISO form"])
def test_due_at_the_exact_moment_and_closed_at_the_exact_expiry(app, stored):
    """A one-week check: due exactly a week after the pass, not a microsecond before;
    closed exactly when the pass expires. The same with the pass's datetimes stored in
    another ISO form ("T", an offset, no microseconds), which on SQLite compares as text
    and once put the pass on the wrong side of the query's bound at that very moment."""
    check = pooled_check()
    check.follow_up_weeks = 1
    db.session.commit()
    attempt = pass_check(create_user(), check, at=T0)
    expires = T0 + timedelta(weeks=1, days=3)
    if stored == "as written":
        db.session.execute(
            sa.update(Completion)
            .where(Completion.attempt_id == attempt.id)
            .values(expires_at=expires)
        )
    else:
        db.session.execute(
            sa.text("UPDATE completions SET passed_at = :p, expires_at = :e WHERE attempt_id = :a"),
            {"p": T0.isoformat(), "e": expires.isoformat(), "a": attempt.id},
        )
    db.session.commit()
    db.session.expire_all()
    due = T0 + timedelta(weeks=1)
    tick = timedelta(microseconds=1)

    def open_at(now):
        return [d.due_at for d in fu.due_follow_ups(now, attempt_id=attempt.id)]

    assert open_at(due - tick) == []
    assert open_at(due) == [due]
    assert open_at(expires - tick) == [due]
    assert open_at(expires) == []


def test_a_run_while_the_person_has_it_open_marks_it_invited(app, mailbox):
    check = pooled_check()
    user = create_user()
    attempt = pass_check(user, check, at=T0, wrong=("referral",))
    (due,) = fu.due_follow_ups(T0 + timedelta(weeks=8, hours=1))
    made = fu.open_follow_up(due, now=T0 + timedelta(weeks=8, hours=1))
    db.session.commit()
    draw = list(made.question_ids)
    run(app, T0 + timedelta(weeks=8, days=1))
    assert len(mailbox.messages) == 1
    db.session.expire_all()
    (row,) = db.session.scalars(sa.select(FollowUp)).all()
    assert row.attempt_id == attempt.id and row.question_ids == draw
    assert row.invited_at == T0 + timedelta(weeks=8, days=1)


# --- Weak findings and the draw ----------------------------------------------------------


def test_weak_findings_rule():
    answer = fu.MarkedAnswer
    answers = [
        answer(("a",), 2, 1.0, 3),
        answer(("a", "b"), 1, 0.5, 1),  # b: 50%
        answer(("c",), 1, 0.0, 3),  # c: confidently wrong
        answer(("d",), 4, 0.0, 2),
        answer(("d",), 1, 1.0, 3),  # d: 1 of 5
        answer(("e",), 5, 1.0, 3),
        answer(("e",), 1, 0.0, 1),  # e: 5 of 6 = 83%, wrong but not sure: fine
    ]
    keys = fu.weak_finding_keys(answers, pass_mark=80, order=["e", "d", "c", "b", "a"])
    assert keys == ["d", "c", "b"]


def test_the_draw_gives_one_question_per_weak_finding_preferring_fresh_ones():
    c = fu.Candidate
    candidates = [
        c(1, "shown-a", ("a",)),
        c(2, "fresh-a", ("a",)),
        c(3, "both", ("b", "c")),
        c(4, "shown-d", ("d",)),
    ]
    for seed in range(20):
        drawn = fu.draw(
            candidates, ["a", "b", "c", "d", "x"], shown={"shown-a", "shown-d"}, seed=seed
        )
        # a: the fresh one; b and c: one question serves both; d: only the shown one; x: none.
        assert drawn == [2, 3, 4]
    assert fu.draw(candidates, [], shown=set(), seed=1) == []
    pool = [c(i, f"q{i}", ("a",)) for i in range(10)]
    assert fu.draw(pool, ["a"], shown=set(), seed=5) == fu.draw(pool, ["a"], shown=set(), seed=5)
    assert len({fu.draw(pool, ["a"], shown=set(), seed=s)[0] for s in range(30)}) > 1


# --- The pages -----------------------------------------------------------------------------


def _due_now(*, wrong=("referral",), confidence=CONFIDENCE):
    check = pooled_check(confidence=confidence)
    user = create_user()
    attempt = pass_check(user, check, at=utcnow() - timedelta(weeks=9), wrong=wrong)
    return check, user, attempt


def _row(attempt) -> FollowUp:
    db.session.expire_all()
    return db.session.scalars(sa.select(FollowUp).where(FollowUp.attempt_id == attempt.id)).one()


def test_no_weak_findings_gets_confidence_and_practice_only(app, client, auth):
    _check, user, attempt = _due_now(wrong=())
    assert weak_from_rows(attempt) == set()
    auth.sign_in(user.email)
    start = client.get(f"/follow-ups/{attempt.id}")
    assert start.status_code == 200
    page = start.get_data(as_text=True)
    assert "Start follow-up" in page and "question" not in page.split("You will be asked")[1]
    row = _row(attempt)
    assert row.weak_findings == [] and row.question_ids == []
    assert client.get(f"/follow-ups/{attempt.id}/questions/1").status_code == 404
    assert f'href="/follow-ups/{attempt.id}/confidence"' in page
    response = client.post(
        f"/follow-ups/{attempt.id}/confidence", data={"finding-1": "4", "finding-2": "skip"}
    )
    assert response.location.endswith(f"/follow-ups/{attempt.id}/practice")
    response = client.post(f"/follow-ups/{attempt.id}/practice", data={"used": "not-yet"})
    assert response.location.endswith(f"/follow-ups/{attempt.id}/check-answers")
    response = client.post(f"/follow-ups/{attempt.id}/check-answers")
    assert response.location.endswith(f"/follow-ups/{attempt.id}/done")
    row = _row(attempt)
    assert (row.score, row.max_score, row.percent) == (0, 0, None)
    assert row.used_in_practice == "not-yet" and row.practice_example is None
    ratings = db.session.execute(
        sa.select(
            ConfidenceRating.attempt_id, ConfidenceRating.finding_key, ConfidenceRating.rating
        )
        .where(ConfidenceRating.moment == "follow-up")
        .order_by(ConfidenceRating.finding_key)
    ).all()
    assert ratings == [(attempt.id, "referral", None), (attempt.id, "sharing", 4)]
    assert client.get(f"/follow-ups/{attempt.id}/done").status_code == 200


@pytest.mark.parametrize("right", [True, False])
def test_marks_are_right_and_shown_with_feedback(app, client, auth, right):
    _check, user, attempt = _due_now()
    auth.sign_in(user.email)
    client.get(f"/follow-ups/{attempt.id}")
    row = _row(attempt)
    (question,) = [db.session.get(Question, i) for i in row.question_ids]
    arrangement = seeded_arrangement(row.seed, question.id)
    form = answer_form(question.spec, right=right, arrangement=arrangement)
    url = f"/follow-ups/{attempt.id}/questions/1"
    response = client.post(url, data={**form, "certainty": "2"})
    assert response.location.endswith(f"/follow-ups/{attempt.id}/confidence")
    # Going back shows the answer kept.
    page = client.get(url).get_data(as_text=True)
    assert 'value="2" checked' in page
    client.post(f"/follow-ups/{attempt.id}/confidence", data={"action": "skip-all"})
    client.post(f"/follow-ups/{attempt.id}/practice", data={"used": "yes", "example": EXAMPLE})
    summary = client.get(f"/follow-ups/{attempt.id}/check-answers").get_data(as_text=True)
    assert EXAMPLE.replace("'", "&#39;") in summary
    client.post(f"/follow-ups/{attempt.id}/check-answers")
    row = _row(attempt)
    expected = 1.0 if right else 0.0
    assert (row.score, row.max_score, row.percent) == (expected, 1, 100.0 * expected)
    (saved,) = row.responses
    assert (saved.fraction, saved.mark, saved.certainty) == (expected, expected, 2)
    assert saved.answer is (question.spec["answer"] if right else not question.spec["answer"])
    assert row.submitted_at is not None
    done = client.get(f"/follow-ups/{attempt.id}/done").get_data(as_text=True)
    assert f"Question 1: {int(expected)} out of 1" in done
    assert question.spec["feedback"] in done
    # Submitted: every step now leads to the marks.
    assert client.get(url).location.endswith(f"/follow-ups/{attempt.id}/done")


def test_check_your_answers_shows_a_question_as_the_checks_page_does(app, client, auth):
    """The follow-up's cards are the check's (one macro, take/_answer_card.html): the
    question, the answer and how sure; "Not answered" before an answer."""
    _check, user, attempt = _due_now()
    auth.sign_in(user.email)
    client.get(f"/follow-ups/{attempt.id}")
    (question,) = [db.session.get(Question, i) for i in _row(attempt).question_ids]
    summary = f"/follow-ups/{attempt.id}/check-answers"
    cards = _summary_cards(client.get(summary).get_data(as_text=True))
    assert cards["Question 1"] == {
        "Question": question.spec["prompt"],
        "Your answer": "Not answered",
    }
    form = answer_form(
        question.spec, right=True, arrangement=seeded_arrangement(_row(attempt).seed, question.id)
    )
    client.post(f"/follow-ups/{attempt.id}/questions/1", data={**form, "certainty": "2"})
    cards = _summary_cards(client.get(summary).get_data(as_text=True))
    assert cards["Question 1"] == {
        "Question": question.spec["prompt"],
        "Your answer": "True" if question.spec["answer"] else "False",
        "How sure you were": "Fairly sure",
    }


def test_missing_answers_are_refused_with_an_error_summary(app, client, auth):
    _check, user, attempt = _due_now()
    auth.sign_in(user.email)
    client.get(f"/follow-ups/{attempt.id}")
    base = f"/follow-ups/{attempt.id}"
    for path, data in [
        ("/questions/1", {"certainty": "1"}),
        ("/confidence", {"finding-1": "3"}),
        ("/practice", {"example": "Something"}),
        ("/check-answers", {}),
    ]:
        response = client.post(base + path, data=data)
        assert response.status_code == 422, path
        assert "There is a problem" in response.get_data(
            as_text=True
        ) or "You have not answered everything" in response.get_data(as_text=True)
    page = client.post(base + "/check-answers").get_data(as_text=True)
    assert "Answer question 1" in page
    assert "Say whether you have used this learning in your practice" in page
    assert _row(attempt).submitted_at is None


def test_only_the_owner_and_only_while_open(app, client, auth):
    check, _user, attempt = _due_now()
    other = create_user()
    auth.sign_in(other.email)
    base = f"/follow-ups/{attempt.id}"
    for path in ("", "/questions/1", "/confidence", "/practice", "/check-answers", "/done"):
        assert client.get(base + path).status_code == 404, path
    assert client.post(base + "/practice", data={"used": "yes"}).status_code == 404
    assert count(FollowUp) == 0
    # Not due yet: 404 for the owner too.
    recent = pass_check(other, check, at=utcnow() - timedelta(weeks=2))
    assert client.get(f"/follow-ups/{recent.id}").status_code == 404


def test_your_checks_lists_due_follow_ups_without_changing_status(app, client, auth):
    _check, user, attempt = _due_now()
    auth.sign_in(user.email)
    page = client.get("/checks/").get_data(as_text=True)
    assert "Follow-ups" in page and f'href="/follow-ups/{attempt.id}"' in page
    table = page[page.index("<table") : page.index("</table>")]
    assert count(FollowUp) == 0  # listing makes nothing; opening does
    client.get(f"/follow-ups/{attempt.id}")
    assert count(FollowUp) == 1
    client.post(f"/follow-ups/{attempt.id}/questions/1", data={"answer": "true", "certainty": "1"})
    client.post(f"/follow-ups/{attempt.id}/confidence", data={"action": "skip-all"})
    client.post(f"/follow-ups/{attempt.id}/practice", data={"used": "yes"})
    client.post(f"/follow-ups/{attempt.id}/check-answers")
    page = client.get("/checks/").get_data(as_text=True)
    assert f'href="/follow-ups/{attempt.id}"' not in page and "Follow-ups" not in page
    assert page[page.index("<table") : page.index("</table>")] == table


def test_a_submitted_follow_up_never_changes(app):
    _check, user, _attempt = _due_now()
    (due,) = fu.due_follow_ups(utcnow(), user_id=user.id)
    row = fu.open_follow_up(due, now=utcnow())
    (question,) = fu.questions_of(row)
    fu.save_answer(row, question, True, 3, now=utcnow())
    fu.save_practice(row, "yes", EXAMPLE)
    assert fu.submit(row, now=utcnow()) is True
    db.session.commit()
    assert fu.submit(row, now=utcnow()) is False
    with pytest.raises(fu.AlreadySubmitted):
        fu.save_answer(row, question, False, 3, now=utcnow())
    row.used_in_practice = "not-yet"
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()
    response = db.session.scalars(sa.select(FollowUpResponse)).one()
    response.fraction = 0.5
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()
    db.session.add(FollowUpResponse(follow_up_id=row.id, question_id=question.id, answer=False))
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalars(sa.select(FollowUpResponse)).one())
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()


def test_the_example_appears_on_no_lead_page(app, client, auth):
    check, user, attempt = _due_now()
    auth.sign_in(user.email)
    client.get(f"/follow-ups/{attempt.id}")
    client.post(f"/follow-ups/{attempt.id}/questions/1", data={"answer": "true", "certainty": "1"})
    client.post(f"/follow-ups/{attempt.id}/confidence", data={"action": "skip-all"})
    client.post(f"/follow-ups/{attempt.id}/practice", data={"used": "yes", "example": EXAMPLE})
    client.post(f"/follow-ups/{attempt.id}/check-answers")
    assert _row(attempt).practice_example == EXAMPLE
    auth.sign_out()
    lead = create_user(roles=(Role.PRACTITIONER, Role.LEAD, Role.ADMIN))
    auth.sign_in(lead.email)
    values = {
        "check_id": check.id,
        "attempt_id": attempt.id,
        "user_id": user.id,
        "person_id": user.id,
        "bank_key": check.bank.key,
    }
    visited = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.endpoint.startswith(
            ("dashboards.", "managers.", "admin.", "impact.", "follow_up.")
        ):
            continue
        if not set(rule.arguments) <= set(values):
            continue
        path = rule.build({name: values[name] for name in rule.arguments})[1]
        response = client.get(path)
        assert response.status_code < 500, path
        assert b"Smith family" not in response.get_data(), path
        visited += 1
    assert visited > 10


def test_the_example_is_in_its_owners_data_download(app, client, auth):
    _check, user, attempt = _due_now()
    (due,) = fu.due_follow_ups(utcnow(), user_id=user.id)
    row = fu.open_follow_up(due, now=utcnow())
    fu.save_practice(row, "yes", EXAMPLE)
    db.session.commit()
    auth.sign_in(user.email)
    data = json.loads(client.get("/account/your-data.json").get_data())
    (item,) = data["follow_ups"]
    assert item["attempt"] == attempt.id and item["practice_example"] == EXAMPLE


def test_two_runs_racing_invite_each_person_once(app, mailbox, monkeypatch):
    """Two runs racing for each claim (the advisory lock switched off): each invitation
    goes once, with one FollowUp row each."""
    from contextlib import contextmanager

    from quizapp.reminders import operations as reminders

    from .test_concurrency import _race

    @contextmanager
    def no_lock():
        yield True

    monkeypatch.setattr(reminders, "run_lock", no_lock)
    check = pooled_check()
    people = [create_user() for _ in range(12)]
    attempts = [pass_check(p, check, at=T0, wrong=("referral",)) for p in people]
    now = T0 + timedelta(weeks=8)

    def work():
        with app.test_request_context(base_url=URL):
            return reminders.send_reminders(now)

    outcomes = _race(app, work)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(o.sent["follow-up"] for o in outcomes) == len(people)
    recipients = sorted(m["X-Envelope-To"] for m in mailbox.messages)
    assert recipients == sorted(p.email for p in people)
    db.session.expire_all()
    rows = db.session.execute(sa.select(FollowUp.attempt_id, FollowUp.invited_at)).all()
    assert sorted(rows) == sorted((a.id, now) for a in attempts)
    assert count(ReminderSend) == len(people)


def test_your_checks_finds_follow_ups_in_one_statement(app):
    from sqlalchemy import event

    from quizapp.take.queries import follow_ups_for

    check = pooled_check()
    user = create_user()
    attempt = pass_check(user, check, at=utcnow() - timedelta(weeks=9))
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        found = follow_ups_for(user, now=utcnow())
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [item.attempt_id for item in found] == [attempt.id]
    assert len(statements) == 1


def test_every_follow_up_form_needs_the_pages_token(csrf_app):
    import re

    check = pooled_check()
    user = create_user()
    attempt = pass_check(user, check, at=utcnow() - timedelta(weeks=9), wrong=("referral",))
    client = csrf_app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    token = token or re.search(r'name="csrf_token" value="([^"]+)"', page)
    client.post(
        "/sign-in",
        data={
            "email": user.email,
            "password": "correct horse battery staple",
            "csrf_token": token[1],
        },
    )
    base = f"/follow-ups/{attempt.id}"
    assert client.get(base).status_code == 200
    for path, data in [
        ("/questions/1", {"answer": "true", "certainty": "1"}),
        ("/confidence", {"action": "skip-all"}),
        ("/confidence", {"finding-1": "3", "finding-2": "3"}),
        ("/practice", {"used": "yes"}),
        ("/check-answers", {}),
    ]:
        assert client.post(base + path, data=data).status_code == 400, path
        page = client.get(base + path).get_data(as_text=True)
        assert 'name="csrf_token"' in page, path
    db.session.expire_all()
    row = db.session.scalars(sa.select(FollowUp)).one()
    assert row.responses == [] and row.used_in_practice is None and row.submitted_at is None
    assert count(ConfidenceRating) == 0


def test_a_follow_up_row_that_fails_does_not_undo_the_batchs_claims(app, mailbox, monkeypatch):
    """open_follow_up raising for one invitation (after its email went) keeps every claim
    of the batch: no email goes twice on the next run, and the others get their rows."""
    check = pooled_check()
    people = [create_user() for _ in range(3)]
    attempts = [pass_check(p, check, at=T0, wrong=("referral",)) for p in people]
    real = fu.open_follow_up

    def broken(due, **kwargs):
        if due.attempt_id == attempts[1].id:
            db.session.add(FollowUp(attempt_id=due.attempt_id))  # a flush error, mid-way
            db.session.flush()
        return real(due, **kwargs)

    monkeypatch.setattr(fu, "open_follow_up", broken)
    now = T0 + timedelta(weeks=8)
    result = run(app, now)
    assert result.exit_code == 0, result.output
    assert len(mailbox.messages) == 3
    db.session.expire_all()
    assert count(ReminderSend) == 3
    made = db.session.scalars(sa.select(FollowUp.attempt_id).order_by(FollowUp.attempt_id))
    assert list(made) == [attempts[0].id, attempts[2].id]
    mailbox.messages.clear()
    assert run(app, now + timedelta(days=1)).exit_code == 0
    assert mailbox.messages == []


@pytest.mark.parametrize("weeks", [4, 12, None])
def test_changing_the_weeks_leaves_a_started_follow_up_where_it_was(app, client, auth, weeks):
    """Once its row exists, a follow-up keeps its own due date and closes 8 weeks after
    it (or when the pass expires), whatever the check's setting becomes."""
    check = pooled_check()
    user = create_user()
    passed = utcnow() - timedelta(weeks=13)
    attempt = pass_check(user, check, at=passed, wrong=("referral",))
    invited = passed + timedelta(weeks=8, minutes=1)
    (due,) = fu.due_follow_ups(invited)
    fu.open_follow_up(due, now=invited, invited=True)
    db.session.commit()
    check.follow_up_weeks = weeks
    db.session.commit()
    (item,) = fu.due_follow_ups(utcnow())
    assert item.attempt_id == attempt.id
    assert item.due_at == passed + timedelta(weeks=8)
    assert item.closes_at == passed + timedelta(weeks=16)
    assert fu.due_follow_ups(passed + timedelta(weeks=16)) == []
    auth.sign_in(user.email)
    assert client.get(f"/follow-ups/{attempt.id}/questions/1").status_code == 200
    page = client.get("/checks/").get_data(as_text=True)
    assert f"/follow-ups/{attempt.id}" in page
    # The exact moment it closes, in UK time (a date alone would be out by up to a day).
    closes = (passed + timedelta(weeks=16)).astimezone(LONDON)
    assert f"open until {closes:%-d %B %Y} at {closes:%-I:%M}{closes:%p}".lower() in page.lower()


def _submitted_with_example():
    """A submitted follow-up with a practice example and follow-up ratings."""
    from quizapp.impact import confidence

    _check, user, attempt = _due_now()
    (due,) = fu.due_follow_ups(utcnow(), user_id=user.id)
    row = fu.open_follow_up(due, now=utcnow())
    (question,) = fu.questions_of(row)
    fu.save_answer(row, question, True, 3, now=utcnow())
    confidence.save_ratings(attempt.id, "follow-up", {"referral": 4}, now=utcnow())
    fu.save_practice(row, "yes", EXAMPLE)
    assert fu.submit(row, now=utcnow()) is True
    db.session.commit()
    return user, attempt, row


def test_only_clearing_the_example_gets_past_the_guard(app):
    _user, _attempt, row = _submitted_with_example()
    row.practice_example = "Something else"
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()
    row.practice_example = None
    row.used_in_practice = "not-yet"
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()
    row.practice_example = None
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(FollowUp, row.id).practice_example is None
    assert db.session.get(FollowUp, row.id).used_in_practice == "yes"


def test_a_submitted_follow_ups_ratings_never_change(app):
    _user, attempt, _row = _submitted_with_example()
    rating = db.session.scalars(
        sa.select(ConfidenceRating).where(ConfidenceRating.moment == "follow-up")
    ).one()
    rating.rating = 1
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()
    db.session.add(
        ConfidenceRating(attempt_id=attempt.id, finding_key="sharing", moment="follow-up")
    )
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(ConfidenceRating, rating.id))
    with pytest.raises(ImmutableRecordError):
        db.session.flush()
    db.session.rollback()
    # The attempt's own "after" ratings are not the follow-up's.
    db.session.add(ConfidenceRating(attempt_id=attempt.id, finding_key="sharing", moment="after"))
    db.session.commit()


def test_anonymising_clears_the_example_and_keeps_the_figures(app):
    from quizapp import privacy

    user, _attempt, row = _submitted_with_example()
    figures = (row.used_in_practice, row.score, row.max_score, row.submitted_at)
    privacy.anonymise(user, now=utcnow())
    db.session.commit()
    db.session.expire_all()
    kept = db.session.get(FollowUp, row.id)
    assert kept.practice_example is None
    assert (kept.used_in_practice, kept.score, kept.max_score, kept.submitted_at) == figures


def test_the_data_download_has_the_persons_ratings_and_reaction(app, client, auth):
    from quizapp.impact import confidence
    from quizapp.models import Reaction

    user, attempt, _row = _submitted_with_example()
    confidence.save_ratings(attempt.id, "before", {"referral": 2, "sharing": None}, now=T0)
    db.session.add(Reaction(attempt_id=attempt.id, relevant=5, clear=4, will_change=None))
    db.session.commit()
    auth.sign_in(user.email)
    data = json.loads(client.get("/account/your-data.json").get_data())
    (item,) = [a for a in data["attempts"] if a["id"] == attempt.id]
    ratings = sorted((r["moment"], r["finding"], r["rating"]) for r in item["confidence"])
    assert ratings == [
        ("before", "referral", 2),
        ("before", "sharing", None),
        ("follow-up", "referral", 4),
    ]
    reaction = item["reaction"]
    assert (reaction["relevant"], reaction["clear"], reaction["will_change"]) == (5, 4, None)


def test_two_posts_of_the_same_question_at_once_redirect_not_fail(app, client, auth, monkeypatch):
    """The second of two simultaneous answers finds no row when it looks and hits the
    unique constraint when it inserts: it is rolled back and sent back to the page."""
    _check, user, attempt = _due_now()
    auth.sign_in(user.email)
    client.get(f"/follow-ups/{attempt.id}")
    page = f"/follow-ups/{attempt.id}/questions/1"
    assert client.post(page, data={"answer": "true", "certainty": "1"}).status_code == 302
    monkeypatch.setattr(fu, "responses_of", lambda _follow_up: {})  # as the racing request saw
    response = client.post(page, data={"answer": "false", "certainty": "2"})
    assert response.status_code == 302 and response.location.endswith(page)
    (saved,) = db.session.scalars(sa.select(FollowUpResponse)).all()
    assert (saved.answer, saved.certainty) == (True, 1)


@pytest.mark.parametrize("race", ["already-submitted", "guard"])
def test_a_page_sent_after_the_follow_up_was_submitted_goes_to_the_marks(
    app, client, auth, monkeypatch, race
):
    _check, user, attempt = _due_now()
    auth.sign_in(user.email)
    client.get(f"/follow-ups/{attempt.id}")
    real = fu.save_practice

    def submitted_meanwhile(follow_up, used, example):
        with db.engine.begin() as other:  # another request, submitting it first
            other.execute(
                sa.update(FollowUp)
                .where(FollowUp.id == follow_up.id)
                .values(submitted_at=utcnow(), score=0, max_score=0, used_in_practice="yes")
            )
        if race == "already-submitted":
            raise fu.AlreadySubmitted
        real(follow_up, used, example)  # the stale object lets it try: the guard refuses

    monkeypatch.setattr(fu, "save_practice", submitted_meanwhile)
    response = client.post(f"/follow-ups/{attempt.id}/practice", data={"used": "not-yet"})
    assert response.status_code == 302
    assert response.location.endswith(f"/follow-ups/{attempt.id}/done")
    assert _row(attempt).used_in_practice == "yes"  # the other request's, not this one's
