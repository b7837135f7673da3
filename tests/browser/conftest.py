"""Browser fixtures: one demo server and one Chromium for the session, a new browser
context (cookies, storage, viewport) for every test.

Chromium is Debian's (/usr/bin/chromium, or QUIZAPP_CHROMIUM), driven by Playwright;
Playwright's own browser download is not used. Without Chromium these tests skip with
the reason; in CI (CI=true) a skip fails the run, so there they must run.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from .pages import Visit, forget, sign_in
from .server import CHROMIUM, CHROMIUM_ARGS, Server, demo_server

#: Fail fast: a page of this app that takes 10 seconds is a failure in itself.
TIMEOUT_MS = 10_000
#: A desktop window (test_layout.py sets its own narrow and zoomed sizes).
DESKTOP = {"width": 1024, "height": 900}

NewContext = Callable[..., BrowserContext]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not CHROMIUM.exists():
        pytest.skip(
            f"Chromium is not installed at {CHROMIUM}: install Debian's chromium package"
            " (apt-get install chromium) or set QUIZAPP_CHROMIUM to run the browser tests"
        )
    return str(CHROMIUM)


@pytest.fixture(scope="session")
def server(chromium_path: str) -> Iterator[Server]:
    forget()
    with demo_server() as running:
        yield running


@pytest.fixture(scope="session")
def playwright(chromium_path: str) -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright: Playwright, chromium_path: str) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def signed_in_states(browser: Browser, server: Server) -> Callable[[str], dict]:
    """Each person signs in once, through the form; later contexts reuse the cookies."""
    states: dict[str, dict] = {}

    def storage_state(email: str) -> dict:
        if email not in states:
            context = browser.new_context(base_url=server.url)
            context.set_default_timeout(TIMEOUT_MS)
            sign_in(context.new_page(), email)
            states[email] = context.storage_state()
            context.close()
        return states[email]

    return storage_state


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()
#: Where screenshots of the pages of a failed test go.
FAILURES = Path(tempfile.gettempdir()) / "quizapp-browser-failures"


@pytest.fixture
def new_context(
    request: pytest.FixtureRequest,
    browser: Browser,
    server: Server,
    signed_in_states: Callable[[str], dict],
) -> Iterator[NewContext]:
    """Make browser contexts, closed at the end of the test.

    `user` signs the context in (None: signed out); other keyword arguments go to
    Playwright's browser.new_context (viewport, java_script_enabled, ...)."""
    contexts: list[BrowserContext] = []

    def make(user: str | None = None, **options) -> BrowserContext:
        options.setdefault("viewport", DESKTOP)
        if user is not None:
            options["storage_state"] = signed_in_states(user)
        context = browser.new_context(base_url=server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    if request.node.stash.get(FAILED, False):
        _screenshots(request.node.name, contexts)
    for context in contexts:
        context.close()


def _screenshots(name: str, contexts: list[BrowserContext]) -> None:
    FAILURES.mkdir(exist_ok=True)
    safe = re.sub(r"[^\w.-]+", "_", name)[:120]
    for c, context in enumerate(contexts):
        for n, page in enumerate(context.pages):
            path = FAILURES / f"{safe}-{c}-{n}.png"
            with contextlib.suppress(Exception):
                page.screenshot(path=path)
                print(f"screenshot of {page.url}: {path}")


@pytest.fixture
def page(new_context: NewContext) -> Page:
    """A signed-out page with JavaScript on, at desktop width."""
    return new_context().new_page()


def visit_for(page: Page, server: Server, new_context: NewContext) -> Visit:
    return Visit(page=page, server=server, open_as=lambda user: new_context(user).new_page())
