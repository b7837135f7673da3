"""Impact figures for leads on hand-made data: every figure against one computed here
from the raw rows, small-number suppression and differencing, the report's sentences
(exact, and never about a hidden figure), scope, and private examples never shown."""

from __future__ import annotations

import csv
import io
import math
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from quizapp.dashboards.disclosure import TOTAL
from quizapp.dashboards.suppression import percent
from quizapp.demo import _answer
from quizapp.extensions import db
from quizapp.models import (
    Agency,
    Attempt,
    Check,
    ConfidenceRating,
    Finding,
    FollowUp,
    FollowUpResponse,
    Question,
    Reaction,
    Response,
    Role,
    Team,
    User,
    utcnow,
)
from quizapp.questions import get_type
from quizapp.take import operations

from .factories import SMALL_BANK, check_for, import_bank_text
from .test_dashboards import _password_hash, count_statements, page_context, sign_in

PRIVATE = "My private example of practice 51c9"
PHRASE = "to share information with children's social care"
#: Said once per check, before its findings' sentences.
LEAD_IN = "Of the 9 people offered a follow-up, 100% answered it."
#: The sentence of "sharing" for the partnership, up to its marks (see marks_clause).
SENTENCE = (
    "Of the 16 people who rated their confidence before and after the check, confidence"
    " rose from 2.6 to 4.4 out of 5 " + PHRASE + "; the 9 of them who rated it again at"
    " follow-up gave 4.4 on average"
)


@dataclass
class ImpactWorld:
    check: Check
    agencies: dict[str, Agency]
    partnership_lead: User
    lead_a: User
    lead_b: User


def _person(name: str, agency: Agency | None, team: Team | None, roles=(Role.PRACTITIONER,)):
    user = User(
        email=f"{name.lower().replace(' ', '.')}@example.org",
        name=name,
        agency=agency,
        team=team,
        job_role="Police officer",
        level="Level 3",
        email_confirmed_at=utcnow(),
        password_hash=_password_hash(),
    )
    for role in roles:
        user.grant(role)
    db.session.add(user)
    db.session.flush()
    return user


def _pass(user: User, check: Check, *, sure_wrong: bool, at, rng) -> Attempt:
    """A pass: every scored question right but, with `sure_wrong`, the single-answer one
    wrong at "very sure" (4 of 5 marks: the pass mark is 80%)."""
    attempt = operations.start_attempt(user, check, now=at)
    for question in attempt.bank_version.questions:
        if not get_type(question.type).scored:
            operations.save_answer(attempt, question, "A reflection", None, now=at)
            continue
        right = not (sure_wrong and question.type == "single")
        certainty = 3 if not right else rng.choice((1, 2, 3))
        operations.save_answer(attempt, question, _answer(question, right, rng), certainty, now=at)
    operations.submit_attempt(attempt, now=at + timedelta(minutes=5))
    assert attempt.passed
    return attempt


def _rate(attempt: Attempt, moment: str, rating: int | None, finding: str = "sharing") -> None:
    db.session.add(
        ConfidenceRating(attempt_id=attempt.id, finding_key=finding, moment=moment, rating=rating)
    )


def _follow_up(
    attempt: Attempt, *, right: bool, certainty: int, used: str | None, submitted: bool = True
) -> None:
    single = next(q for q in attempt.bank_version.questions if q.key == "q-single")
    follow_up = FollowUp(
        attempt_id=attempt.id,
        user_id=attempt.user_id,
        check_id=attempt.check_id,
        bank_version_id=attempt.bank_version_id,
        due_at=attempt.submitted_at + timedelta(weeks=8),
        seed=1,
        weak_findings=["sharing"],
        question_ids=[single.id],
        submitted_at=attempt.submitted_at + timedelta(days=1) if submitted else None,
        score=1.0 if right else 0.0,
        max_score=1.0,
        percent=100.0 if right else 0.0,
        used_in_practice=used,
        practice_example=PRIVATE,
    )
    follow_up.responses.append(
        FollowUpResponse(
            question_id=single.id,
            answer=0,
            certainty=certainty,
            fraction=1.0 if right else 0.0,
            mark=1.0 if right else 0.0,
        )
    )
    db.session.add(follow_up)


def build_impact_world() -> ImpactWorld:
    """Agency A (6 people, one team), B (3 people: under the threshold of 5) and C (7).
    Everyone passes 30 days ago; confidence in "sharing" before: A 2, B and C 3; after:
    A and B 4, C 5 (one person in C skips the rating before "referral"); follow-ups: 4
    people in A (rating 5) and 5 in C (rating 4)."""
    rng = random.Random(7)
    now = utcnow()
    at = now - timedelta(days=30)
    agencies = {
        name: Agency(name=f"Agency {name}", sector=sector)
        for name, sector in (("A", "police"), ("B", "health"), ("C", "voluntary"))
    }
    db.session.add_all(agencies.values())
    team_a = Team(agency=agencies["A"], name="Team A")
    db.session.add(team_a)
    db.session.flush()
    check = check_for(import_bank_text(SMALL_BANK))
    check.attempts_allowed = None
    lead_a = _person("Lead A", agencies["A"], None, (Role.LEAD,))
    lead_b = _person("Lead B", agencies["B"], None, (Role.LEAD,))
    partnership_lead = _person("Partnership Lead", None, None, (Role.LEAD,))
    plan = {"A": (6, 2, 4, 5, 4), "B": (3, 3, 4, None, 0), "C": (7, 3, 5, 4, 5)}
    uses = ["yes", "not-yet", "yes", "not-applicable", None]
    for name, (count, before, after, follow, followers) in plan.items():
        for index in range(count):
            team = team_a if name == "A" else None
            user = _person(f"{name} person {index}", agencies[name], team)
            attempt = _pass(user, check, sure_wrong=index % 2 == 0, at=at, rng=rng)
            _rate(attempt, "before", before)
            _rate(attempt, "after", after)
            _rate(attempt, "before", None if (name, index) == ("C", 0) else 2, "referral")
            _rate(attempt, "after", 3, "referral")
            db.session.add(Reaction(attempt_id=attempt.id, relevant=4, clear=5 if index % 2 else 3))
            if index < followers:
                _rate(attempt, "follow-up", follow)
                _follow_up(
                    attempt,
                    right=index % 3 != 0,
                    certainty=3 if index % 3 == 0 else 2,
                    used=uses[index % len(uses)],
                )
    db.session.commit()
    return ImpactWorld(check, agencies, partnership_lead, lead_a, lead_b)


