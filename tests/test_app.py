"""The app factory, configuration, access declarations, pages and headers."""

from __future__ import annotations

import re

import pytest

from quizapp import create_app
from quizapp.access import access_of
from quizapp.config import ProductionConfig, database_url


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    for key in (None, "", "dev", "short"):
        config = type("Config", (ProductionConfig,), {"SECRET_KEY": key})
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            create_app(config)


def test_production_starts_with_a_real_secret_key():
    config = type("Config", (ProductionConfig,), {"SECRET_KEY": "k" * 40})
    app = create_app(config)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_development_generates_and_keeps_a_secret_key(tmp_path, monkeypatch):
    config = {"SECRET_KEY": None, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    first = create_app(config)
    second = create_app(config)
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]


def test_database_defaults_to_sqlite_in_the_instance_folder():
    app = create_app({"SECRET_KEY": "k" * 40, "SQLALCHEMY_DATABASE_URI": None})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        f"sqlite:///{app.instance_path}/quizapp.sqlite"
    )


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        (None, None),
    ],
)
def test_database_url_uses_psycopg3(given, used):
    assert database_url(given) == used


def test_every_route_declares_who_may_use_it(app):
    undeclared = [
        rule.rule for rule in app.url_map.iter_rules() if access_of(rule.endpoint) is None
    ]
    assert undeclared == []


def test_a_route_without_a_declaration_is_refused(app, client):
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    response = client.get("/undeclared")
    assert response.status_code == 403
    assert "secret" not in response.get_data(as_text=True)


def test_missing_page_has_a_clear_message_and_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Page not found" in page
    assert "govuk-heading-l" in page


def test_security_headers(client):
    response = client.get("/sign-in")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "'nonce-" in csp
    nonce = csp.split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_use_our_name_not_the_gov_uk_brand(client):
    page = client.get("/sign-in").get_data(as_text=True)
    assert "Safeguarding learning checks" in page
    assert "govuk-logo" not in page and "GOV.UK" not in page
    assert "govuk-frontend.min.js" not in page  # loaded by init.js as a module
    assert "/static/govuk/init.js" in page
    css = client.get("/static/govuk/application.css")
    text = css.get_data(as_text=True)
    css.close()
    assert "arial" in text
    assert "GDS Transport" not in text and ".woff" not in text and "crest" not in text


def test_csrf_protects_forms(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/sign-in", data={"email": "a@b.c", "password": "x"})
    assert response.status_code == 400
    assert "Your form could not be sent" in response.get_data(as_text=True)


def test_navigation_shows_each_person_their_areas(app, client, auth):
    from quizapp.models import Role

    from .factories import create_agency, create_user

    agency = create_agency()
    people = {
        "hv@example.org": ((Role.PRACTITIONER,), None, ["Your checks", "Help"]),
        "author@example.org": ((Role.AUTHOR,), None, ["Question banks", "Help"]),
        "lead@example.org": ((Role.LEAD,), None, ["Dashboards", "Assignments", "Checks", "Help"]),
        "alead@example.org": ((Role.LEAD,), agency, ["Dashboards", "People", "Help"]),
        "admin@example.org": (
            (Role.ADMIN,),
            None,
            ["Question banks", "Dashboards", "People", "Assignments", "Checks", "Agencies", "Help"],
        ),
    }
    for email, (roles, where, expected) in people.items():
        create_user(email=email, roles=roles, agency=where)
        auth.sign_in(email)
        page = client.get("/sign-in", follow_redirects=True).get_data(as_text=True)
        nav = page.split('class="govuk-service-navigation__list"')[1].split("</ul>")[0]
        links = re.findall(r'class="govuk-service-navigation__link"[^>]*>(.*?)</a>', nav, re.S)
        shown = [re.sub(r"<[^>]+>", "", link).strip() for link in links]
        assert shown == expected, (email, shown)
        auth.sign_out()


def test_the_app_starts_with_rate_limits_switched_off():
    """Flask-Limiter adds no before-request check then, and create_app must not expect one."""
    app = create_app(
        {"SECRET_KEY": "x" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_ENABLED": False}
    )
    assert app.config["RATELIMIT_ENABLED"] is False
