"""Help: a guide for each role, open to everyone, linked from the navigation and footer."""

from __future__ import annotations

import re

import pytest

from quizapp.access import access_of
from quizapp.models import Role
from quizapp.pages import GUIDES

from .factories import create_user

GUIDE_PATHS = [f"/help/{slug}" for slug in GUIDES]


def test_there_is_a_guide_for_each_task_the_issue_names():
    assert list(GUIDES) == [
        "taking-a-check",
        "dashboards",
        "agencies-and-people",
        "question-banks",
    ]


def test_help_is_declared_public(app):
    assert access_of("pages.help") == "public"
    assert access_of("pages.help_guide") == "public"


@pytest.mark.parametrize("path", ["/help", *GUIDE_PATHS])
def test_help_pages_open_signed_out(client, path):
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'href="/help">Help</a>' in page  # the footer link, for everyone


def test_the_help_page_links_to_every_guide(client):
    page = client.get("/help").get_data(as_text=True)
    for slug, guide in GUIDES.items():
        assert f'<a class="govuk-link" href="/help/{slug}">{guide.title}</a>' in page


def test_an_unknown_guide_is_not_found(client):
    assert client.get("/help/no-such-guide").status_code == 404


@pytest.mark.parametrize("path", GUIDE_PATHS)
def test_each_guide_has_a_contents_list_whose_links_lead_somewhere(client, path):
    page = client.get(path).get_data(as_text=True)
    contents = page.split('id="contents-title"', 1)[1].split("</nav>", 1)[0]
    targets = re.findall(r'href="#([^"]+)"', contents)
    assert len(targets) >= 4
    for target in targets:
        assert page.count(f'id="{target}"') == 1, target
    # Every section of the guide is in the contents (the closing one excepted).
    sections = re.findall(r'<h2 class="govuk-heading-m" id="([^"]+)"', page)
    assert sections == [*targets, "more-help"]


def test_the_dashboards_guide_uses_the_configured_threshold_and_the_dashboards_words(app, client):
    app.config["SMALL_NUMBER_THRESHOLD"] = 7
    page = client.get("/help/dashboards").get_data(as_text=True)
    assert "<strong>fewer than 7</strong>: this figure is built from fewer than 7 people" in page
    assert "<strong>[c]</strong>: this figure is hidden so that another" in page
    assert "fewer than 5" not in page
    assert "from 1 April to 31 March" in page


def test_help_is_in_the_navigation_of_everyone_signed_in(client, auth):
    assert 'service-navigation__link" href="/help"' not in client.get("/help").get_data(
        as_text=True
    )
    for roles in ((Role.PRACTITIONER,), (Role.LEAD,), (Role.AUTHOR,), (Role.ADMIN,)):
        email = f"{roles[0]}@example.org"
        create_user(email=email, roles=roles)
        auth.sign_in(email)
        home = client.get("/").headers["Location"]
        page = client.get(home).get_data(as_text=True)
        assert re.search(
            r'<a class="govuk-service-navigation__link" href="/help"[^>]*>\s*Help', page
        )
        auth.sign_out()


def test_someone_without_a_role_lands_on_help_and_is_told_who_to_ask(client, auth):
    create_user(email="nobody@example.org", roles=())
    signed_in = auth.sign_in("nobody@example.org")
    assert signed_in.headers["Location"] == "/help"
    page = client.get("/help").get_data(as_text=True)
    assert "Your account has no role yet" in page
    auth.sign_out()
    assert "Your account has no role yet" not in client.get("/help").get_data(as_text=True)