def _phrased(**columns) -> Finding:
    """The importer's Finding, with the practice phrasing of "sharing" (a published
    version can't change afterwards; the bank format's own field is another change's)."""
    finding = Finding(**columns)
    if finding.key == "sharing":
        finding.confidence = PHRASE
    return finding


@pytest.fixture
def world(app, monkeypatch) -> ImpactWorld:
    from quizapp.banks import importer

    monkeypatch.setattr(importer, "Finding", _phrased)
    app.config["SMALL_NUMBER_THRESHOLD"] = 5
    return build_impact_world()


# ---------------------------------------------------------------------------------------
# Independent computation from the raw rows, in plain Python


def _group(user: User, partnership: bool):
    return user.agency_id if partnership else user.team_id


def independent(check: Check, *, partnership: bool, agency_id: int | None = None) -> dict:
    """(figure, group, finding) -> value, group TOTAL for the scope: each mean (ratings,
    people), marks (gained, available), confidently wrong (of wrong answers); and (figure,
    group) for offered, followed and used (yes, answered). Confidence is paired: per
    person and finding, their latest attempt rated both before and after; follow-up
    ratings count only on a submitted follow-up."""
    figures: dict = defaultdict(lambda: [0.0, 0.0])
    people: dict = defaultdict(set)
    in_scope = []
    for attempt in db.session.scalars(sa.select(Attempt).where(Attempt.check_id == check.id)):
        user = db.session.get(User, attempt.user_id)
        if agency_id is not None and user.agency_id != agency_id:
            continue
        in_scope.append((attempt, user))
    latest: dict = {}
    for attempt, user in in_scope:
        follow_up = db.session.scalars(
            sa.select(FollowUp).where(FollowUp.attempt_id == attempt.id)
        ).one_or_none()
        rated: dict = defaultdict(dict)
        for rating in db.session.scalars(
            sa.select(ConfidenceRating).where(ConfidenceRating.attempt_id == attempt.id)
        ):
            if rating.rating is None:
                continue
            if rating.moment == "follow-up" and (follow_up is None or not follow_up.submitted_at):
                continue
            rated[rating.finding_key][rating.moment] = rating.rating
        for finding, moments in rated.items():
            if "before" in moments and "after" in moments:
                order = (attempt.submitted_at, attempt.id)
                if (user.id, finding) not in latest or latest[(user.id, finding)][0] < order:
                    latest[(user.id, finding)] = (order, user, moments)
    for (_, finding), (_, user, moments) in latest.items():
        for g in (_group(user, partnership), TOTAL):
            for moment, value in moments.items():
                figures[(moment, g, finding)][0] += value
                figures[(moment, g, finding)][1] += 1
                people[(moment, g, finding)].add(user.id)
    for attempt, user in in_scope:
        groups = (_group(user, partnership), TOTAL)
        follow_up = db.session.scalars(
            sa.select(FollowUp).where(FollowUp.attempt_id == attempt.id)
        ).one_or_none()
        if follow_up is None or not attempt.passed:
            continue
        for g in groups:
            people[("offered", g)].add(user.id)
        if follow_up.submitted_at is None:
            continue
        for g in groups:
            people[("followed", g)].add(user.id)
            if follow_up.used_in_practice is not None:
                people[("used", g)].add(user.id)
                if follow_up.used_in_practice == "yes":
                    people[("used_yes", g)].add(user.id)
        asked = set()
        for response in follow_up.responses:
            question = db.session.get(Question, response.question_id)
            for finding in question.findings:
                asked.add(finding.key)
                for g in groups:
                    _add_marks(figures, "fu", g, finding.key, response, question)
        for response in db.session.scalars(
            sa.select(Response).where(Response.attempt_id == attempt.id)
        ):
            question = db.session.get(Question, response.question_id)
            if not question.points or response.fraction is None:
                continue
            for finding in question.findings:
                if finding.key in asked:
                    for g in groups:
                        _add_marks(figures, "check", g, finding.key, response, question)
    return {"figures": figures, "people": people}


def _add_marks(figures, prefix, group, finding, response, question) -> None:
    figures[(prefix, group, finding)][0] += response.mark
    figures[(prefix, group, finding)][1] += question.points
    if response.fraction == 0:
        figures[(f"{prefix}_sure", group, finding)][1] += 1
        if response.certainty == 3:
            figures[(f"{prefix}_sure", group, finding)][0] += 1


def _mean_text(total: float, count: float) -> str:
    return f"{math.floor(total / count * 10 + 0.5) / 10:.1f} out of 5"


def _share_text(part: float, whole: float) -> str:
    def amount(value: float) -> str:
        return f"{value:.2f}".rstrip("0").rstrip(".")

    return f"{amount(part)} of {amount(whole)} ({percent(part, whole)}%)"


def marks_clause(check: Check, finding: str = "sharing") -> str:
    """The sentence's marks clause for the partnership, from the raw rows."""
    figures = independent(check, partnership=True)["figures"]
    at_check = percent(*figures[("check", TOTAL, finding)])
    at_follow_up = percent(*figures[("fu", TOTAL, finding)])
    return (
        f"; on its questions, those weak on it gained {at_check}% of the marks at the check"
        f" and {at_follow_up}% at follow-up."
    )


@dataclass
class Figures:
    """The page's figures as its cube gives them: (finding key, group) -> FindingImpact,
    and group -> CohortFigures, for the groups the page shows."""

    page: object
    figures: dict
    cohorts: dict


def impact_figures(app, client, url: str) -> Figures:
    """The impact page of `url`, and the figures of its cube for its columns (the page
    shows them as grid cells; here they are read before drawing)."""
    from quizapp.dashboards import impact, pages, queries

    context = page_context(app, client, url)
    page, scope, filters = context["page"], context["scope"], context["filters"]
    threshold = app.config["SMALL_NUMBER_THRESHOLD"]
    layout = pages.layout_for(scope, queries.choices(scope))
    cube = impact.impact_cubes(
        scope, layout, filters.period, threshold=threshold, check_id=page.check_id
    )[page.check_id]
    columns = [g for g, _ in page.grids[0].columns]
    return Figures(
        page,
        {
            (f.key, g): impact.finding_impact(cube, g, f.key, threshold=threshold)
            for f in cube.findings
            for g in columns
        },
        {g: impact.cohort_figures(cube, g, threshold=threshold) for g in columns},
    )


