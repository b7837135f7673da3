"""The warning before an idle sign-out, in a real browser (quizapp/static/session-timeout.js).

These run against a second server on the demo database whose idle limit is 24 seconds
(QUIZAPP_SESSION_IDLE_MINUTES=0.4), so the warning opens after about 12 seconds: with
JavaScript the warning is a modal dialog that is announced, passes axe and keeps the
session with "Stay signed in"; when time is up, the answer being given is kept, and so
it is without JavaScript.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from .conftest import FAILED, TIMEOUT_MS, _screenshots
from .pages import HS_TITLE, past_confidence, sign_in
from .server import DEMO_PASSWORD, Server, another_server
from .test_accessibility import describe, run_axe
from .test_layout import check_all_sizes

IDLE_SECONDS = 24
WARNING_SECONDS = 12  # half the limit (the warning is at most 2 minutes, and at most half)
#: Demo practitioners no other browser test uses; each starts an HS attempt here.
STAYING = "owen.islam.14@demo.test"
TIME_UP = "rhys.evans.16@demo.test"
NO_JAVASCRIPT = "sara.lewis.17@demo.test"

WARNING = "You\u2019re about to be signed out"
SIGNED_OUT = "You have been signed out"


@pytest.fixture(scope="module")
def short_server(server: Server) -> Iterator[Server]:
    with another_server(server, QUIZAPP_SESSION_IDLE_MINUTES=str(IDLE_SECONDS / 60)) as running:
        yield running


@pytest.fixture
def open_page(
    request: pytest.FixtureRequest, browser: Browser, short_server: Server
) -> Iterator[Callable[..., Page]]:
    """A new signed-out page on the short server (options go to browser.new_context)."""
    contexts: list[BrowserContext] = []

    def make(**options) -> Page:
        context = browser.new_context(
            base_url=short_server.url, viewport={"width": 1024, "height": 900}, **options
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    if request.node.stash.get(FAILED, False):
        _screenshots(request.node.name, contexts)
    for context in contexts:
        context.close()


def _sign_in_here(page: Page, email: str) -> None:
    """Sign in on the sign-in page the service sent us to (keeping its `next`)."""
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def _first_question(page: Page, email: str) -> str:
    """Sign in, start (or continue) the HS check and stop at its first question page."""
    sign_in(page, email)
    page.goto("/checks/")
    page.get_by_role("link", name=HS_TITLE, exact=True).click()
    page.get_by_role("button", name=re.compile("^(Start check|Continue your check)$")).click()
    past_confidence(page)
    if "/stages/" in page.url:
        page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/questions/"))
    return page.url


def test_the_warning_is_announced_passes_axe_and_stay_signed_in_keeps_the_session(
    open_page: Callable[..., Page],
) -> None:
    page = open_page()
    _first_question(page, STAYING)
    loaded = time.monotonic()
    answer = page.get_by_role("radio").first
    answer.focus()  # where the person was: the focus comes back here afterwards

    dialog = page.get_by_role("alertdialog", name=WARNING)
    expect(dialog).to_be_visible(timeout=(WARNING_SECONDS + 8) * 1000)
    assert time.monotonic() - loaded >= WARNING_SECONDS - 2, "the warning came too soon"
    # Announced: a modal alert dialog, named by its heading, described by when it ends,
    # and the focus moved to its heading (not to a button someone typing might press).
    assert dialog.evaluate("d => d.tagName === 'DIALOG' && d.matches(':modal')")
    expect(dialog).to_have_accessible_description(
        re.compile(r"^For your security, we will sign you out in \d+ seconds, at .+\.$")
    )
    expect(dialog.get_by_role("heading", name=WARNING)).to_be_focused()
    expect(dialog).to_contain_text("Anything you have entered on this page has not been saved")
    violations = run_axe(page)
    assert not violations, describe(violations)
    assert check_all_sizes(page) == []

    page.keyboard.press("Tab")
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    page.keyboard.press("Enter")
    stayed = time.monotonic()
    expect(dialog).to_be_hidden()
    expect(answer).to_be_focused()
    status = page.locator("[data-timeout-status]")
    assert status.get_attribute("aria-live") == "polite"
    expect(status).to_have_text("You\u2019re still signed in.")

    # Past the time the session would have ended without "Stay signed in", but well
    # inside the limit counted from it: still signed in.
    wait = loaded + IDLE_SECONDS + 2 - time.monotonic()
    assert stayed + IDLE_SECONDS - 4 > loaded + IDLE_SECONDS + 2, "too slow to tell"
    time.sleep(max(0, wait))
    page.goto("/checks/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your checks")


def test_when_time_is_up_the_answer_being_given_is_kept(open_page: Callable[..., Page]) -> None:
    page = open_page()
    url = _first_question(page, TIME_UP)
    page.get_by_role("radio").nth(2).check()
    chosen = page.get_by_role("radio").nth(2).get_attribute("value")
    page.get_by_role("radio", name="Not sure").check()

    dialog = page.get_by_role("alertdialog", name=SIGNED_OUT)
    expect(dialog).to_be_visible(timeout=(IDLE_SECONDS + 10) * 1000)
    expect(dialog.get_by_role("heading", name=SIGNED_OUT)).to_be_focused()
    expect(dialog).to_have_accessible_description(
        re.compile(r"Your answer is still on this page\. Sign in again and we will keep it")
    )
    dialog.get_by_role("button", name="Sign in again").click()

    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    expect(page.get_by_text("We have kept the answer you sent")).to_be_visible()
    _sign_in_here(page, TIME_UP)
    expect(page).to_have_url(url)
    expect(page.get_by_role("heading", name="We kept the answer you sent")).to_be_visible()
    expect(page.locator(f'input[name="answer"][value="{chosen}"]')).to_be_checked()
    expect(page.get_by_role("radio", name="Not sure")).to_be_checked()
    violations = run_axe(page)
    assert not violations, describe(violations)
    assert check_all_sizes(page) == []
    page.get_by_role("button", name="Save and continue").click()
    expect(page).not_to_have_url(url)
    page.goto(url)
    expect(page.get_by_role("heading", name="We kept the answer you sent")).to_have_count(0)
    expect(page.locator(f'input[name="answer"][value="{chosen}"]')).to_be_checked()


def test_without_javascript_an_answer_sent_too_late_is_kept(
    open_page: Callable[..., Page],
) -> None:
    page = open_page(java_script_enabled=False)
    url = _first_question(page, NO_JAVASCRIPT)
    expect(page.get_by_role("alertdialog")).to_have_count(0)  # nothing opens it
    page.get_by_role("radio").nth(1).check()
    chosen = page.get_by_role("radio").nth(1).get_attribute("value")
    page.get_by_role("radio", name="Fairly sure").check()
    time.sleep(IDLE_SECONDS + 1)
    page.get_by_role("button", name="Save and continue").click()

    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    expect(
        page.get_by_text(
            "You were signed out because you had not used the service for 24 seconds."
            " We have kept the answer you sent"
        )
    ).to_be_visible()
    _sign_in_here(page, NO_JAVASCRIPT)
    expect(page).to_have_url(url)
    expect(page.get_by_role("heading", name="We kept the answer you sent")).to_be_visible()
    expect(page.locator(f'input[name="answer"][value="{chosen}"]')).to_be_checked()
    expect(page.get_by_role("radio", name="Fairly sure")).to_be_checked()
    page.get_by_role("button", name="Save and continue").click()
    expect(page).not_to_have_url(url)
