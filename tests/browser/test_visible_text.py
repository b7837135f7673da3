"""No page shows markup as text, and every role starts on its own home.

Issue 13 found two bugs every user met: "Check your answers" showed escaped markup
(`<span class="govuk-!-display-block ...">Question 1</span>`) before every question, and
administrators and partnership leads landed on "You do not have permission to see this
page" straight after signing in. This guards the whole class:

- every page state in pages.py (the crawl that reaches every page of the app as each kind
  of person) must show no HTML tag and no GOV.UK class name in its visible text (the
  page's title and `innerText`): test_accessibility.py checks this on the page it runs
  axe on, so each state is reached once for both;
- each demo account signs in through the form: its first page must answer 200 and be its
  role's home, and so must every page its navigation and footer link to, with no markup
  shown on any of them.
"""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page

from quizapp import create_app

from .conftest import NewContext
from .pages import (
    ADMIN,
    AUTHOR,
    LEAD,
    PASSED_PRACTITIONER,
    POLICE_LEAD,
    PRACTITIONER,
    STATES,
    markup_shown,
    submit,
)
from .server import DEMO_PASSWORD
from .test_accessibility import endpoint_at

#: Each demo account (README.md) and the page it must start on (quizapp/web.py, HOMES).
DEMO_HOMES = {
    PRACTITIONER: "take.your_checks",
    AUTHOR: "author.banks",
    LEAD: "dashboards.completion",
    POLICE_LEAD: "dashboards.completion",
    ADMIN: "admin.home",
}


@pytest.fixture(scope="module")
def app() -> Flask:
    """The app, only for its URL map (no database is touched)."""
    return create_app(
        {"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )


def test_the_markup_check_finds_markup_shown_as_text(page: Page) -> None:
    page.goto("/sign-in")
    assert markup_shown(page) == []
    show = "text => document.querySelector('main').insertAdjacentText('beforeend', text)"
    page.evaluate(show, '<span class="govuk-!-display-block">Question 1</span>')
    found = markup_shown(page)
    assert len(found) == 2, found  # the opening tag (with its class) and the closing tag
    assert '<span class="govuk-!-display-block">Question 1</span>' in found[0]
    page.evaluate(show, " a stray govuk-tag--grey class name")
    assert len(markup_shown(page)) == 3


def test_page_states_cover_every_kind_of_person() -> None:
    users = {s.user for s in STATES}
    assert {None, PASSED_PRACTITIONER, AUTHOR, LEAD, POLICE_LEAD, ADMIN} <= users


def _is_page_load(response) -> bool:
    request = response.request
    return request.is_navigation_request() and request.method == "GET"


@pytest.mark.parametrize("email", DEMO_HOMES)
def test_each_role_starts_at_its_home_and_its_links_work(
    email: str, app: Flask, new_context: NewContext
) -> None:
    page = new_context().new_page()  # signed out: this test signs in itself
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    with page.expect_response(_is_page_load) as landing:
        submit(page, "Sign in")
    page.wait_for_load_state()
    status = landing.value.status
    assert status == 200, f"{email}'s first page after signing in: {status} at {page.url}"
    assert endpoint_at(app, page.url) == DEMO_HOMES[email], page.url
    assert markup_shown(page) == [], page.url

    links = page.locator(".govuk-service-navigation__link[href], .govuk-footer__link[href]")
    addresses = list(dict.fromkeys(links.evaluate_all("links => links.map(a => a.href)")))
    assert len(addresses) >= 3, addresses  # a home, Help, and the footer's links at least
    for address in addresses:
        response = page.goto(address)
        assert response is not None and response.status == 200, (
            f"{email}: {address} answers {response and response.status}"
        )
        found = markup_shown(page)
        assert not found, f"{email}: {address} shows markup as text:\n" + "\n".join(found)
