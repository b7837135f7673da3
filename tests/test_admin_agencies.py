"""Admin home, agencies and teams, through the routes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from quizapp.admin import queries
from quizapp.extensions import db
from quizapp.models import (
    Agency,
    AgencyEmailDomain,
    Assignment,
    Role,
    Team,
    User,
    assignment_teams,
    utcnow,
)

from .factories import create_agency, create_team, create_user, import_bank_text, small_bank


def new_agency(**kwargs) -> Agency:
    agency = create_agency(**kwargs)
    db.session.commit()
    return agency


@pytest.fixture
def admin(auth):
    user = create_user(email="admin@example.org", roles=(Role.ADMIN,), name="Ada Admin")
    auth.sign_in("admin@example.org")
    return user


def agency_form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "City Hospital",
        "sector": "health",
        "statutory_partner": "no",
        "email_domains": "",
    }
    data.update(overrides)
    return data


def agency_named(name: str) -> Agency | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Agency).where(Agency.name == name))


# Who may use the pages ------------------------------------------------------------------


ADMIN_PAGES = ["/admin/", "/admin/agencies/", "/admin/agencies/new"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_anonymous_people_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("roles", [(Role.PRACTITIONER,), (Role.LEAD,), (Role.AUTHOR,)])
def test_only_admins_manage_agencies(client, auth, roles):
    agency = new_agency(name="West Police")
    create_user(email="someone@example.org", roles=roles, agency=agency)
    auth.sign_in("someone@example.org")
    for url in [*ADMIN_PAGES, f"/admin/agencies/{agency.id}"]:
        assert client.get(url).status_code == 403, url
    response = client.post("/admin/agencies/new", data=agency_form())
    assert response.status_code == 403
    assert agency_named("City Hospital") is None


def test_admin_home_links_to_each_area(client, admin):
    page = client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/agencies/"' in page
    assert 'href="/admin/people/upload"' in page
    assert 'href="/admin/people/"' in page
    assert 'href="/admin/assignments/"' in page


# Agencies --------------------------------------------------------------------------------


def test_agency_list_shows_sector_partner_people_and_teams(client, admin):
    police = new_agency(name="West Police", sector="police")
    police.statutory_partner = True
    create_team(agency=police, name="Child protection")
    create_team(agency=police, name="Response")
    school = new_agency(name="Oak School", sector="education")
    for number in range(3):
        create_user(email=f"officer{number}@example.org", agency=police)
    gone = create_user(email="gone@example.org", agency=police)
    gone.left_at = utcnow()
    db.session.commit()

    page = client.get("/admin/agencies/").get_data(as_text=True)
    assert f'href="/admin/agencies/{police.id}">West Police</a>' in page
    assert f'href="/admin/agencies/{school.id}">Oak School</a>' in page
    police_row = page.split("West Police</a>")[1].split("</tr>")[0]
    assert '<td class="govuk-table__cell">Police</td>' in police_row
    assert ">Yes</td>" in police_row
    assert ">3</td>" in police_row  # the leaver is not counted
    assert "Child protection, Response" in police_row
    school_row = page.split("Oak School</a>")[1].split("</tr>")[0]
    assert ">Education</td>" in school_row
    assert ">No</td>" in school_row
    assert ">0</td>" in school_row
    assert ">None</td>" in school_row


def test_agencies_overview_uses_two_statements_however_many_agencies(app):
    for number in range(5):
        agency = new_agency(name=f"Agency {number}")
        create_team(agency=agency, name="A team")
        create_user(email=f"p{number}@example.org", agency=agency)
    db.session.expire_all()
    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = queries.agencies_overview()
        names = [[t.name for t in row.agency.teams] for row in rows]
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [row.active_people for row in rows] == [1] * 5
    assert names == [["A team"]] * 5
    assert len(statements) == 2


def test_add_an_agency(client, admin):
    assert "Add an agency" in client.get("/admin/agencies/new").get_data(as_text=True)
    response = client.post(
        "/admin/agencies/new",
        data=agency_form(
            name="  West   Midlands Police ",
            sector="police",
            statutory_partner="yes",
            email_domains="WMP.police.uk\n\n@west-midlands.police.uk\nwmp.police.uk\n",
        ),
    )
    agency = agency_named("West Midlands Police")
    assert agency is not None
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/agencies/{agency.id}")
    assert agency.sector == "police"
    assert agency.statutory_partner is True
    assert [d.domain for d in agency.email_domains] == [
        "west-midlands.police.uk",
        "wmp.police.uk",
    ]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "West Midlands Police added." in page
    assert "govuk-notification-banner--success" in page
    assert "<li>wmp.police.uk</li>" in page


def test_an_empty_agency_form_says_what_is_missing(client, admin):
    response = client.post("/admin/agencies/new", data={})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "govuk-error-summary" in page
    assert "Enter the agency&#39;s name" in page
    assert "Select the agency&#39;s sector" in page
    assert "Select yes if the agency is a statutory partner" in page
    assert "<title>Error: Add an agency" in page


def test_a_duplicate_agency_name_is_refused_whatever_its_case(client, admin):
    new_agency(name="City Hospital")
    response = client.post("/admin/agencies/new", data=agency_form(name="city HOSPITAL"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is already an agency called City Hospital" in page
    assert 'href="#name"' in page
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Agency.id))) == 1


def test_an_email_domain_of_another_agency_is_refused_naming_it(client, admin):
    police = new_agency(name="West Police", sector="police")
    police.email_domains.append(AgencyEmailDomain(domain="westpolice.uk"))
    db.session.commit()
    response = client.post(
        "/admin/agencies/new",
        data=agency_form(email_domains="cityhospital.nhs.uk\nWestPolice.uk"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "westpolice.uk is already an email domain of West Police" in page
    assert 'href="#email_domains"' in page
    assert agency_named("City Hospital") is None
    assert db.session.scalar(sa.select(sa.func.count(AgencyEmailDomain.id))) == 1


def test_names_with_control_characters_are_refused(client, admin):
    """NUL included: PostgreSQL can't store it, nor look a team up by it (a server error
    before)."""
    hidden = "must not include tabs, line breaks or other hidden characters"
    response = client.post(
        "/admin/agencies/new",
        data=agency_form(name="City\x00Hospital", email_domains="city.nhs.uk\r\nx\x00.uk"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<a href="#name">Name {hidden}</a>' in page
    assert (
        '<a href="#email_domains">Email domains must not include hidden characters other than'
        " line breaks and tabs</a>"
    ) in page
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Agency.id))) == 0

    agency = new_agency(name="City Hospital")
    team = create_team(agency=agency, name="Health visiting")
    for url in (
        f"/admin/agencies/{agency.id}/teams",
        f"/admin/agencies/{agency.id}/teams/{team.id}/rename",
    ):
        for name in ("Health\x00visiting", "School\tnursing"):
            refused = client.post(url, data={"name": name})
            assert refused.status_code == 422, (url, name)
            assert f'<a href="#name">Team name {hidden}</a>' in refused.get_data(as_text=True)
    assert teams_of(agency) == ["Health visiting"]


def test_lines_that_are_not_domains_are_named(client, admin):
    response = client.post(
        "/admin/agencies/new",
        data=agency_form(email_domains="good.nhs.uk\nnot a domain\nlocalhost"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert (
        "Enter email domains like swbh.nhs.uk, one on each line; not a domain:"
        " not a domain, localhost"
    ) in page


def test_edit_an_agency(client, admin):
    agency = new_agency(name="City Hospital")
    agency.email_domains.append(AgencyEmailDomain(domain="old.nhs.uk"))
    agency.email_domains.append(AgencyEmailDomain(domain="keep.nhs.uk"))
    db.session.commit()
    form = client.get(f"/admin/agencies/{agency.id}/edit").get_data(as_text=True)
    assert 'value="City Hospital"' in form
    assert "keep.nhs.uk\nold.nhs.uk" in form

    response = client.post(
        f"/admin/agencies/{agency.id}/edit",
        data=agency_form(
            name="City Hospitals Trust",
            sector="health",
            statutory_partner="yes",
            email_domains="keep.nhs.uk\nnew.nhs.uk",
        ),
    )
    assert response.status_code == 302
    edited = agency_named("City Hospitals Trust")
    assert edited is not None and edited.id == agency.id
    assert edited.statutory_partner is True
    assert [d.domain for d in edited.email_domains] == ["keep.nhs.uk", "new.nhs.uk"]
    page = client.get(f"/admin/agencies/{agency.id}").get_data(as_text=True)
    assert "City Hospitals Trust updated." in page


def test_an_agency_may_keep_its_own_name_and_domains(client, admin):
    agency = new_agency(name="City Hospital")
    agency.email_domains.append(AgencyEmailDomain(domain="city.nhs.uk"))
    db.session.commit()
    response = client.post(
        f"/admin/agencies/{agency.id}/edit",
        data=agency_form(name="City hospital", email_domains="city.nhs.uk"),
    )
    assert response.status_code == 302
    assert agency_named("City hospital") is not None


def test_editing_to_another_agencys_name_is_refused(client, admin):
    new_agency(name="West Police")
    agency = new_agency(name="City Hospital")
    response = client.post(
        f"/admin/agencies/{agency.id}/edit", data=agency_form(name="West Police")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is already an agency called West Police" in page
    assert agency_named("City Hospital") is not None


def test_an_unknown_agency_is_404(client, admin):
    assert client.get("/admin/agencies/999").status_code == 404
    assert client.get("/admin/agencies/999/edit").status_code == 404


# Teams --------------------------------------------------------------------------------


def teams_of(agency: Agency) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Team.name).where(Team.agency_id == agency.id).order_by(Team.name)
        )
    )


def test_agency_page_lists_teams_with_their_people(client, admin):
    agency = new_agency(name="City Hospital")
    team = create_team(agency=agency, name="Health visiting")
    create_team(agency=agency, name="School nursing")
    for number in range(2):
        user = create_user(email=f"hv{number}@example.org", agency=agency)
        user.team = team
    db.session.commit()
    page = client.get(f"/admin/agencies/{agency.id}").get_data(as_text=True)
    visiting = page.split(">Health visiting</th>")[1].split("</tr>")[0]
    assert ">2</td>" in visiting
    nursing = page.split(">School nursing</th>")[1].split("</tr>")[0]
    assert ">0</td>" in nursing
    assert f"/admin/agencies/{agency.id}/teams/{team.id}/rename" in page
    assert "2 active</a>" in page


def test_add_a_team(client, admin):
    agency = new_agency(name="City Hospital")
    response = client.post(
        f"/admin/agencies/{agency.id}/teams", data={"name": " Health  visiting "}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/agencies/{agency.id}#teams")
    assert teams_of(agency) == ["Health visiting"]
    page = client.get(f"/admin/agencies/{agency.id}").get_data(as_text=True)
    assert "Team Health visiting added to City Hospital." in page


def test_a_team_name_is_needed_and_unique_within_the_agency(client, admin):
    agency = new_agency(name="City Hospital")
    other = new_agency(name="West Police")
    create_team(agency=agency, name="Health visiting")
    create_team(agency=other, name="Response")
    empty = client.post(f"/admin/agencies/{agency.id}/teams", data={"name": "  "})
    assert empty.status_code == 422
    assert "Enter the team&#39;s name" in empty.get_data(as_text=True)
    duplicate = client.post(f"/admin/agencies/{agency.id}/teams", data={"name": "HEALTH VISITING"})
    assert duplicate.status_code == 422
    assert "City Hospital already has a team called Health visiting" in duplicate.get_data(
        as_text=True
    )
    # Another agency's team name is fine.
    assert (
        client.post(f"/admin/agencies/{agency.id}/teams", data={"name": "Response"}).status_code
        == 302
    )
    assert teams_of(agency) == ["Health visiting", "Response"]


def test_rename_a_team(client, admin):
    agency = new_agency(name="City Hospital")
    team = create_team(agency=agency, name="Health visiting")
    create_team(agency=agency, name="School nursing")
    url = f"/admin/agencies/{agency.id}/teams/{team.id}/rename"
    assert 'value="Health visiting"' in client.get(url).get_data(as_text=True)
    clash = client.post(url, data={"name": "school nursing"})
    assert clash.status_code == 422
    assert "City Hospital already has a team called School nursing" in clash.get_data(as_text=True)
    response = client.post(url, data={"name": "Health visiting (north)"})
    assert response.status_code == 302
    assert teams_of(agency) == ["Health visiting (north)", "School nursing"]


def test_a_team_of_another_agency_is_404(client, admin):
    agency = new_agency(name="City Hospital")
    other = new_agency(name="West Police")
    team = create_team(agency=other, name="Response")
    assert client.get(f"/admin/agencies/{agency.id}/teams/{team.id}/rename").status_code == 404
    assert client.post(f"/admin/agencies/{agency.id}/teams/{team.id}/remove").status_code == 404


def test_remove_an_empty_team_keeps_leavers_history(client, admin):
    agency = new_agency(name="City Hospital")
    team = create_team(agency=agency, name="Health visiting")
    leaver = create_user(email="leaver@example.org", agency=agency)
    leaver.team = team
    leaver.left_at = utcnow()
    db.session.commit()
    url = f"/admin/agencies/{agency.id}/teams/{team.id}/remove"
    assert "Are you sure you want to remove Health visiting?" in client.get(url).get_data(
        as_text=True
    )
    response = client.post(url)
    assert response.status_code == 302
    assert teams_of(agency) == []
    kept = db.session.get(User, leaver.id)
    assert kept is not None and kept.team_id is None and kept.left_at is not None


def test_a_team_with_people_is_not_removed(client, admin):
    agency = new_agency(name="City Hospital")
    team = create_team(agency=agency, name="Health visiting")
    user = create_user(email="hv@example.org", agency=agency)
    user.team = team
    db.session.commit()
    url = f"/admin/agencies/{agency.id}/teams/{team.id}/remove"
    page = client.get(url).get_data(as_text=True)
    assert "You cannot remove Health visiting" in page
    assert "1 person is in it (upload a CSV that moves them to another team first)" in page
    assert "Remove team" not in page
    response = client.post(url)
    assert response.status_code == 409
    assert teams_of(agency) == ["Health visiting"]
    db.session.expire_all()
    assert db.session.get(User, user.id).team_id == team.id


def test_a_team_named_by_an_assignment_is_not_removed(client, admin):
    outcome = import_bank_text(small_bank())
    agency = new_agency(name="City Hospital")
    team = create_team(agency=agency, name="Health visiting")
    from .factories import check_for

    assignment = Assignment(
        check=check_for(outcome),
        all_agencies=False,
        agencies=[agency],
        teams=[team],
        due_days=30,
        refresh_months=12,
    )
    db.session.add(assignment)
    db.session.commit()
    response = client.post(f"/admin/agencies/{agency.id}/teams/{team.id}/remove")
    assert response.status_code == 409
    assert "1 assignment names it (change or remove those assignments first)" in response.get_data(
        as_text=True
    )
    assert teams_of(agency) == ["Health visiting"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(assignment_teams)) == 1


def test_removing_a_team_moves_its_leavers_attempts_to_no_team(client, admin):
    import random
    from datetime import timedelta

    from quizapp.models import YearCount
    from quizapp.workforce import tally

    from .factories import check_for
    from .test_dashboards import take

    agency = new_agency(name="City Hospital")
    team = create_team(agency=agency, name="Health visiting")
    leaver = create_user(email="leaver@example.org", agency=agency)
    leaver.team = team
    db.session.commit()
    check = check_for(import_bank_text(small_bank()))
    take(leaver, check, skill=1.0, at=utcnow() - timedelta(days=3), rng=random.Random(1))
    leaver = db.session.get(User, leaver.id)
    leaver.left_at = utcnow()
    db.session.commit()

    def people_by_team():
        rows = db.session.execute(sa.select(YearCount.team_key, YearCount.people)).all()
        return {team_key: people for team_key, people in rows if people}

    assert people_by_team() == {team.id: 1}
    assert client.post(f"/admin/agencies/{agency.id}/teams/{team.id}/remove").status_code == 302
    db.session.expire_all()
    assert people_by_team() == {0: 1}  # the no-team key
    assert tally.mismatches(db.session) == {}