def _check_figures(page: Figures, expected, groups) -> int:
    """Every figure of the page against the independent ones; the number compared."""
    figures, people = expected["figures"], expected["people"]
    compared = 0
    for (finding, group), shown in page.figures.items():
        if group not in groups:
            continue
        for moment, mean in zip(("before", "after", "follow-up"), shown.means(), strict=True):
            total, count = figures.get((moment, group, finding), (0, 0))
            assert not mean.hidden
            assert mean.people == len(people.get((moment, group, finding), ()))
            assert mean.text == (_mean_text(total, count) if count else "No ratings")
            compared += 1
        for prefix, share in (("check", shown.check_marks), ("fu", shown.follow_up_marks)):
            gained, available = figures.get((prefix, group, finding), (0, 0))
            assert share.text == (_share_text(gained, available) if available else "none")
            sure, wrong = figures.get((f"{prefix}_sure", group, finding), (0, 0))
            other = shown.check_sure if prefix == "check" else shown.follow_up_sure
            assert other.text == (_share_text(sure, wrong) if wrong else "none")
            compared += 2
    for group, cohort in page.cohorts.items():
        if group not in groups:
            continue
        offered = len(people[("offered", group)])
        followed = len(people[("followed", group)])
        assert cohort.offered.part == offered
        assert cohort.followed.text == (_share_text(followed, offered) if offered else "none")
        used, yes = len(people[("used", group)]), len(people[("used_yes", group)])
        assert cohort.used.text == (_share_text(yes, used) if used else "none")
        compared += 3
    return compared


# ---------------------------------------------------------------------------------------
# Figures


