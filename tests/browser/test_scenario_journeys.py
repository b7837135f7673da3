"""The HS conference scenario taken in a real browser three ways (mouse, keyboard only,
no JavaScript), each by a different path, to the score and ending the graph says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from quizapp.questions import scenario as graph

from .conftest import NewContext
from .pages import past_confidence, sign_in
from .test_journeys import choose_radio, press_enter_to_open_page, tab_to

BANK = Path(__file__).resolve().parents[2] / "question_banks" / "hs-baby-2016-conference.yaml"
DATA = yaml.safe_load(BANK.read_text())
TITLE = DATA["title"]
SPEC = next(q for q in DATA["questions"] if q["type"] == "scenario")
#: People no page state uses (Probation Service, quizapp/demo.py).
MOUSE, KEYBOARD, NO_JS = (
    "isla.reid.28@demo.test",
    "jack.fisher.29@demo.test",
    "kiran.murphy.30@demo.test",
)


def alternatives_at(path: list[tuple[str, str]]) -> tuple[dict, list[dict]]:
    reached = graph.position(SPEC, path)
    return reached.node, list(reached.alternatives)


def planned_path(pick) -> tuple[list[tuple[str, str]], dict]:
    """Walk the graph choosing with `pick(alternatives)`; the path and its ending."""
    path: list[tuple[str, str]] = []
    while True:
        reached = graph.position(SPEC, path)
        if reached.ended:
            return path, reached.node
        path.append((reached.node["id"], pick(list(reached.alternatives))["id"]))


BEST = lambda offered: max(offered, key=lambda a: a["points"])  # noqa: E731
WORST = lambda offered: min(offered, key=lambda a: a["points"])  # noqa: E731


def middle(offered: list[dict]) -> dict:
    ranked = sorted(offered, key=lambda a: a["points"])
    return ranked[len(ranked) // 2]


def expected_percent(path) -> float:
    best, _, _ = graph.best_path(SPEC)
    return round(100 * graph.path_points(SPEC, path) / best, 1)


def text_of(decision: str, alternative: str) -> str:
    node = next(n for n in SPEC["nodes"] if n["id"] == decision)
    return next(a["text"] for a in node["alternatives"] if a["id"] == alternative)


def feedback_of(decision: str, alternative: str) -> str:
    node = next(n for n in SPEC["nodes"] if n["id"] == decision)
    feedback = next(a["feedback"] for a in node["alternatives"] if a["id"] == alternative)
    return " ".join(feedback.split())[:40]


def open_scenario(page: Page) -> None:
    page.goto("/checks/")
    page.get_by_role("link", name=TITLE, exact=True).click()
    page.get_by_role("button", name=re.compile("^(Start check|Continue your check)")).click()
    past_confidence(page)
    if "/stages/" in page.url:
        page.get_by_role("button", name="Continue").click()


def expect_result(page: Page, path, ending: dict) -> None:
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    page.get_by_role("button", name="Submit answers").click()
    percent = expected_percent(path)
    expect(page.get_by_text(re.compile(rf"marks \({percent}%\)"))).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You passed" if percent >= DATA["check"]["pass_mark"] else re.compile("not pass")
    )
    page.get_by_text("Feedback on question 1").click()
    taken = page.locator(".app-scenario-path").first
    expect(taken).to_contain_text(f"Ending: {ending['title']}")
    for decision, alternative in path:
        expect(taken).to_contain_text(text_of(decision, alternative))


def test_with_the_mouse_the_best_path(new_context: NewContext) -> None:
    path, ending = planned_path(BEST)
    assert ending["outcome"] == "protected"
    page = new_context().new_page()
    sign_in(page, MOUSE)
    open_scenario(page)
    for step, (decision, alternative) in enumerate(path):
        page.get_by_role("group", name="What do you do?").get_by_label(
            text_of(decision, alternative), exact=True
        ).check()
        page.get_by_role("group", name="How sure are you?").get_by_label("Very sure").check()
        sent = page.evaluate(
            "() => Object.fromEntries(new FormData(document.querySelector('form[method=post]')))"
        )
        page.get_by_role("button", name="Make this decision").click()
        # The feedback is announced (role alert) and takes the focus.
        feedback = page.locator("#choice-feedback")
        expect(feedback).to_have_attribute("role", "alert")
        expect(feedback).to_be_focused()
        expect(feedback).to_contain_text(feedback_of(decision, alternative))
        if step == 0:
            # Refreshing, and the same form sent again, record the decision once.
            page.reload()
            page.request.post(page.url, form=sent)
            page.reload()
            page.get_by_text("Your decisions so far").click()
            expect(page.locator(".govuk-details__text li")).to_have_count(1)
    expect(page.get_by_role("heading", name=ending["title"])).to_be_visible()
    expect_result(page, path, ending)
    best = page.locator(".app-scenario-path").nth(1)
    expect(best).to_contain_text(f"Ending: {ending['title']}")


def test_with_the_keyboard_only_the_worst_path(new_context: NewContext) -> None:
    path, ending = planned_path(WORST)
    assert ending["outcome"] == "risk-missed"
    page = new_context().new_page()
    sign_in(page, KEYBOARD)
    open_scenario(page)
    for decision, alternative in path:
        # Every alternative is on the page before they are read (a slow page loads late).
        expect(page.get_by_role("button", name="Make this decision")).to_be_visible()
        choose_radio(
            page, page.get_by_role("group", name="What do you do?"), text_of(decision, alternative)
        )
        choose_radio(page, page.get_by_role("group", name="How sure are you?"), "Not sure")
        tab_to(page, page.get_by_role("button", name="Make this decision"))
        press_enter_to_open_page(page)
        expect(page.locator("#choice-feedback")).to_be_focused()
    expect(page.get_by_role("heading", name=ending["title"])).to_be_visible()
    tab_to(page, page.get_by_role("button", name="Continue"))
    press_enter_to_open_page(page)
    tab_to(page, page.get_by_role("button", name="Submit answers"))
    press_enter_to_open_page(page)
    percent = expected_percent(path)
    expect(page.get_by_text(re.compile(rf"marks \({percent}%\)"))).to_be_visible()


def test_without_javascript_a_middle_path(new_context: NewContext) -> None:
    path, ending = planned_path(middle)
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, NO_JS)
    open_scenario(page)
    assert not page.locator("body.govuk-frontend-supported").count(), "JavaScript ran"
    # Leaving out the choice: the error summary comes first and says what to do.
    page.get_by_role("group", name="How sure are you?").get_by_label("Fairly sure").check()
    page.get_by_role("button", name="Make this decision").click()
    first = page.locator("main .govuk-grid-column-two-thirds > *").first
    expect(first).to_contain_text("Select what you would do")
    for decision, alternative in path:
        page.get_by_role("group", name="What do you do?").get_by_label(
            text_of(decision, alternative), exact=True
        ).check()
        page.get_by_role("group", name="How sure are you?").get_by_label("Fairly sure").check()
        page.get_by_role("button", name="Make this decision").click()
        # Without JavaScript the feedback still comes first and is focusable.
        expect(page.locator("#choice-feedback")).to_contain_text(feedback_of(decision, alternative))
    expect_result(page, path, ending)


@pytest.mark.parametrize("pick", [BEST, WORST, middle])
def test_the_three_paths_differ(pick) -> None:
    """The journeys above take three different paths (so they test three things)."""
    paths = {tuple(planned_path(p)[0]) for p in (BEST, WORST, middle)}
    assert len(paths) == 3
    assert planned_path(pick)[1]["kind"] == "ending"
