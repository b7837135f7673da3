"""Single sign-on in a real browser, against the test OpenID Connect provider
(tests/oidc_provider.py) running as its own process.

A second app server on the demo database has one provider in its environment
(QUIZAPP_SSO_PROVIDERS), for an agency of these tests' own: its people sign in through
the provider and land on their checks; people of the demo's password agencies cannot
use it; when the agency requires single sign-on, its people's passwords stop working
while everyone else's still work.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ..oidc_provider import CLIENT_ID, CLIENT_SECRET, RunningProvider, running_provider
from .conftest import FAILED, TIMEOUT_MS, _screenshots
from .pages import ADMIN, PRACTITIONER, sign_in, submit
from .server import DEMO_PASSWORD, Server, another_server
from .test_accessibility import describe, run_axe

AGENCY = "Single Sign-on Test Police"
DOMAIN = "sso-police.test"
BUTTON = "Sign in with Test Police account"
#: Listed in the agency with a password before single sign-on (made by the fixture).
LISTED = f"pat.jones@{DOMAIN}"


@pytest.fixture(scope="module")
def idp() -> Iterator[RunningProvider]:
    with running_provider() as provider:
        yield provider


def _add_agency_and_person(server: Server) -> None:
    """The tests' agency, with an email domain and one person who has a password."""
    from quizapp import create_app
    from quizapp.extensions import db
    from quizapp.models import Agency, AgencyEmailDomain, Role, User, utcnow

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": server.database_url,
            "SECRET_KEY": "browser-tests-only-" + "x" * 32,
            "TESTING": True,
        }
    )
    with app.app_context():
        if db.session.scalar(db.select(Agency).where(Agency.name == AGENCY)) is None:
            agency = Agency(name=AGENCY, sector="police")
            agency.email_domains.append(AgencyEmailDomain(domain=DOMAIN))
            person = User(
                email=LISTED, name="Pat Jones", agency=agency, email_confirmed_at=utcnow()
            )
            person.set_password(DEMO_PASSWORD)
            person.grant(Role.PRACTITIONER)
            db.session.add_all([agency, person])
            db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="module")
def sso_server(server: Server, idp: RunningProvider) -> Iterator[Server]:
    _add_agency_and_person(server)
    providers = [
        {
            "slug": "test-police",
            "name": "Test Police account",
            "metadata_url": idp.metadata_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "agency": AGENCY,
        }
    ]
    with another_server(server, QUIZAPP_SSO_PROVIDERS=json.dumps(providers)) as running:
        yield running


@pytest.fixture
def open_page(
    request: pytest.FixtureRequest, browser: Browser, sso_server: Server
) -> Iterator[Callable[[], Page]]:
    contexts: list[BrowserContext] = []

    def make() -> Page:
        context = browser.new_context(
            base_url=sso_server.url, viewport={"width": 1024, "height": 900}
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    if request.node.stash.get(FAILED, False):
        _screenshots(request.node.name, contexts)
    for context in contexts:
        context.close()


def sign_in_at_provider(page: Page, email: str, name: str = "") -> None:
    """From the app's sign-in page, through the provider's own page, and back."""
    page.goto("/sign-in")
    page.get_by_role("button", name=BUTTON).click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Full name").fill(name)
    page.get_by_role("button", name="Continue").click()


def no_axe_violations(page: Page) -> None:
    violations = run_axe(page)
    assert not violations, describe(violations)


def set_sso_only(page: Page, required: bool) -> None:
    sign_in(page, ADMIN)
    page.goto("/admin/agencies/")
    page.get_by_role("link", name=AGENCY).click()
    page.get_by_role("link", name="Change how people sign in").click()
    label = "With single sign-on only" if required else "With a password, or single sign-on"
    page.get_by_label(label).check()
    submit(page, "Save")
    expect(page.get_by_role("heading", level=1, name=AGENCY)).to_be_visible()


def _agency_of(server: Server, email: str) -> str | None:
    import sqlalchemy as sa

    engine = sa.create_engine(server.database_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(
                sa.text(
                    "SELECT agencies.name FROM users JOIN agencies ON agencies.id ="
                    " users.agency_id WHERE users.email = :email"
                ),
                {"email": email},
            )
    finally:
        engine.dispose()


def test_a_person_of_the_sso_agency_signs_in_and_lands_on_their_checks(open_page, sso_server):
    page = open_page()
    page.goto("/sign-in")
    no_axe_violations(page)  # the sign-in page with its provider button
    sign_in_at_provider(page, f"new.officer@{DOMAIN}", "New Officer")
    expect(page).to_have_url(re.compile(r"/checks/$"))
    expect(page.get_by_role("heading", level=1, name="Your checks")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    assert _agency_of(sso_server, f"new.officer@{DOMAIN}") == AGENCY


def test_a_person_of_a_password_agency_cannot_use_sso(open_page):
    page = open_page()
    sign_in_at_provider(page, PRACTITIONER)
    expect(page.get_by_role("heading", level=1, name="You cannot sign in this way")).to_be_visible()
    expect(page.get_by_text(f"Your account is not listed under {AGENCY}")).to_be_visible()
    no_axe_violations(page)
    # Nobody is signed in: the checks ask for signing in.
    page.goto("/checks/")
    expect(page).to_have_url(re.compile(r"/sign-in"))
    # And their password still works.
    sign_in(page, PRACTITIONER)
    expect(page).to_have_url(re.compile(r"/checks/$"))


def test_when_sso_is_required_passwords_stop_working_for_that_agency_only(open_page):
    admin = open_page()
    set_sso_only(admin, True)
    try:
        page = open_page()
        page.goto("/sign-in")
        page.get_by_label("Email address").fill(LISTED)
        page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text(
            f"{AGENCY} uses single sign-on. Use {BUTTON} instead"
        )
        page.get_by_role("button", name=BUTTON).click()
        page.get_by_label("Email").fill(LISTED)
        page.get_by_role("button", name="Continue").click()
        expect(page).to_have_url(re.compile(r"/checks/$"))

        other = open_page()
        sign_in(other, PRACTITIONER)  # a password agency: passwords still work
        expect(other).to_have_url(re.compile(r"/checks/$"))
    finally:
        set_sso_only(open_page(), False)
