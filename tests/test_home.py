"""Where each person starts: after signing in, at the service's address, and from the
"Go to the start" link of an error page. Every role lands on a page it may see."""

from __future__ import annotations

from itertools import combinations

import pytest

from quizapp.models import Role

from .factories import DEFAULT_PASSWORD, create_agency, create_user

ADMIN, AUTHOR, LEAD, PRACTITIONER = Role.ADMIN, Role.AUTHOR, Role.LEAD, Role.PRACTITIONER


def expected_home(roles: frozenset[Role]) -> str:
    """The rule in README.md: administration, dashboards, banks, checks, in that order."""
    for role, path in (
        (ADMIN, "/admin/"),
        (LEAD, "/dashboards/"),
        (AUTHOR, "/author/"),
        (PRACTITIONER, "/checks/"),
    ):
        if role in roles:
            return path
    return "/help"


#: Every combination of roles, for a person in an agency and for one without (a lead
#: without an agency leads the whole partnership).
PEOPLE = [
    (frozenset(roles), in_agency)
    for size in range(len(Role) + 1)
    for roles in combinations(sorted(Role), size)
    for in_agency in (True, False)
]


def _person(roles: frozenset[Role], in_agency: bool, email: str = "person@example.org"):
    return create_user(
        email=email,
        agency=create_agency(name="Police") if in_agency else None,
        roles=tuple(sorted(roles)),
    )


@pytest.mark.parametrize(
    ("roles", "in_agency"),
    PEOPLE,
    ids=[
        ("+".join(sorted(r)) or "no-role") + ("-agency" if a else "-partnership") for r, a in PEOPLE
    ],
)
def test_everyone_lands_on_a_page_they_may_see(client, auth, roles, in_agency):
    _person(roles, in_agency)
    signed_in = auth.sign_in("person@example.org")
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == expected_home(roles)
    first_page = client.get(signed_in.headers["Location"])
    assert first_page.status_code == 200, first_page.get_data(as_text=True)[:500]
    # The service's own address and the sign-in page lead there too, once signed in.
    assert client.get("/").headers["Location"] == expected_home(roles)
    assert client.get("/sign-in").headers["Location"] == expected_home(roles)


@pytest.mark.parametrize(
    ("roles", "home"),
    [
        ((ADMIN,), "/admin/"),
        ((LEAD,), "/dashboards/"),
        ((LEAD, PRACTITIONER), "/dashboards/"),
        ((AUTHOR, PRACTITIONER), "/author/"),
        ((PRACTITIONER,), "/checks/"),
    ],
)
def test_the_demo_roles_land_where_the_issue_says(client, auth, roles, home):
    """Administrators and partnership leads used to land on a 403 at /checks/."""
    create_user(email="someone@example.org", roles=roles)
    response = auth.sign_in("someone@example.org")
    assert response.headers["Location"] == home
    page = client.get(home)
    assert page.status_code == 200
    assert "You do not have permission" not in page.get_data(as_text=True)


def test_a_safe_next_address_still_wins(client, auth):
    create_user(email="admin@example.org", roles=(ADMIN,))
    response = client.post(
        "/sign-in?next=/account/",
        data={"email": "admin@example.org", "password": DEFAULT_PASSWORD},
    )
    assert response.headers["Location"] == "/account/"


def test_an_unsafe_next_address_goes_home_instead(client):
    create_user(email="admin@example.org", roles=(ADMIN,))
    response = client.post(
        "/sign-in?next=//evil.example/",
        data={"email": "admin@example.org", "password": DEFAULT_PASSWORD},
    )
    assert response.headers["Location"] == "/admin/"


@pytest.mark.parametrize(
    ("roles", "refused", "home"),
    [
        ((ADMIN,), "/checks/", "/admin/"),
        ((LEAD,), "/author/", "/dashboards/"),
        ((PRACTITIONER,), "/admin/", "/checks/"),
    ],
)
def test_go_to_the_start_on_an_error_page_leads_home(client, auth, roles, refused, home):
    create_user(email="someone@example.org", roles=roles)
    auth.sign_in("someone@example.org")
    page = client.get(refused)
    assert page.status_code == 403
    assert f'href="{home}">Go to the start</a>' in page.get_data(as_text=True)
    assert client.get(home).status_code == 200


def test_go_to_the_start_signed_out_leads_to_signing_in(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert 'href="/sign-in">Go to the start</a>' in page.get_data(as_text=True)