def test_impact_figures_equal_the_raw_rows(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    sign_in(client, world.partnership_lead)
    page = impact_figures(app, client, f"/dashboards/checks/{world.check.id}/impact")
    expected = independent(world.check, partnership=True)
    groups = {*(a.id for a in world.agencies.values()), TOTAL}
    assert {g for g, _ in page.page.cohort.columns} == groups
    assert _check_figures(page, expected, groups) > 40
    total = page.figures[("sharing", TOTAL)]
    # By hand: before (6x2 + 3x3 + 7x3) / 16, follow-up (4x5 + 5x4) / 9.
    assert total.before.text == "2.6 out of 5" and total.before.people == 16
    assert total.follow_up.text == "4.4 out of 5" and total.follow_up.people == 9
    # The skipped rating counts for nothing: 15 people rated "referral" before.
    assert page.figures[("referral", TOTAL)].before.people == 15
    reactions = dict(page.page.reactions)
    assert reactions["The check was relevant to my role"].text == "4.0 out of 5"
    assert reactions["I will change something in my practice"].text == "No ratings"


def test_an_agency_lead_sees_their_teams_only(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    sign_in(client, world.lead_a)
    page = impact_figures(app, client, f"/dashboards/checks/{world.check.id}/impact")
    team = db.session.scalars(sa.select(Team.id)).one()
    assert [label for _, label in page.page.cohort.columns] == ["Team A", "All of Agency A"]
    expected = independent(world.check, partnership=False, agency_id=world.agencies["A"].id)
    assert _check_figures(page, expected, {team, TOTAL}) > 20
    assert page.cohorts[TOTAL].offered.part == 4
    body = client.get(f"/dashboards/checks/{world.check.id}/impact").get_data(as_text=True)
    assert "Agency C" not in body and "Agency B" not in body
    other = world.agencies["C"].id
    url = f"/dashboards/checks/{world.check.id}/impact?agency={other}"
    assert client.get(url).status_code == 404
    assert client.get("/dashboards/checks/999999/impact").status_code == 404


# ---------------------------------------------------------------------------------------
# Small numbers


def test_small_cells_are_hidden_and_cannot_be_worked_out(world, client, app):
    sign_in(client, world.partnership_lead)
    page = impact_figures(app, client, f"/dashboards/checks/{world.check.id}/impact")
    a, b, c = (world.agencies[n].id for n in "ABC")
    # Agency B: 3 people. Every figure about them says "fewer than 5".
    b_sharing = page.figures[("sharing", b)]
    assert b_sharing.before.hidden_as == "fewer than 5"
    assert b_sharing.after.hidden_as == "fewer than 5"
    # The total less A and C would give B away: a second cell is hidden ("[c]": A's 6
    # people are not few), and the total still shows.
    before = {g: page.figures[("sharing", g)].before for g in (a, c, TOTAL)}
    assert before[a].hidden_as == "[c]" and not before[c].hidden
    assert before[TOTAL].text == "2.6 out of 5"
    # Follow-ups: A's 4 are few; C's 5 are hidden with them, since B has none to add.
    assert page.figures[("sharing", a)].follow_up.hidden_as == "fewer than 5"
    assert page.figures[("sharing", c)].follow_up.hidden_as == "[c]"
    # Follow-ups offered: A's 4 are few, C's 5 hidden with them (B has none).
    assert page.cohorts[a].offered.hidden_as == "fewer than 5"
    assert page.cohorts[c].offered.hidden_as == "[c]"
    assert page.cohorts[a].followed.hidden and page.cohorts[c].followed.hidden
    assert page.cohorts[TOTAL].followed.text == "9 of 9 (100%)"
    # In every sum of groups, the hidden cells are none, or two or more.
    for item in ("before", "after", "follow-up"):
        hidden = [
            page.figures[("sharing", g)]
            .means()[("before", "after", "follow-up").index(item)]
            .hidden
            for g in (a, b, c)
        ]
        assert sum(hidden) != 1, item
    body = client.get(f"/dashboards/checks/{world.check.id}/impact").get_data(as_text=True)
    assert "Hidden: fewer than 5" in body and "Hidden: [c]" in body


# ---------------------------------------------------------------------------------------
# Sentences


def _report(app, client) -> dict:
    return page_context(app, client, "/dashboards/report")["page"]


def _impact_of(page, check_id):
    (check,) = [c for c in page.checks if c.check_id == check_id]
    return {line.finding.key: line for line in check.impact}


def test_report_sentence_is_exact_for_the_partnership(world, client, app):
    sign_in(client, world.partnership_lead)
    lines = _impact_of(_report(app, client), world.check.id)
    assert lines["sharing"].sentence == SENTENCE + marks_clause(world.check)
    # Follow-ups are said once per check, not in every finding's sentence.
    assert lines["sharing"].lead_in == lines["referral"].lead_in == LEAD_IN
    # "referral" has no practice phrasing: its text stands in; nobody followed it up.
    # Of the 16, one in C skipped the rating before: the pairs are of the other 15.
    assert lines["referral"].sentence == (
        "Of the 15 people who rated their confidence before and after the check, confidence"
        " rose from 2.0 to 3.0 out of 5 on “The referral was timely”."
    )
    body = client.get("/dashboards/report").get_data(as_text=True)
    assert body.count(LEAD_IN) == 1 and "answered it;" not in body
    assert "out of 5 to share information with children&#39;s social care;" in body


def test_a_sentence_never_mentions_a_hidden_figure(world, client, app):
    sign_in(client, world.lead_a)
    lines = _impact_of(_report(app, client), world.check.id)
    line = lines["sharing"]
    # 4 of Agency A's 6 were offered and answered the follow-up, rating 5: all hidden,
    # so not said.
    assert line.cohort.offered.hidden and line.cohort.followed.hidden
    assert line.figures.follow_up.hidden
    assert line.lead_in == ""
    assert line.sentence == (
        "Of the 6 people who rated their confidence before and after the check, confidence"
        " rose from 2.0 to 4.0 out of 5 " + PHRASE + "."
    )
    assert "5.0" not in line.sentence and "follow-up" not in line.sentence


def test_a_sentence_with_every_figure_hidden_says_why(world, client, app):
    sign_in(client, world.lead_b)
    line = _impact_of(_report(app, client), world.check.id)["sharing"]
    assert line.sentence.startswith("Figures on this finding are not shown")
    assert not re.search(r"\b3\b|3\.0|4\.0", line.sentence)


def test_the_report_says_no_answers_as_the_page_does_never_none(world, client, app):
    """Nobody has sent their follow-up yet: the summary line and the marks columns say
    "No answers", as the impact page's cells do."""
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    db.session.execute(sa.update(FollowUp).values(submitted_at=None))
    db.session.commit()
    sign_in(client, world.partnership_lead)
    body = client.get("/dashboards/report").get_data(as_text=True)
    section = body[body.index(">Impact</h3>") :]
    assert "Answered it: 0 of 9 (0%)." in section
    assert "of those answering: No answers." in section
    assert '<td class="govuk-table__cell">No answers</td>' in section
    assert not re.search(r">\s*none\s*<|: none\.", section)
    page = client.get(f"/dashboards/checks/{world.check.id}/impact").get_data(as_text=True)
    assert "No answers" in page and not re.search(r">\s*none\s*<", page)


def test_report_impact_csv_and_workbook_have_the_page_figures(world, client, app):
    sign_in(client, world.partnership_lead)
    response = client.get("/dashboards/report-impact.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header, body = rows[0], rows[1:]
    sharing = dict(
        zip(
            header,
            next(r for r in body if r[2:4] == ["All agencies", "Information was not shared."]),
            strict=True,
        )
    )
    assert sharing["Offered a follow-up"] == "9"
    assert sharing["Answered the follow-up %"] == "100%"
    assert sharing["Confidence before (mean out of 5, paired)"] == "2.6"
    assert sharing["People rating before and after"] == "16"
    assert sharing["Of them, rating at follow-up"] == "9"
    assert "Weak findings: marks at the check %" in header
    assert not any("retention" in h.lower() or "passed" in h.lower() for h in header)
    assert sharing["Sentence"] == SENTENCE + marks_clause(world.check)
    workbook = client.get("/dashboards/report.xlsx").get_data()
    assert b"Impact" in workbook or len(workbook) > 0


# ---------------------------------------------------------------------------------------
# Privacy


@pytest.mark.parametrize("who", ["partnership_lead", "lead_a"])
def test_practice_examples_never_reach_a_lead(world, client, app, who):
    sign_in(client, getattr(world, who))
    for url in (
        f"/dashboards/checks/{world.check.id}/impact",
        "/dashboards/learning",
        "/dashboards/report",
        "/dashboards/report.csv",
        "/dashboards/report-impact.csv",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert PRIVATE not in response.get_data(as_text=True), url
    import zipfile

    book = zipfile.ZipFile(io.BytesIO(client.get("/dashboards/report.xlsx").get_data()))
    for name in book.namelist():
        assert PRIVATE.encode() not in book.read(name), name


# ---------------------------------------------------------------------------------------
# The learning grid


def test_learning_grid_is_one_table_of_findings_by_agency(world, client, app):
    sign_in(client, world.partnership_lead)
    context = page_context(app, client, f"/dashboards/learning?check={world.check.id}")
    (bank,) = context["page"].banks
    grid = bank.grid
    assert [label for _, label in grid.columns] == [
        "Agency A",
        "Agency B",
        "Agency C",
        "All agencies",
    ]
    assert [row.header for row in grid.rows] == [
        "Information was not shared.",
        "The referral was timely.",
    ]
    body = client.get(f"/dashboards/learning?check={world.check.id}").get_data(as_text=True)
    table = body[body.index('<table class="govuk-table app-grid">') :]
    table = table[: table.index("</table>")]
    assert table.count('<th scope="col"') == 5
    assert table.count('<th scope="row"') == 2
    assert 'role="region"' in body and 'aria-labelledby="learning-small-bank-caption"' in body
    # Agency B's 3 people: hidden, and said so.
    assert grid.rows[0].cells[1].hidden and "Hidden: fewer than 5" in table
    # Each cell: a share, its band in words, its count, and a link to its drill-down.
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    context = page_context(app, client, f"/dashboards/learning?check={world.check.id}")
    body = client.get(f"/dashboards/learning?check={world.check.id}").get_data(as_text=True)
    c = world.agencies["C"].id
    cell = context["page"].banks[0].grid.rows[0].cells[2]
    assert cell.band in ("low", "mid", "high")
    assert f'<strong class="app-grid__band">{cell.band.capitalize()}</strong>' in body
    assert "/dashboards/learning/small-bank/sharing?" in body and f"group={c}" in body
    assert cell.detail.endswith("from 7 people")


def test_statements_do_not_grow_with_people_or_follow_ups(world, client, app):
    """Aggregate statements only: adding people, passes, ratings and follow-ups to an
    agency changes no count of statements."""
    sign_in(client, world.partnership_lead)
    url = f"/dashboards/checks/{world.check.id}/impact"
    before = count_statements(app, client, url)
    rng = random.Random(3)
    at = utcnow() - timedelta(days=20)
    for index in range(6):
        user = _person(f"D person {index}", world.agencies["B"], None)
        attempt = _pass(user, world.check, sure_wrong=True, at=at, rng=rng)
        _rate(attempt, "before", 1)
        _rate(attempt, "follow-up", 5)
        _follow_up(attempt, right=True, certainty=3, used="yes")
    db.session.commit()
    assert count_statements(app, client, url) == before
    # The session, the user, the choices, then the impact cube's six statements.
    assert before <= 14, before


# ---------------------------------------------------------------------------------------
# Differencing between pages


def test_people_passed_per_group_cannot_be_worked_out_across_pages(world, client, app):
    """The yearly report publishes people passing per agency, suppressed in its own cube.
    Whatever the impact page shows must not fill a cell the report hides: across both,
    the agencies whose people passing is unknown are none, or two or more."""
    # Everyone in Agency C answers the follow-up: with A's 4 follow-ups hidden, C's are
    # hidden to protect them, and in a cube suppressed on its own that hides C's people
    # passing (C's not answering are none) where the report hides A's.
    c_people = sa.select(User.id).where(User.agency_id == world.agencies["C"].id)
    for attempt in db.session.scalars(sa.select(Attempt).where(Attempt.user_id.in_(c_people))):
        if db.session.scalar(sa.select(FollowUp.id).where(FollowUp.attempt_id == attempt.id)):
            continue
        _follow_up(attempt, right=True, certainty=2, used="yes")
    db.session.commit()
    sign_in(client, world.partnership_lead)
    report = _report(app, client)
    (check,) = [c for c in report.checks if c.check_id == world.check.id]
    page = page_context(app, client, f"/dashboards/checks/{world.check.id}/impact")["page"]
    agencies = {world.agencies[n].id: n for n in "ABC"}
    labels = {label: key for key, label in page.cohort.columns}
    known = set()
    for row in check.rows:
        if row.learning.key in agencies and not row.passed_in_year.hidden:
            known.add(row.learning.key)
    report_known = set(known)
    for row in page.cohort.rows:
        if "passed" in row.header.lower():
            for (key, _), cell in zip(page.cohort.columns, row.cells, strict=True):
                if key in agencies and not cell.hidden:
                    known.add(key)
    assert labels  # the page has its groups
    assert len(set(agencies) - known) != 1, sorted(agencies[g] for g in set(agencies) - known)
    assert report_known == {world.agencies["C"].id}
    # The impact page does not publish people passing per group again at all: the
    # report's table is the one place, so no second suppression of the same figure can
    # fill the first's hidden cells (whatever the data).
    assert not any("passed" in row.header.lower() for row in page.cohort.rows)
    body = client.get(f"/dashboards/checks/{world.check.id}/impact").get_data(as_text=True)
    assert "People who passed" not in body


# ---------------------------------------------------------------------------------------
# Whom each figure is over


def _c_person(world, name: str, rng, *, at=None) -> tuple[User, Attempt]:
    user = _person(name, world.agencies["C"], None)
    at = at or utcnow() - timedelta(days=25)
    return user, _pass(user, world.check, sure_wrong=False, at=at, rng=rng)


def test_confidence_is_paired_and_follow_ups_are_over_those_offered(world, client, app):
    """Before and after are over the same people (their latest attempt rated both
    times); a follow-up rating counts once its follow-up is submitted; the follow-up
    rate is over the follow-ups offered, not every pass."""
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    rng = random.Random(11)
    # Rated before only: in no pair.
    _, x = _c_person(world, "C only before", rng)
    _rate(x, "before", 1)
    # Rated both, and at follow-up, but the follow-up is not submitted: paired, offered,
    # not answering, and the follow-up rating of 1 counts for nothing.
    _, y = _c_person(world, "C unsubmitted", rng)
    _rate(y, "before", 3)
    _rate(y, "after", 3)
    _rate(y, "follow-up", 1)
    _follow_up(y, right=False, certainty=3, used="yes", submitted=False)
    # Passed, follow-up not due yet: no row, so not counted as not answering.
    _c_person(world, "C not due", rng)
    # Two attempts rated both times: only the latest (4, 4) counts.
    w_user, w_old = _c_person(world, "C twice", rng, at=utcnow() - timedelta(days=28))
    _rate(w_old, "before", 1)
    _rate(w_old, "after", 5)
    w_new = _pass(w_user, world.check, sure_wrong=False, at=utcnow() - timedelta(days=27), rng=rng)
    _rate(w_new, "before", 4)
    _rate(w_new, "after", 4)
    db.session.commit()

    sign_in(client, world.partnership_lead)
    page = impact_figures(app, client, f"/dashboards/checks/{world.check.id}/impact")
    total = page.figures[("sharing", TOTAL)]
    # By hand: the world's 16 (before 42, after 71) and y (3, 3) and w's latest (4, 4).
    assert total.before.people == total.after.people == 18
    assert total.before.text == "2.7 out of 5"  # 49 / 18
    assert total.after.text == "4.3 out of 5"  # 78 / 18
    # The 9 submitted follow-ups (4 x 5 + 5 x 4), not y's unsubmitted 1.
    assert total.follow_up.people == 9 and total.follow_up.text == "4.4 out of 5"
    assert page.cohorts[TOTAL].offered.part == 10
    assert page.cohorts[TOTAL].followed.text == "9 of 10 (90%)"
    expected = independent(world.check, partnership=True)
    groups = {*(a.id for a in world.agencies.values()), TOTAL}
    assert _check_figures(page, expected, groups) > 40
    lines = _impact_of(_report(app, client), world.check.id)
    assert lines["sharing"].lead_in == "Of the 10 people offered a follow-up, 90% answered it."
    assert lines["sharing"].sentence.startswith("Of the 18 people who rated")
    assert (
        "rose from 2.7 to 4.3 out of 5 " + PHRASE + "; the 9 of them who rated it again at"
        " follow-up gave 4.4 on average;"
    ) in lines["sharing"].sentence


def test_a_check_without_follow_ups_says_nothing_about_them(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    world.check.follow_up_weeks = None
    db.session.commit()
    sign_in(client, world.partnership_lead)
    url = f"/dashboards/checks/{world.check.id}/impact"
    page = page_context(app, client, url)["page"]
    assert page.cohort is None
    assert [g.id for g in page.grids] == ["impact-before", "impact-after"]
    body = client.get(url).get_data(as_text=True)
    assert "This check has no follow-up" in body and "answered the follow-up" not in body
    line = _impact_of(_report(app, client), world.check.id)["sharing"]
    assert line.cohort is None and "follow-up" not in line.sentence
    rows = list(
        csv.reader(io.StringIO(client.get("/dashboards/report-impact.csv").get_data(as_text=True)))
    )
    sharing = dict(zip(rows[0], next(r for r in rows if r[2] == "All agencies"), strict=True))
    assert sharing["Offered a follow-up"] == "" and sharing["Of them, rating at follow-up"] == ""
    assert sharing["Weak findings: marks at the check %"] == ""
    assert sharing["People rating before and after"] == "16"


def test_the_sentence_says_at_follow_up_whatever_the_setting_now(world, client, app):
    """The follow-ups of the year were due 8 weeks after their pass; the check says 4
    now. The sentence says neither: "at follow-up"."""
    world.check.follow_up_weeks = 4
    db.session.commit()
    sign_in(client, world.partnership_lead)
    line = _impact_of(_report(app, client), world.check.id)["sharing"]
    assert line.sentence == SENTENCE + marks_clause(world.check)
    assert "week" not in line.sentence + line.lead_in


# ---------------------------------------------------------------------------------------
# The page's navigation and links


def test_impact_page_has_the_dashboards_navigation_back_link_and_drill_downs(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    sign_in(client, world.partnership_lead)
    url = f"/dashboards/checks/{world.check.id}/impact"
    body = client.get(url).get_data(as_text=True)
    assert '<nav aria-label="Dashboards"' in body
    assert 'class="govuk-back-link">Back to learning landed' in body
    c = world.agencies["C"].id
    # Each shown cell links to the finding's drill-down, for its agency or the total.
    assert "/dashboards/learning/small-bank/sharing?" in body and f"group={c}" in body
    came = client.get(url + "?from=completion").get_data(as_text=True)
    back = re.search(r'<a href="([^"]+)" class="govuk-back-link">Back to completion', came)
    assert back and back.group(1).startswith("/dashboards/?")
    completion = client.get("/dashboards/").get_data(as_text=True)
    assert f"/dashboards/checks/{world.check.id}/impact?" in completion
    assert "from=completion" in completion
    # Wrong answers "very sure": the same figure as Learning landed's, of wrong answers.
    assert "wrong answers given “very sure” at the check" in body
    assert "Answers wrong" not in body
    # Why weak findings' marks at the check can be high: one wrong answer is enough.
    assert "Any one wrong answer on a finding's questions makes that finding weak" in body
    assert re.search(r"\d+ of \d+ wrong answers", body)


def test_the_filters_keep_where_the_lead_came_from(world, client, app):
    """Changing the year keeps "from=completion", so the back link still goes there."""
    sign_in(client, world.partnership_lead)
    url = f"/dashboards/checks/{world.check.id}/impact"
    came = client.get(url + "?from=completion").get_data(as_text=True)
    form = re.search(r'<form method="get" action="([^"]+)"[^>]*>(.*?)</form>', came, re.S)
    assert form and form.group(1) == url
    assert '<input type="hidden" name="from" value="completion">' in form.group(2)
    year = re.search(r'<select [^>]*name="period"', form.group(2))
    assert year
    again = client.get(url + "?from=completion&period=" + _first_period(form.group(2)))
    assert "Back to completion" in again.get_data(as_text=True)
    # From Learning landed there is nothing to keep.
    plain = client.get(url).get_data(as_text=True)
    assert 'name="from"' not in plain


def _first_period(form: str) -> str:
    return re.search(r'<option value="([^"]+)"', form).group(1)


def test_learning_intro_lists_only_the_grid_figure(world, client, app):
    sign_in(client, world.partnership_lead)
    body = client.get(f"/dashboards/learning?check={world.check.id}").get_data(as_text=True)
    intro = body[body.index("Learning landed</h1>") : body.index("app-grid")]
    assert "<li><strong>wrong answers" not in intro
    assert "the <strong>marks gained</strong>" in intro


# ---------------------------------------------------------------------------------------
# The follow-up answerers, hidden, are not read off another row (issue 18's probe)


def build_probe_world():
    """Agency P: 20 offered a follow-up, 18 answered it (9 have used the learning), 2
    did not: those 2 are few, so "answered" is hidden to protect them while the 18 are
    not few. Agency R: 7 offered, 6 answered. Agency Z: 3 offered, none answered (a
    true zero hidden as "fewer than 5"). Agency W: 8 offered, none answered (a true zero
    shown). Everyone rates "sharing" before and after, and those answering again."""
    rng = random.Random(23)
    at = utcnow() - timedelta(days=30)
    check = check_for(import_bank_text(SMALL_BANK))
    check.attempts_allowed = None
    lead_p = None
    agencies = {}
    for name, offered, answered in (("P", 20, 18), ("R", 7, 6), ("Z", 3, 0), ("W", 8, 0)):
        agency = agencies[name] = Agency(name=f"Agency {name}", sector="police")
        db.session.add(agency)
        db.session.flush()
        if name == "P":
            lead_p = _person("Lead P", agency, None, (Role.LEAD,))
        for index in range(offered):
            user = _person(f"{name} probe {index}", agency, None)
            attempt = _pass(user, check, sure_wrong=True, at=at, rng=rng)
            _rate(attempt, "before", 2)
            _rate(attempt, "after", 4)
            submitted = index < answered
            if submitted:
                _rate(attempt, "follow-up", 4)
            _follow_up(
                attempt,
                right=index % 2 == 0,
                certainty=3,
                used=("yes" if index % 2 else "not-yet") if submitted else None,
                submitted=submitted,
            )
    partnership_lead = _person("Probe Partnership Lead", None, None, (Role.LEAD,))
    db.session.commit()
    return check, agencies, partnership_lead, lead_p


#: The grids over follow-up answerers: the marks at the check on weak findings too.
FOLLOW_UP_GRIDS = (
    "impact-follow-up",
    "impact-check-marks",
    "impact-follow-up-marks",
    "impact-check-sure",
    "impact-follow-up-sure",
)


def test_hidden_answerers_hide_every_follow_up_figure_of_their_group(app, client):
    app.config["SMALL_NUMBER_THRESHOLD"] = 5
    check, agencies, partnership_lead, _ = build_probe_world()
    sign_in(client, partnership_lead)
    page = impact_figures(app, client, f"/dashboards/checks/{check.id}/impact")
    p, z, w = (agencies[n].id for n in "PZW")
    # The probe: P's 18 answering are hidden to protect the 2 who did not answer.
    assert page.cohorts[p].offered.part_text == "20"
    assert page.cohorts[p].followed.hidden_as == "[c]"
    # So the next row can't show them as its denominator ("9 of 18 people answering"),
    # nor can any follow-up figure of P.
    assert page.cohorts[p].used.hidden_as == "[c]"
    sharing = page.figures[("sharing", p)]
    assert sharing.follow_up.hidden_as == "[c]"
    assert sharing.follow_up_marks.hidden and sharing.follow_up_sure.hidden
    assert sharing.check_marks.hidden and sharing.check_sure.hidden
    # Z: none of 3 answered. "Fewer than 5", and the zeros after it hidden too.
    assert page.cohorts[z].followed.hidden_as == "fewer than 5"
    assert page.cohorts[z].used.hidden
    assert page.figures[("sharing", z)].follow_up.hidden
    assert page.figures[("sharing", z)].follow_up_marks.hidden
    # W: none of 8 answered, a group large enough to show: its zeros are shown.
    assert page.cohorts[w].followed.text == "0 of 8 (0%)"
    assert not page.cohorts[w].used.hidden and page.cohorts[w].used.whole == 0

    # The rule, over every drawn cell: in a column whose "answered" is hidden, every
    # follow-up cell is hidden, and no shown cell anywhere counts 18 people answering.
    drawn = page.page
    columns = [g for g, _ in drawn.cohort.columns]
    answered = {row.header: row for row in drawn.cohort.rows}["Answered the follow-up"]
    used = {row.header: row for row in drawn.cohort.rows}[
        "Said they have used the learning in their practice"
    ]
    hidden_columns = [i for i, cell in enumerate(answered.cells) if cell.hidden]
    assert columns.index(p) in hidden_columns and columns.index(z) in hidden_columns
    grids = {g.id: g for g in drawn.grids}
    for i in hidden_columns:
        assert used.cells[i].hidden
        for grid_id in FOLLOW_UP_GRIDS:
            assert all(row.cells[i].hidden for row in grids[grid_id].rows), grid_id
    for grid in [drawn.cohort, *drawn.grids]:
        for row in grid.rows:
            for i, cell in enumerate(row.cells):
                if columns[i] == p and not cell.hidden:
                    assert not re.search(r"\b18\b", f"{cell.text} {cell.detail}"), cell
    # W's zero reads "No answers", never the bare "None".
    assert used.cells[columns.index(w)].text == "No answers"
    body = client.get(f"/dashboards/checks/{check.id}/impact").get_data(as_text=True)
    assert ">None<" not in body and "No answers" in body


def test_hidden_answerers_are_hidden_in_the_report_and_its_csv(app, client):
    """P's own lead: the report's whole scope is P, whose answerers are hidden."""
    app.config["SMALL_NUMBER_THRESHOLD"] = 5
    check, _, _, lead_p = build_probe_world()
    sign_in(client, lead_p)
    line = _impact_of(_report(app, client), check.id)["sharing"]
    assert line.cohort.followed.hidden and line.cohort.used.hidden_as == "[c]"
    assert line.figures.follow_up.hidden and line.figures.follow_up_marks.hidden
    assert "18" not in line.sentence
    rows = list(
        csv.reader(io.StringIO(client.get("/dashboards/report-impact.csv").get_data(as_text=True)))
    )
    sharing = dict(
        zip(
            rows[0],
            next(r for r in rows[1:] if r[2:4] == ["All of Agency P", line.finding.text]),
            strict=True,
        )
    )
    assert sharing["Offered a follow-up"] == "20"
    assert "18" not in rows[0] and not any(v == "18" for v in sharing.values())
    assert sharing["Of them, rating at follow-up"] == "[c]"


def test_a_phrasing_ending_in_a_clause_ends_the_sentence():
    """A practice phrasing with its own clause goes after the change, where it reads
    well, never before "rose"."""
    from quizapp.dashboards import impact
    from quizapp.dashboards.impact_queries import ImpactFinding
    from quizapp.dashboards.suppression import Share

    finding = ImpactFinding(
        "school",
        "concern",
        "The school was told late.",
        "to tell the school, with the parent involved, the same day?",
    )
    figures = impact.FindingImpact(
        impact.Mean(8, 20.0, 8),
        impact.Mean(8, 30.4, 8),
        impact.Mean(6, 24.0, 6),
        Share(6.0, 10.0),
        Share(9.0, 10.0),
        Share(1.0, 4.0),
        Share(0.0, 1.0),
    )
    cohort = impact.CohortFigures(Share(12.0, 12.0), Share(6.0, 12.0), Share(3.0, 6.0))
    assert impact.sentence(finding, cohort, figures, who="people", threshold=5) == (
        "Of the 8 people who rated their confidence before and after the check, confidence"
        " rose from 2.5 to 3.8 out of 5 to tell the school, with the parent involved, the"
        " same day; the 6 of them who rated it again at follow-up gave 4.0 on average; on"
        " its questions, those weak on it gained 60% of the marks at the check and 90% at"
        " follow-up."
    )
    assert impact.lead_in(cohort, who="people in Police") == (
        "Of the 12 people in Police offered a follow-up, 50% answered it."
    )
    hidden = impact.CohortFigures(Share(12.0, 12.0), Share(6.0, 12.0, "[c]"), Share(3.0, 6.0))
    assert impact.lead_in(hidden, who="people") == "12 people were offered a follow-up."
    assert impact.lead_in(None, who="people") == ""


def _csv_rows(client) -> list[dict]:
    text = client.get("/dashboards/report-impact.csv").get_data(as_text=True)
    header, *rows = list(csv.reader(io.StringIO(text)))
    return [dict(zip(header, row, strict=True)) for row in rows]


def _as_csv(mean) -> str:
    return mean.hidden_as or mean.value_text


def test_impact_csv_has_a_row_per_agency_suppressed_as_the_page(world, client, app):
    sign_in(client, world.partnership_lead)
    page = impact_figures(app, client, f"/dashboards/checks/{world.check.id}/impact")
    rows = [r for r in _csv_rows(client) if r["Finding"] == "Information was not shared."]
    labels = {a.name: a.id for a in world.agencies.values()}
    assert [r["Agency or team"] for r in rows] == [*sorted(labels), "All agencies"]
    for row in rows:
        group = labels.get(row["Agency or team"], TOTAL)
        figures, cohort = page.figures[("sharing", group)], page.cohorts[group]
        assert row["Confidence before (mean out of 5, paired)"] == _as_csv(figures.before)
        assert row["Confidence at follow-up (mean out of 5, of them)"] == _as_csv(figures.follow_up)
        assert row["Offered a follow-up"] == cohort.offered.part_text
        assert row["Answered the follow-up %"] == cohort.followed.percent_text
    by = {r["Agency or team"]: r for r in rows}
    # By hand (test_small_cells_are_hidden_and_cannot_be_worked_out): B's 3 are few, A's
    # before protects them, C's 5 follow-ups are hidden with A's 4.
    assert by["Agency B"]["Confidence before (mean out of 5, paired)"] == "fewer than 5"
    assert by["Agency A"]["Confidence before (mean out of 5, paired)"] == "[c]"
    assert by["Agency C"]["Confidence before (mean out of 5, paired)"] == "3.0"
    assert by["Agency C"]["Offered a follow-up"] == "[c]"
    assert by["Agency C"]["Of them, rating at follow-up"] == "[c]"


def test_impact_csv_of_an_agency_lead_has_their_teams(world, client, app):
    sign_in(client, world.lead_a)
    rows = [r for r in _csv_rows(client) if r["Finding"] == "Information was not shared."]
    assert [r["Agency or team"] for r in rows] == ["Team A", "All of Agency A"]
    assert "Agency C" not in str(_csv_rows(client))


# ---------------------------------------------------------------------------------------
# The charts beside the grids


def chart_bars(svg: str) -> dict[str, tuple[float | None, str]]:
    """A chart's bars read back from its SVG: label -> (the value its bar's length gives,
    None where no bar is drawn; the figure written beside it)."""
    from quizapp.dashboards.charts import BAR_COLOUR, FIGURE_ROOM, WIDTH

    maximum = 5 if "-confidence-title" in svg else 100
    scale = (WIDTH - FIGURE_ROOM) / maximum
    bars: dict[str, tuple[float | None, str]] = {}
    # Each bar: its label, its mark (a bar, an axis line for zero, or a hatched box), its figure.
    for label, mark, figure in re.findall(
        r"<text [^>]*>([^<]*)</text>(<(?:rect|line) [^>]*/>)<text [^>]*>([^<]*)</text>", svg
    ):
        width = re.search(r'width="([\d.]+)"', mark)
        drawn = f'fill="{BAR_COLOUR}"' in mark
        value = float(width.group(1)) / scale if drawn and width else None
        bars[label] = (0.0 if mark.startswith("<line") else value, figure)
    return bars


def _total_cell(page, grid_id: str, row: int) -> str:
    grid = next(g for g in page.grids if g.id == grid_id)
    return grid.rows[row].cells[-1].text


def test_charts_draw_the_grids_total_column(world, client, app):
    app.config["SMALL_NUMBER_THRESHOLD"] = 1
    sign_in(client, world.partnership_lead)
    url = f"/dashboards/checks/{world.check.id}/impact"
    page = page_context(app, client, url)["page"]
    # A finding's charts for each row of the grids, in their order.
    assert [c.finding.text for c in page.charts] == [row.header for row in page.grids[0].rows]
    index = [c.finding.key for c in page.charts].index("sharing")
    charts = page.charts[index]
    confidence = chart_bars(charts.confidence)
    assert list(confidence) == ["Before the check", "After the check", "At follow-up"]
    for (label, (value, figure)), grid_id in zip(
        confidence.items(), ("impact-before", "impact-after", "impact-follow-up"), strict=True
    ):
        shown = _total_cell(page, grid_id, index)
        assert figure == shown, label
        # The bar's length is the figure: "2.6 out of 5" is 2.6 fifths of the track.
        assert value == pytest.approx(float(shown.split()[0]), abs=0.02), label
    # By hand, as test_impact_figures_equal_the_raw_rows: before 2.6, follow-up 4.4.
    assert confidence["Before the check"][1] == "2.6 out of 5"
    marks = chart_bars(charts.marks)
    expected = independent(world.check, partnership=True)["figures"]
    for label, prefix, grid_id in (
        ("At the check", "check", "impact-check-marks"),
        ("At follow-up", "fu", "impact-follow-up-marks"),
    ):
        value, figure = marks[label]
        gained, available = expected[(prefix, TOTAL, "sharing")]
        assert _total_cell(page, grid_id, index) == f"{percent(gained, available)}%"
        assert figure == _share_text(gained, available)
        assert value == pytest.approx(percent(gained, available), abs=0.1)
    # On the page: an image with its title and description, beside the tables.
    body = client.get(url).get_data(as_text=True)
    chart_id = f"impact-chart-{index + 1}-confidence"
    assert f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc"' in body
    assert body.index(chart_id) < body.index('id="impact-before-caption"')
    desc = re.search(r'<desc id="impact-chart-\d+-confidence-desc">([^<]*)</desc>', body)
    assert desc and "before the check: 2.6 out of 5" in desc.group(1)


def test_a_hidden_figure_is_drawn_as_hidden_never_as_a_bar(world, client, app):
    """Threshold 10: the 16 people rating "sharing" both times show, the 9 answering a
    follow-up do not, so at follow-up the chart has a hatched "Hidden" box, no bar."""
    from quizapp.dashboards.charts import BAR_COLOUR

    app.config["SMALL_NUMBER_THRESHOLD"] = 10
    sign_in(client, world.partnership_lead)
    page = page_context(app, client, f"/dashboards/checks/{world.check.id}/impact")["page"]
    index = [c.finding.key for c in page.charts].index("sharing")
    charts = page.charts[index]
    confidence = chart_bars(charts.confidence)
    assert confidence["Before the check"] == (pytest.approx(2.6, abs=0.02), "2.6 out of 5")
    assert confidence["At follow-up"] == (None, "Hidden: fewer than 10")
    assert _total_cell(page, "impact-follow-up", index) == "fewer than 10"
    marks = chart_bars(charts.marks)
    assert marks == {
        "At the check": (None, "Hidden: fewer than 10"),
        "At follow-up": (None, "Hidden: fewer than 10"),
    }
    # Three rows drawn in the confidence chart, two of them bars; none in the marks chart.
    assert charts.confidence.count(f'fill="{BAR_COLOUR}"') == 2
    assert f'fill="{BAR_COLOUR}"' not in charts.marks
    assert 'fill="url(#impact-chart-' in charts.marks
