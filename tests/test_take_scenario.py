"""Taking a branching scenario through the real routes: one decision per page, each
recorded once, the ending's mark counted in the check, the path shown on the result."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa

from quizapp.extensions import db
from quizapp.models import Attempt, Response, ScenarioChoice

from .factories import check_for, create_user, import_bank_text
from .scenario_bank import SCENARIO_BANK

_RADIO = re.compile(
    r'<input class="govuk-radios__input" id="([^"]+)" name="answer" type="radio" value="([^"]+)"'
)


def offered(page: str) -> dict[str, str]:
    """Alternative text -> the value its radio sends, read from the page."""
    found = {}
    for radio_id, value in _RADIO.findall(page):
        label = re.search(
            rf'<label[^>]*for="{re.escape(radio_id)}"[^>]*>\s*(.*?)\s*</label>', page, re.S
        )
        assert label is not None
        found[html.unescape(label.group(1))] = value
    return found


def sequence_of(page: str) -> str:
    found = re.search(r'name="sequence" value="(\d+)"', page)
    assert found is not None
    return found.group(1)


@pytest.fixture
def scenario_check(client, auth):
    outcome = import_bank_text(SCENARIO_BANK)
    check = check_for(outcome)
    create_user(email="hv@example.org")
    auth.sign_in("hv@example.org")
    assert client.post(f"/checks/{check.id}/start").status_code == 302
    attempt = db.session.scalars(sa.select(Attempt)).one()
    return check, attempt


def url(attempt: Attempt) -> str:
    return f"/checks/attempts/{attempt.id}/questions/conference-path"


def choose(client, attempt: Attempt, text: str):
    page = client.get(url(attempt)).get_data(as_text=True)
    values = offered(page)
    assert text in values, f"{text!r} not offered: {list(values)}"
    return client.post(
        url(attempt),
        data={"answer": values[text], "sequence": sequence_of(page), "action": "choose"},
    )


def choices(attempt: Attempt) -> list[ScenarioChoice]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(ScenarioChoice)
            .where(ScenarioChoice.attempt_id == attempt.id)
            .order_by(ScenarioChoice.sequence)
        )
    )


def scenario_response(attempt: Attempt) -> Response | None:
    db.session.expire_all()
    return db.session.scalars(
        sa.select(Response)
        .where(Response.attempt_id == attempt.id, Response.answer.is_not(None))
        .join(Response.question)
        .where(sa.text("questions.type = 'scenario'"))
    ).one_or_none()


def test_each_decision_is_a_page_and_the_best_path_earns_full_marks(client, scenario_check):
    _check, attempt = scenario_check
    first = client.get(url(attempt))
    text = first.get_data(as_text=True)
    assert first.status_code == 200
    # The scene, the story so far and the first decision; no feedback yet.
    assert "You are the health visitor" in text
    assert "Mum has missed two of your visits." in text
    assert "What do you do about the missed visits?" in text
    assert set(offered(text)) == {
        "Ask the GP whether the baby has been seen",
        "Wait for the next visit",
    }
    assert "choice-feedback" not in text
    # Nothing on the page says what an alternative is worth or which is best.
    assert "points" not in text.lower() and "ask-gp" not in text

    after = choose(client, attempt, "Ask the GP whether the baby has been seen")
    assert after.status_code == 302
    assert after.headers["Location"].endswith(f"{url(attempt)}?chosen=1")
    page = client.get(after.headers["Location"]).get_data(as_text=True)
    # Feedback on the choice comes first, announced and focused.
    banner = re.search(r'<div class="govuk-notification-banner"[^>]*>', page).group(0)
    assert 'role="alert"' in banner and 'id="choice-feedback"' in banner
    assert 'tabindex="-1"' in banner and "autofocus" in banner
    assert "You chose: Ask the GP whether the baby has been seen" in page
    assert "Asking others who know the family is professional curiosity." in page
    assert page.index("choice-feedback") < page.index("The chair proposes")
    # Coming back to the page later: the feedback is there, but not announced again.
    later = client.get(url(attempt)).get_data(as_text=True)
    banner = re.search(r'<div class="govuk-notification-banner"[^>]*>', later).group(0)
    assert "Asking others who know the family" in later
    assert 'role="alert"' not in banner and "autofocus" not in banner

    choose(client, attempt, "Say so in the meeting and explain why")
    # The condition: sharing what the GP said is offered because the GP was asked.
    page = client.get(url(attempt)).get_data(as_text=True)
    assert "Share what the GP told you with the social worker" in offered(page)
    choose(client, attempt, "Escalate under the escalation procedure")
    ending = client.get(url(attempt)).get_data(as_text=True)
    assert "The baby is protected" in ending and "Child protected" in ending
    assert 'name="answer"' not in ending

    response = scenario_response(attempt)
    assert response is not None
    assert response.answer == {
        "path": [["missed-visits", "ask-gp"], ["plan", "challenge"], ["chair-refuses", "escalate"]],
        "ending": "protected",
    }
    assert response.fraction == 1.0 and response.mark == 3.0
    recorded = choices(attempt)
    assert [(c.sequence, c.node_key, c.alternative_key, c.points, c.action) for c in recorded] == [
        (1, "missed-visits", "ask-gp", 2, "chose"),
        (2, "plan", "challenge", 2, "chose"),
        (3, "chair-refuses", "escalate", 2, "chose"),
    ]
    assert all(c.chosen_at is not None and c.attempt_id == attempt.id for c in recorded)


def test_a_shorter_path_scores_its_share_of_the_best_path(client, scenario_check):
    _check, attempt = scenario_check
    choose(client, attempt, "Wait for the next visit")
    # Without asking the GP, the conditional alternative is never offered.
    choose(client, attempt, "Say so in the meeting and explain why")
    page = client.get(url(attempt)).get_data(as_text=True)
    assert "Share what the GP told you with the social worker" not in offered(page)
    choose(client, attempt, "Ask for your dissent to be minuted")
    response = scenario_response(attempt)
    assert response.answer["ending"] == "partly"
    assert response.fraction == pytest.approx(3 / 6)
    assert response.mark == pytest.approx(1.5)


def test_refreshing_or_posting_a_decision_twice_records_it_once(client, scenario_check):
    _check, attempt = scenario_check
    page = client.get(url(attempt)).get_data(as_text=True)
    data = {
        "answer": offered(page)["Wait for the next visit"],
        "sequence": sequence_of(page),
        "action": "choose",
    }
    assert client.post(url(attempt), data=data).status_code == 302
    # The same form sent again (a double click, or the browser resending it).
    assert client.post(url(attempt), data=data).status_code == 302
    # A different answer from the same stale page changes nothing either.
    data["answer"] = offered(page)["Ask the GP whether the baby has been seen"]
    assert client.post(url(attempt), data=data).status_code == 302
    recorded = choices(attempt)
    assert [(c.node_key, c.alternative_key) for c in recorded] == [("missed-visits", "wait")]


def test_a_missing_or_forged_choice_is_refused_and_nothing_recorded(client, scenario_check):
    _check, attempt = scenario_check
    page = client.get(url(attempt)).get_data(as_text=True)
    for answer in ("", "not-a-value", "ask-gp", "0"):
        response = client.post(
            url(attempt), data={"answer": answer, "sequence": sequence_of(page), "action": "choose"}
        )
        assert response.status_code == 422
        text = response.get_data(as_text=True)
        assert "There is a problem" in text and "Select what you would do" in text
    assert choices(attempt) == []


def test_the_page_and_checks_answers_resume_where_the_path_got_to(client, scenario_check):
    check, attempt = scenario_check
    client.post(url(attempt).replace("conference-path", "warm-up"), data={"answer": "true"})
    choose(client, attempt, "Wait for the next visit")
    # Leaving and coming back: the check's page resumes at the scenario, at decision 2.
    resume = client.post(f"/checks/{check.id}/start")
    assert resume.headers["Location"].endswith(url(attempt))
    page = client.get(url(attempt)).get_data(as_text=True)
    assert "The chair proposes to step the plan down." in page
    assert "<title>Decision 2" in page
    # Not finished: submitting lists the scenario as unanswered.
    submit = client.post(f"/checks/attempts/{attempt.id}/check-answers")
    assert submit.status_code == 422


def test_going_back_is_off_by_default(client, scenario_check):
    _check, attempt = scenario_check
    choose(client, attempt, "Wait for the next visit")
    page = client.get(url(attempt)).get_data(as_text=True)
    assert "Go back and change your last decision" not in page
    client.post(url(attempt), data={"action": "back", "sequence": sequence_of(page)})
    assert [(c.alternative_key, c.withdrawn_at) for c in choices(attempt)] == [("wait", None)]


def test_going_back_withdraws_the_choice_and_keeps_it_on_record(client, scenario_check):
    check, attempt = scenario_check
    check.scenario_back = True
    db.session.commit()
    choose(client, attempt, "Wait for the next visit")
    choose(client, attempt, "Say nothing")
    assert scenario_response(attempt).answer["ending"] == "missed"
    page = client.get(url(attempt)).get_data(as_text=True)
    back = {"action": "back", "sequence": sequence_of(page)}
    client.post(url(attempt), data=back)
    client.post(url(attempt), data=back)  # sent twice: one step back, not two
    assert scenario_response(attempt) is None
    # Back at decision 2, with no feedback on the choice gone back on.
    again = client.get(url(attempt)).get_data(as_text=True)
    assert "Silence lets a plan" not in again and "choice-feedback" not in again
    choose(client, attempt, "Say so in the meeting and explain why")
    recorded = choices(attempt)
    assert [(c.action, c.alternative_key, c.withdrawn_at is not None) for c in recorded] == [
        ("chose", "wait", False),
        ("chose", "stay-silent", True),
        ("went-back", "stay-silent", False),
        ("chose", "challenge", False),
    ]
    # Going back after reading the feedback earns nothing: "plan" is marked as first
    # chosen (say nothing, 0), not as the challenge chosen after (2).
    choose(client, attempt, "Escalate under the escalation procedure")
    response = scenario_response(attempt)
    assert response.answer == {
        "path": [["missed-visits", "wait"], ["plan", "challenge"], ["chair-refuses", "escalate"]],
        "ending": "protected",
        "gone_back": [["plan", "stay-silent"]],
    }
    assert response.fraction == pytest.approx(2 / 6)


def test_the_result_shows_the_path_taken_beside_the_best_path(client, scenario_check):
    check, attempt = scenario_check
    client.post(url(attempt).replace("conference-path", "warm-up"), data={"answer": "true"})
    choose(client, attempt, "Wait for the next visit")
    choose(client, attempt, "Say nothing")
    submitted = client.post(f"/checks/attempts/{attempt.id}/check-answers")
    assert submitted.status_code == 302
    result = client.get(f"/checks/attempts/{attempt.id}/result").get_data(as_text=True)
    # Failed with attempts left: the path and its feedback, not the best path (yet).
    assert "Your path" in result and "Silence lets a plan you disagree with stand." in result
    assert "The best path" not in result and "Escalate under" not in result
    check.attempts_allowed = 1
    db.session.commit()
    result = client.get(f"/checks/attempts/{attempt.id}/result").get_data(as_text=True)
    taken = result[result.index("Your path") : result.index("The best path")]
    best = result[result.index("The best path") :]
    assert "Wait for the next visit" in taken and "Say nothing" in taken
    assert "Silence lets a plan you disagree with stand." in taken
    assert "The risk is missed" in taken
    assert "Ask the GP whether the baby has been seen" in best
    assert "Escalate under the escalation procedure" in best and "The baby is protected" in best
    # The attempt's mark: the true/false (1 of 1) and the scenario (0 of 3).
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).score == 1.0


def test_a_submitted_attempts_choices_cannot_change_even_in_sql(client, scenario_check):
    _check, attempt = scenario_check
    client.post(url(attempt).replace("conference-path", "warm-up"), data={"answer": "true"})
    choose(client, attempt, "Wait for the next visit")
    choose(client, attempt, "Say nothing")
    client.post(f"/checks/attempts/{attempt.id}/check-answers")
    with pytest.raises(sa.exc.DBAPIError):
        db.session.execute(sa.text("UPDATE scenario_choices SET alternative_key = 'ask-gp'"))
    db.session.rollback()
    with pytest.raises(sa.exc.DBAPIError):
        db.session.execute(sa.text("DELETE FROM scenario_choices"))
    db.session.rollback()
    assert [c.alternative_key for c in choices(attempt)] == ["wait", "stay-silent"]


def test_an_author_previews_a_scenario_without_recording_anything(client, auth):
    from quizapp.models import Role

    key = import_bank_text(SCENARIO_BANK).bank.key
    create_user(email="author@example.org", roles=(Role.AUTHOR,))
    auth.sign_in("author@example.org")
    assert client.post(f"/author/banks/{key}/draft/new").status_code == 302
    assert client.get(f"/author/banks/{key}/draft/preview").status_code == 302
    here = f"/author/banks/{key}/draft/preview/questions/conference-path"

    def preview_choose(text: str) -> None:
        page = client.get(here).get_data(as_text=True)
        assert "Answers here are not recorded." in page
        data = {"answer": offered(page)[text], "sequence": sequence_of(page), "action": "choose"}
        assert client.post(here, data=data).status_code == 302
        assert client.post(here, data=data).status_code == 302  # sent twice: counted once

    refused = client.post(here, data={"answer": "", "sequence": "1", "action": "choose"})
    assert refused.status_code == 422 and "Select what you would do" in refused.get_data(True)
    preview_choose("Ask the GP whether the baby has been seen")
    page = client.get(here).get_data(as_text=True)
    assert "You chose: Ask the GP whether the baby has been seen" in page
    preview_choose("Say so in the meeting and explain why")
    preview_choose("Ask for your dissent to be minuted")
    ending = client.get(here).get_data(as_text=True)
    assert "The plan stands, with your dissent recorded" in ending
    result = client.get(f"/author/banks/{key}/draft/preview/result").get_data(as_text=True)
    taken = result[result.index("Your path") : result.index("The best path")]
    assert "Ask for your dissent to be minuted" in taken and "5 points" in taken
    assert "Escalate under the escalation procedure" in result[result.index("The best path") :]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScenarioChoice)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 0


def test_going_back_is_set_in_the_bank_file_and_on_the_checks_settings_page(client, auth):
    from quizapp.models import Check, Role

    outcome = import_bank_text(
        SCENARIO_BANK.replace("  certainty: false", "  certainty: false\n  scenario_back: true")
    )
    check = check_for(outcome)
    assert check.scenario_back is True
    create_user(email="admin@example.org", roles=(Role.ADMIN,))
    auth.sign_in("admin@example.org")
    page = client.get(f"/admin/checks/{check.id}").get_data(as_text=True)
    assert "Let people go back and change a decision" in page
    form = {
        "title": check.title,
        "version": "",
        "pass_mark": "80",
        "attempts_allowed": "",
        "after_fail": "feedback",
        "refresh_months": "12",
    }  # the box left unticked
    assert client.post(f"/admin/checks/{check.id}", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Check, check.id).scenario_back is False


def test_check_answers_offers_a_finished_scenario_to_view_and_comes_back(client, scenario_check):
    _check, attempt = scenario_check
    client.post(url(attempt).replace("conference-path", "warm-up"), data={"answer": "true"})
    choose(client, attempt, "Wait for the next visit")
    choose(client, attempt, "Say nothing")
    page = client.get(f"/checks/attempts/{attempt.id}/check-answers").get_data(as_text=True)
    assert "Chose: Wait for the next visit; then Say nothing. Ending: The risk is missed" in page
    link = re.search(r'<a class="govuk-link" href="([^"]*conference-path[^"]*)">(\w+)', page)
    assert link.group(2) == "View"
    ending = client.get(html.unescape(link.group(1))).get_data(as_text=True)
    assert f'href="/checks/attempts/{attempt.id}/check-answers"' in ending


def test_the_persons_own_data_download_holds_each_choice(client, scenario_check):
    import json

    check, attempt = scenario_check
    check.scenario_back = True
    db.session.commit()
    choose(client, attempt, "Wait for the next visit")
    page = client.get(url(attempt)).get_data(as_text=True)
    client.post(url(attempt), data={"action": "back", "sequence": sequence_of(page)})
    choose(client, attempt, "Ask the GP whether the baby has been seen")
    data = json.loads(client.get("/account/your-data.json").get_data())
    [mine] = data["attempts"]
    assert [
        (c["sequence"], c["action"], c["decision"], c["alternative"], c["withdrawn_at"] is None)
        for c in mine["scenario_choices"]
    ] == [
        (1, "chose", "missed-visits", "wait", False),
        (2, "went-back", "missed-visits", "wait", True),
        (3, "chose", "missed-visits", "ask-gp", True),
    ]
    assert all(c["question"] == "conference-path" and c["at"] for c in mine["scenario_choices"])


def test_a_decision_made_again_after_a_loop_says_why_it_earns_nothing():
    import yaml

    from quizapp.take.results import scenario_path

    from .scenario_world import SCENARIO_YAML

    spec = yaml.safe_load(SCENARIO_YAML)
    path = [
        ["chair-proposes", "raise-concern"],
        ["chair-asks", "refer-back"],
        ["chair-proposes", "ask-time"],
        ["chair-asks", "keep-open"],
    ]
    taken = scenario_path(spec, path, "baby-protected", {})
    assert [(step.points, step.repeat) for step in taken.steps] == [
        (5, False),
        (0, False),
        (0, True),
        (0, True),
    ]
    assert taken.points == 5
