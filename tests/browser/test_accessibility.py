"""axe-core on every page state (pages.py), against WCAG 2.0, 2.1 and 2.2 A and AA; and,
on the same page, no markup shown as text (test_visible_text.py has the rest of that guard).

The list of states is checked against the app's URL map, so a new page without a state
(or a reasoned exclusion) fails here by name.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from flask import Flask
from playwright.sync_api import Page
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from quizapp import create_app

from .conftest import NewContext, visit_for
from .pages import EXCLUDED, STATES, PageState, markup_shown, missing_endpoints
from .server import Server

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="module")
def app() -> Flask:
    """The app, only for its URL map (no database is touched)."""
    return create_app(
        {"TESTING": True, "SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )


def get_endpoints(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())}


def endpoint_at(app: Flask, url: str) -> str | None:
    """The endpoint that answers at `url` (GET, or POST for a form page shown again with
    its errors at the address it was sent to), None for a missing page."""
    adapter = app.url_map.bind("localhost")
    path = urlsplit(url).path
    for method in ("GET", "POST"):
        try:
            endpoint, _ = adapter.match(path, method=method)
        except NotFound:
            return None
        except MethodNotAllowed:
            continue
        except RequestRedirect as error:
            raise AssertionError(f"{url} is not a page: it redirects") from error
        return endpoint
    raise AssertionError(f"{url} answers neither GET nor POST")


def run_axe(page: Page, disabled: tuple[str, ...] = ()) -> list[dict]:
    """axe-core's violations on the page as it is now (axe-playwright-python's copy of
    axe). Only the violations come back: the full results are large and slow to pass."""
    options: dict = {
        "runOnly": {"type": "tag", "values": WCAG_TAGS},
        "resultTypes": ["violations"],
    }
    if disabled:
        options["rules"] = {rule: {"enabled": False} for rule in disabled}
    page.evaluate(AXE_SCRIPT)
    return page.evaluate("options => axe.run(document, options).then(r => r.violations)", options)


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['html'][:160]}")
            lines.append(f"      {node.get('failureSummary', '').replace(chr(10), ' ')[:300]}")
    return "\n".join(lines)


def test_every_get_endpoint_has_a_page_state(app: Flask) -> None:
    missing = missing_endpoints(get_endpoints(app))
    assert not missing, (
        "These pages have no state in tests/browser/pages.py (add one, or an exclusion"
        f" with a reason): {', '.join(missing)}"
    )


def test_page_states_name_real_endpoints(app: Flask) -> None:
    known = {rule.endpoint for rule in app.url_map.iter_rules()}
    stale = {s.endpoint for s in STATES if s.endpoint is not None} - known
    stale |= set(EXCLUDED) - known
    assert not stale, f"pages.py names endpoints the app no longer has: {sorted(stale)}"
    ids = [s.id for s in STATES]
    assert len(ids) == len(set(ids)), "two page states have the same endpoint and name"


def test_an_unlisted_endpoint_is_named() -> None:
    assert missing_endpoints({"auth.sign_in", "dashboards.brand_new"}) == ["dashboards.brand_new"]


def test_axe_reports_a_violation(page: Page) -> None:
    """axe really runs: an image without alternative text on a real page is reported."""
    page.goto("/sign-in")
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend',"
        " '<img src=\"/static/favicon.svg\">')"
    )
    assert [v["id"] for v in run_axe(page)] == ["image-alt"]


@pytest.mark.parametrize("page_state", STATES, ids=[s.id for s in STATES])
def test_page_state_passes_axe_and_shows_no_markup(
    page_state: PageState, app: Flask, server: Server, new_context: NewContext
) -> None:
    """One reach of each state serves both checks, to keep the suite quick."""
    page = new_context(page_state.user).new_page()
    page_state.reach(visit_for(page, server, new_context))
    page.wait_for_load_state()
    assert endpoint_at(app, page.url) == page_state.endpoint, f"reached {page.url}"
    markup = markup_shown(page)
    violations = run_axe(page, page_state.axe_disable)
    problems = [f"shows markup as text: {piece}" for piece in markup]
    assert not violations and not problems, "\n".join([page.url, *problems, describe(violations)])
