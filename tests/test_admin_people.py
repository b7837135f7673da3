"""People: the list and the CSV upload (check, preview, save), through the routes."""

from __future__ import annotations

import html
import io
import json
import os
import re
import stat
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from quizapp.admin.people_csv import read_people
from quizapp.extensions import db
from quizapp.models import Agency, Assignment, Requirement, Role, Team, User, utcnow

from .factories import (
    check_for,
    create_agency,
    create_team,
    create_user,
    import_bank_text,
    small_bank,
)

HEADER = "name,email,agency,team,job role,level"


@pytest.fixture(autouse=True)
def upload_folder(app, tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    app.config["PEOPLE_UPLOAD_FOLDER"] = str(folder)
    return folder


@pytest.fixture
def hospital() -> Agency:
    agency = create_agency(name="City Hospital")
    for name in ("Health visiting", "School nursing"):
        db.session.add(Team(agency=agency, name=name))
    db.session.commit()
    return agency


@pytest.fixture
def police() -> Agency:
    agency = create_agency(name="West Police", sector="police")
    db.session.add(Team(agency=agency, name="Response"))
    db.session.commit()
    return agency


@pytest.fixture
def admin(auth) -> User:
    user = create_user(email="admin@example.org", roles=(Role.ADMIN,), name="Ada Admin")
    auth.sign_in("admin@example.org")
    return user


@pytest.fixture
def hospital_lead(auth, hospital) -> User:
    user = create_user(
        email="lead@hospital.example.org", roles=(Role.LEAD,), agency=hospital, name="Lee Lead"
    )
    auth.sign_in("lead@hospital.example.org")
    return user


def upload(client, text: str | bytes, *, full_agency: bool = False, filename="people.csv"):
    """Post a file as a browser does. The body is built in memory: the test client spools
    bodies over 500 KB to a temporary file it never closes (a ResourceWarning)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    form = MultiDict({"file": FileStorage(io.BytesIO(data), filename=filename)})
    if full_agency:
        form["full_agency"] = "y"
    boundary, body = encode_multipart(form)
    return client.post(
        "/admin/people/upload",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def save(client):
    return client.post("/admin/people/upload/save")


def user_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(User.id))) or 0


def users_by_email() -> dict[str, User]:
    db.session.expire_all()
    return {user.email: user for user in db.session.scalars(sa.select(User))}


def problems_on(page: str) -> dict[int, list[str]]:
    """The problem table of a preview page: row number -> reasons."""
    table = page.split('id="problem-rows"')[1].split("</table>")[0]
    rows = re.findall(r">Row (\d+)(?: \([^<]*\))?</th>\s*<td[^>]*>(.*?)</td>", table, flags=re.S)
    return {
        int(number): [
            html.unescape(m)
            for m in re.findall(r'<span class="govuk-!-display-block">(.*?)</span>', cell)
        ]
        for number, cell in rows
    }


def summary_value(page: str, key: str) -> str:
    match = re.search(
        rf'<dt class="govuk-summary-list__key">\s*{key}\s*</dt>\s*'
        r'<dd class="govuk-summary-list__value">\s*(.*?)\s*</dd>',
        page,
        flags=re.S,
    )
    assert match, key
    return html.unescape(match.group(1))


def person_rows(count: int, *, agency: str = "City Hospital", start: int = 0) -> list[str]:
    teams = ("Health visiting", "School nursing", "")
    return [
        f"Person {n},person{n}@example.org,{agency},{teams[n % 3]},Health visitor,Level {1 + n % 3}"
        for n in range(start, start + count)
    ]


def csv_text(rows: list[str]) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


# Who may upload -------------------------------------------------------------------------

UPLOAD_PAGES = ["/admin/people/", "/admin/people/upload", "/admin/people/upload/preview"]


@pytest.mark.parametrize("url", UPLOAD_PAGES)
def test_anonymous_people_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_anonymous_upload_is_sent_to_sign_in_and_saves_nothing(client, hospital):
    response = upload(client, csv_text(person_rows(2)))
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]
    assert user_count() == 0


def test_practitioners_are_refused(client, auth, hospital):
    create_user(email="nurse@example.org", agency=hospital)
    auth.sign_in("nurse@example.org")
    for url in UPLOAD_PAGES:
        assert client.get(url).status_code == 403, url
    assert upload(client, csv_text(person_rows(2))).status_code == 403
    assert save(client).status_code == 403
    assert user_count() == 1


def test_partnership_leads_see_aggregates_only_so_are_refused(client, auth, hospital):
    create_user(email="plead@example.org", roles=(Role.LEAD,), agency=None)
    auth.sign_in("plead@example.org")
    for url in UPLOAD_PAGES:
        assert client.get(url).status_code == 403, url
    assert upload(client, csv_text(person_rows(2))).status_code == 403
    assert save(client).status_code == 403
    assert user_count() == 1


def test_an_agency_lead_cannot_upload_for_another_agency(client, hospital_lead, police):
    before = user_count()
    response = upload(
        client,
        csv_text(
            [
                "Jo Bloggs,jo@example.org,City Hospital,,Nurse,",
                "Al Officer,al@example.org,West Police,Response,Constable,",
            ]
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert problems_on(page) == {3: ["You can only upload people for City Hospital"]}
    assert "Save" not in page.split("<h1")[1].split('id="problems"')[0]
    assert user_count() == before


#: What an agency lead sees for a row naming an account they may not change, whatever
#: the reason: it must say nothing of whose account it is, where, or in what state.
NOT_HERE = "This email address can't be added here; ask an administrator"


def someone_elses_accounts(police: Agency) -> dict[str, User]:
    """Accounts an agency lead of City Hospital may not change, by what they are."""
    leaver = create_user(
        email="lou.leaver@police.example.org",
        name="Lou Leaver",
        agency=police,
        job_role="Detective sergeant",
        level="Tier 2",
    )
    leaver.team = db.session.scalar(sa.select(Team).where(Team.name == "Response"))
    leaver.left_at = utcnow()
    db.session.commit()
    return {
        "leaver of another agency": leaver,
        "active in another agency": create_user(
            email="al.active@police.example.org", name="Al Active", agency=police
        ),
        "admin with no agency": create_user(
            email="ada@partnership.example.org", name="Ada Admin", roles=(Role.ADMIN,)
        ),
        "partnership lead with no agency": create_user(
            email="pat@partnership.example.org", name="Pat Partnership", roles=(Role.LEAD,)
        ),
    }


def details(user: User) -> tuple:
    db.session.expire_all()
    user = db.session.get(User, user.id)
    return (
        user.name,
        user.agency_id,
        user.team_id,
        user.job_role,
        user.level,
        user.left_at,
        user.active,
        user.roles,
    )


def test_an_agency_lead_cannot_take_over_another_agencys_leaver(client, hospital_lead, police):
    """The attack: a lead names a leaver of another agency; the preview used to show
    their name, agency and status, and saving moved them into the lead's agency, active
    again, with their past results in the lead's named figures."""
    accounts = someone_elses_accounts(police)
    leaver = accounts["leaver of another agency"]
    before = details(leaver)
    count = user_count()

    response = upload(
        client,
        csv_text(
            [
                "Lou L,lou.leaver@police.example.org,City Hospital,Health visiting,Nurse,",
                "Jo Bloggs,jo@example.org,City Hospital,,Nurse,",
            ]
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert problems_on(page) == {2: [NOT_HERE]}
    for secret in ("West Police", "Response", "Detective sergeant", "Tier 2", "Left", "Status"):
        assert secret not in page, secret
    # The row is named as the lead typed it; the account's own name is never shown.
    assert ">Row 2 (Lou L)</th>" in page
    assert page.count("Lou Leaver") == 0
    assert 'action="/admin/people/upload/save"' not in page

    # Nothing waits to be saved, so going on saves nothing.
    response = save(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/people/upload")
    assert details(leaver) == before
    assert user_count() == count


@pytest.mark.parametrize(
    "who",
    [
        "leaver of another agency",
        "active in another agency",
        "admin with no agency",
        "partnership lead with no agency",
    ],
)
def test_an_agency_lead_cannot_change_an_account_outside_their_agency(
    client, hospital_lead, police, who
):
    accounts = someone_elses_accounts(police)
    target = accounts[who]
    before = {key: details(user) for key, user in accounts.items()}
    response = upload(
        client, csv_text([f"Someone Else,{target.email},City Hospital,School nursing,Nurse,"])
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert problems_on(page) == {2: [NOT_HERE]}
    assert target.name not in page
    assert save(client).headers["Location"].endswith("/admin/people/upload")
    assert {key: details(user) for key, user in accounts.items()} == before


def test_the_refusal_is_the_same_whatever_the_account(client, hospital_lead, police):
    """Byte for byte (but for the per-request script nonce, the CSRF token's time and the
    idle warning's time since the last request): the
    preview can't tell a leaver, someone active elsewhere, an administrator and a
    partnership lead apart."""
    accounts = someone_elses_accounts(police)
    pages = {}
    for who, user in accounts.items():
        response = upload(client, csv_text([f"Someone Else,{user.email},City Hospital,,Nurse,"]))
        assert response.status_code == 422, who
        page = re.sub(rb'nonce="[^"]+"', b'nonce=""', response.get_data())
        # The idle warning's time since the session was last counted: the lead's, not theirs.
        page = re.sub(rb'data-seen-ago-seconds="[0-9.]+"', b'data-seen-ago-seconds=""', page)
        # A CSRF token is signed with the second it was made: pages a second apart differ.
        pages[who] = re.sub(rb'(name="csrf_token"[^>]*value=")[^"]+"', rb'\1"', page)
        assert b'name="csrf_token"' in pages[who]
    assert len(set(pages.values())) == 1
    assert problems_on(pages["admin with no agency"].decode()) == {2: [NOT_HERE]}


def test_an_agency_lead_cannot_change_an_administrator_of_their_own_agency(
    client, hospital_lead, hospital
):
    admin = create_user(
        email="root@hospital.example.org",
        name="Hospital Admin",
        agency=hospital,
        roles=(Role.ADMIN,),
    )
    before = details(admin)
    response = upload(client, csv_text(["Renamed,root@hospital.example.org,City Hospital,,Nurse,"]))
    assert response.status_code == 422
    assert problems_on(response.get_data(as_text=True)) == {2: [NOT_HERE]}
    # Nor can a full agency upload mark them as left.
    assert upload(client, csv_text(person_rows(1)), full_agency=True).status_code == 302
    page = client.get("/admin/people/upload/preview").get_data(as_text=True)
    assert "Hospital Admin" not in page
    assert summary_value(page, "Marked as left") == "0 (people of City Hospital not in the file)"
    assert save(client).status_code == 302
    assert details(admin) == before


def test_an_agency_lead_still_updates_and_brings_back_their_own_people(client, hospital_lead):
    hospital = db.session.get(Agency, hospital_lead.agency_id)
    own = create_user(email="own@hospital.example.org", name="Own Leaver", agency=hospital)
    own.left_at = utcnow()
    db.session.commit()
    response = upload(
        client,
        csv_text(
            [
                "Own Returner,own@hospital.example.org,City Hospital,Health visiting,Nurse,",
                f"Lee Lead,{hospital_lead.email},City Hospital,School nursing,Lead nurse,",
            ]
        ),
    )
    assert response.status_code == 302
    page = client.get("/admin/people/upload/preview").get_data(as_text=True)
    assert "Status: Left" in page
    assert summary_value(page, "Updated people") == "2"
    assert save(client).status_code == 302
    people = users_by_email()
    returned = people["own@hospital.example.org"]
    assert (returned.name, returned.left_at, returned.team.name) == (
        "Own Returner",
        None,
        "Health visiting",
    )
    assert people[hospital_lead.email].team.name == "School nursing"


# The acceptance case: 1,000 people, 20 faulty rows -----------------------------------------

FAULTS = {
    # row number: (the faulty line, its reasons)
    12: (
        "Unknown Agency,ua@example.org,Nowhere Trust,,Nurse,",
        ["Agency 'Nowhere Trust' is not known: check its spelling on the agencies page"],
    ),
    40: (
        "Typo Agency,typo@example.org,City Hosptal,,Nurse,",
        ["Agency 'City Hosptal' is not known: check its spelling on the agencies page"],
    ),
    77: (
        "Unknown Team,ut@example.org,City Hospital,Maternity,Midwife,",
        ["Team 'Maternity' is not a team of City Hospital"],
    ),
    101: (
        "Police Team,pt@example.org,City Hospital,Response,Nurse,",
        ["Team 'Response' is not a team of City Hospital"],
    ),
    150: (
        "Bad Email,not-an-email,City Hospital,,Nurse,",
        ["Email address 'not-an-email' is not valid: An email address must have an @-sign."],
    ),
    222: (
        "Two Ats,jo@@example.org,City Hospital,,Nurse,",
        [
            "Email address 'jo@@example.org' is not valid: The part after the @-sign"
            " contains invalid characters: '@'."
        ],
    ),
    250: (
        "Spaced Email,jo bloggs@example.org,City Hospital,,Nurse,",
        [
            "Email address 'jo bloggs@example.org' is not valid: The email address contains"
            " invalid characters before the @-sign: SPACE."
        ],
    ),
    301: (
        "Duplicate,person5@example.org,City Hospital,,Nurse,",
        ["Email address person5@example.org is also in row 7"],
    ),
    302: (
        "Duplicate Again,PERSON5@example.org,City Hospital,,Nurse,",
        ["Email address person5@example.org is also in row 7"],
    ),
    350: (",noname@example.org,City Hospital,,Nurse,", ["Name is missing"]),
    400: ("   ,blank@example.org,City Hospital,,Nurse,", ["Name is missing"]),
    444: (
        "Officer,officer@example.org,West Police,Response,Constable,",
        ["You can only upload people for City Hospital"],
    ),
    500: (
        "Officer Two,officer2@example.org,west police,,Constable,",
        ["You can only upload people for City Hospital"],
    ),
    555: (
        "Too Few,toofew@example.org,City Hospital",
        ["Row has 3 columns but the header row has 6"],
    ),
    600: (
        "Too Many,toomany@example.org,City Hospital,,Nurse,,extra",
        ["Row has 7 columns but the header row has 6"],
    ),
    666: ("No Email,,City Hospital,,Nurse,", ["Email address is missing"]),
    700: ("No Agency,noagency@example.org,,,Nurse,", ["Agency is missing"]),
    777: (
        f"{'N' * 201},longname@example.org,City Hospital,,Nurse,",
        ["Name must be 200 characters or fewer"],
    ),
    888: (
        f"Long Level,longlevel@example.org,City Hospital,,Nurse,{'L' * 51}",
        ["Level must be 50 characters or fewer"],
    ),
    999: (
        "Moved Officer,registered@police.example.org,City Hospital,,Nurse,",
        [NOT_HERE],
    ),
}


def test_a_thousand_people_with_twenty_faulty_rows(client, hospital_lead, police):
    create_user(email="registered@police.example.org", agency=police, name="Reg Officer")
    good = person_rows(1000)
    faulty = list(good)
    for row, (line, _) in FAULTS.items():
        faulty[row - 2] = line  # row 2 is the first person
    before = user_count()

    response = upload(client, csv_text(faulty))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert problems_on(page) == {row: reasons for row, (_, reasons) in FAULTS.items()}
    assert summary_value(page, "Rows with problems") == "20"
    assert summary_value(page, "New people") == "980"
    assert "There is a problem: nothing has been saved" in page
    assert "20 rows have problems: fix them and upload the corrected file" in page
    assert "Upload a corrected file" in page
    assert 'action="/admin/people/upload/save"' not in page
    assert user_count() == before
    # The file names teams City Hospital doesn't have, so it is kept (to add them from
    # the preview), but it can't be saved by going on: saving shows the problems again.
    assert "Add the team Maternity to City Hospital" in page
    response = save(client)
    assert response.status_code == 422
    assert problems_on(response.get_data(as_text=True)) == {
        row: reasons for row, (_, reasons) in FAULTS.items()
    }
    assert user_count() == before

    # The corrected file saves all 1,000.
    response = upload(client, csv_text(good))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/people/upload/preview")
    page = client.get("/admin/people/upload/preview").get_data(as_text=True)
    assert summary_value(page, "New people") == "1,000"
    assert summary_value(page, "Updated people") == "0"
    assert "Rows with problems" not in page
    assert "Save 1,000 changes" in page
    assert user_count() == before

    response = save(client)
    assert response.status_code == 302
    assert user_count() == before + 1000
    people = users_by_email()
    person = people["person7@example.org"]
    assert (person.name, person.agency_id, person.team.name, person.job_role, person.level) == (
        "Person 7",
        hospital_lead.agency_id,
        "School nursing",
        "Health visitor",
        "Level 2",
    )
    assert person.password_hash is None
    assert person.roles == {Role.PRACTITIONER}
    assert person.left_at is None
    assert people["person2@example.org"].team_id is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1,000 people added, 0 updated, 0 marked as left." in page


def test_updates_keep_ids_and_a_full_agency_upload_marks_leavers(client, hospital_lead):
    rows = person_rows(100)
    assert upload(client, csv_text(rows)).status_code == 302
    assert save(client).status_code == 302
    ids = {email: user.id for email, user in users_by_email().items()}
    total = user_count()

    changed = list(rows)
    changed[0] = "Person 0 Renamed,person0@example.org,City Hospital,,Health visitor,Level 1"
    changed[1] = "Person 1,PERSON1@example.org,City Hospital,School nursing,Health visitor,Level 3"
    response = upload(client, csv_text(changed))
    assert response.status_code == 302
    page = client.get("/admin/people/upload/preview").get_data(as_text=True)
    assert summary_value(page, "New people") == "0"
    assert summary_value(page, "Updated people") == "2"
    assert summary_value(page, "Unchanged") == "98"
    assert 'Name: Person 0 <span aria-hidden="true">→</span>' in page
    assert "Team: Health visiting" in page
    assert "Level: Level 2" in page
    assert "Save 2 changes" in page
    assert save(client).status_code == 302
    people = users_by_email()
    assert user_count() == total
    assert {email: user.id for email, user in people.items()} == ids
    assert people["person0@example.org"].name == "Person 0 Renamed"
    assert people["person0@example.org"].team_id is None
    assert people["person1@example.org"].team.name == "School nursing"
    assert people["person1@example.org"].level == "Level 3"

    # A full agency upload: the 10 people left out are marked as left, never deleted,
    # and their sessions end.
    tokens = {email: user.session_token for email, user in people.items()}
    kept = changed[10:]
    response = upload(client, csv_text(kept), full_agency=True)
    assert response.status_code == 302
    page = client.get("/admin/people/upload/preview").get_data(as_text=True)
    assert summary_value(page, "Marked as left").startswith("10 (people of City Hospital")
    assert "10 people will be marked as left" in page
    assert "Person 9</th>" in page
    assert "Save 10 changes" in page
    assert save(client).status_code == 302
    people = users_by_email()
    assert user_count() == total
    leavers = sorted(email for email, user in people.items() if user.left_at is not None)
    assert leavers == sorted(f"person{n}@example.org" for n in range(10))
    assert people["person0@example.org"].name == "Person 0 Renamed"
    assert people["person0@example.org"].id == ids["person0@example.org"]
    assert sorted(e for e, user in people.items() if user.session_token != tokens[e]) == leavers
    # The lead who uploaded is not in the file but is never marked as left.
    assert people[hospital_lead.email].left_at is None
    assert "0 people added, 0 updated, 10 marked as left." in client.get("/admin/people/").get_data(
        as_text=True
    )

    # Someone who left and reappears is active again.
    response = upload(client, csv_text(changed[3:4]))
    page = client.get("/admin/people/upload/preview").get_data(as_text=True)
    assert "Status: Left" in page
    assert save(client).status_code == 302
    assert users_by_email()["person3@example.org"].left_at is None


def test_an_admin_can_upload_for_several_agencies_and_move_people(client, admin, hospital, police):
    text = csv_text(
        [
            "Jo Bloggs,jo@example.org,City Hospital,Health visiting,Nurse,Level 3",
            "Al Officer,al@example.org,west police,response,Constable,",
        ]
    )
    assert upload(client, text).status_code == 302
    assert save(client).status_code == 302
    people = users_by_email()
    assert people["al@example.org"].agency_id == police.id
    assert people["al@example.org"].team.name == "Response"

    move = csv_text(["Jo Bloggs,jo@example.org,West Police,,Nurse,Level 3"])
    assert upload(client, move).status_code == 302
    page = client.get("/admin/people/upload/preview").get_data(as_text=True)
    assert "Agency: City Hospital" in page
    assert "Team: Health visiting" in page
    assert save(client).status_code == 302
    jo = users_by_email()["jo@example.org"]
    assert (jo.agency_id, jo.team_id) == (police.id, None)


def test_an_admin_still_moves_a_leaver_between_agencies(client, admin, hospital, police):
    leaver = someone_elses_accounts(police)["leaver of another agency"]
    text = csv_text([f"Lou Leaver,{leaver.email},City Hospital,Health visiting,Nurse,"])
    assert upload(client, text).status_code == 302
    page = client.get("/admin/people/upload/preview").get_data(as_text=True)
    assert "Agency: West Police" in page
    assert "Status: Left" in page
    assert save(client).status_code == 302
    moved = users_by_email()[leaver.email]
    assert (moved.agency_id, moved.team.name, moved.job_role, moved.left_at) == (
        hospital.id,
        "Health visiting",
        "Nurse",
        None,
    )


def test_a_full_agency_upload_must_be_for_one_agency(client, admin, hospital, police):
    response = upload(
        client,
        csv_text(
            [
                "Jo Bloggs,jo@example.org,City Hospital,,Nurse,",
                "Al Officer,al@example.org,West Police,,Constable,",
            ]
        ),
        full_agency=True,
    )
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert (
        "A full agency upload must be for one agency; this file has people for City Hospital"
        " and West Police"
    ) in page
    assert 'href="#full_agency"' in page
    assert user_count() == 1


def test_saving_brings_requirements_up_to_date(client, admin, hospital):
    outcome = import_bank_text(small_bank())
    db.session.add(
        Assignment(
            check=check_for(outcome),
            all_agencies=False,
            agencies=[db.session.get(Agency, hospital.id)],
            due_days=30,
            refresh_months=12,
        )
    )
    db.session.commit()
    assert upload(client, csv_text(person_rows(3))).status_code == 302
    assert save(client).status_code == 302
    db.session.expire_all()
    required = db.session.scalars(
        sa.select(User.email).join(Requirement, Requirement.user_id == User.id).order_by(User.email)
    ).all()
    assert required == [f"person{n}@example.org" for n in range(3)]

    # Leavers drop out of what is required.
    assert upload(client, csv_text(person_rows(2)), full_agency=True).status_code == 302
    assert save(client).status_code == 302
    db.session.expire_all()
    required = db.session.scalars(
        sa.select(User.email).join(Requirement, Requirement.user_id == User.id).order_by(User.email)
    ).all()
    assert required == ["person0@example.org", "person1@example.org"]


def test_the_file_is_checked_again_when_saving(client, admin, hospital):
    assert upload(client, csv_text(person_rows(3))).status_code == 302
    # Someone renames a team between the preview and the save.
    team = db.session.scalar(sa.select(Team).where(Team.name == "School nursing"))
    team.name = "School health"
    db.session.commit()
    response = save(client)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert problems_on(page) == {3: ["Team 'School nursing' is not a team of City Hospital"]}
    assert user_count() == 1


def test_an_upload_that_changes_nothing_offers_no_save(client, admin, hospital):
    assert upload(client, csv_text(person_rows(2))).status_code == 302
    assert save(client).status_code == 302
    assert upload(client, csv_text(person_rows(2))).status_code == 302
    page = client.get("/admin/people/upload/preview").get_data(as_text=True)
    assert summary_value(page, "Unchanged") == "2"
    assert "The file changes nothing" in page
    assert 'action="/admin/people/upload/save"' not in page


def test_the_waiting_file_is_private_and_removed_after_saving(
    client, admin, hospital, upload_folder
):
    assert upload(client, csv_text(person_rows(2))).status_code == 302
    (waiting,) = upload_folder.iterdir()
    assert waiting.suffix == ".json"
    assert stat.S_IMODE(waiting.stat().st_mode) == 0o600
    assert stat.S_IMODE(upload_folder.stat().st_mode) == 0o700
    # What is kept is the file's rows as read, not its text.
    kept = json.loads(waiting.read_text())
    assert kept["rows"][1] == [
        3,
        "Person 1",
        "person1@example.org",
        "City Hospital",
        "School nursing",
        "Health visitor",
        "Level 2",
    ]
    # A second upload replaces the first.
    assert upload(client, csv_text(person_rows(3))).status_code == 302
    (replacement,) = upload_folder.iterdir()
    assert replacement != waiting
    assert save(client).status_code == 302
    assert list(upload_folder.iterdir()) == []
    # Saving twice does nothing more.
    response = save(client)
    assert response.headers["Location"].endswith("/admin/people/upload")
    assert user_count() == 4


def refuse_to_read(monkeypatch) -> None:
    """From now on, reading any CSV of people fails."""
    from quizapp.admin import people_csv

    def no(*args, **kwargs):
        raise AssertionError("the file was read again")

    for name in ("read_people", "_read_row", "validate_email"):
        monkeypatch.setattr(people_csv, name, no)


def test_the_file_is_read_once_then_previewed_and_saved_from_what_was_kept(
    client, hospital_lead, monkeypatch
):
    hospital = db.session.get(Agency, hospital_lead.agency_id)
    create_user(email="person0@example.org", name="Old Name", agency=hospital)
    assert upload(client, csv_text(person_rows(3))).status_code == 302
    refuse_to_read(monkeypatch)

    for _ in range(2):
        response = client.get("/admin/people/upload/preview")
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert summary_value(page, "New people") == "2"
        assert summary_value(page, "Updated people") == "1"
        assert "Name: Old Name" in page
        assert "Save 3 changes" in page
    response = save(client)
    assert response.status_code == 302
    people = users_by_email()
    assert people["person0@example.org"].name == "Person 0"
    person = people["person2@example.org"]
    assert (person.name, person.agency_id, person.team_id, person.job_role, person.level) == (
        "Person 2",
        hospital.id,
        None,
        "Health visitor",
        "Level 3",
    )
    assert people["person1@example.org"].team.name == "School nursing"
    # Reading a file really is refused from the moment the first was kept.
    with pytest.raises(AssertionError, match="the file was read again"):
        upload(client, csv_text(person_rows(1)))


def test_the_kept_rows_are_checked_again_without_reading_the_file(
    client, admin, hospital, police, monkeypatch
):
    """What changed in the service since the upload counts; the file is not read again."""
    assert upload(client, csv_text(person_rows(2))).status_code == 302
    refuse_to_read(monkeypatch)
    create_user(email="person1@example.org", name="Person 1", agency=police)
    page = client.get("/admin/people/upload/preview").get_data(as_text=True)
    assert summary_value(page, "New people") == "1"
    assert "Agency: West Police" in page
    assert save(client).status_code == 302
    assert users_by_email()["person1@example.org"].agency_id == hospital.id


def test_a_kept_upload_that_cannot_be_read_is_treated_as_missing(
    client, admin, hospital, upload_folder
):
    assert upload(client, csv_text(person_rows(2))).status_code == 302
    (waiting,) = upload_folder.iterdir()
    data = json.loads(waiting.read_text())
    data["format"] = 0  # kept by another version of the service
    waiting.write_text(json.dumps(data))
    response = client.get("/admin/people/upload/preview")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/people/upload")
    waiting.write_text('{"format": 1, "rows": [')  # not JSON at all
    assert save(client).headers["Location"].endswith("/admin/people/upload")
    assert user_count() == 1


def test_a_failed_write_keeps_nothing(client, admin, hospital, upload_folder, monkeypatch):
    from quizapp.admin import operations

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(operations.os, "replace", full_disk)
    with pytest.raises(OSError, match="No space left"):
        upload(client, csv_text(person_rows(2)))
    assert list(upload_folder.iterdir()) == []
    monkeypatch.undo()
    response = client.get("/admin/people/upload/preview")
    assert response.headers["Location"].endswith("/admin/people/upload")
    assert user_count() == 1


def test_stale_uploads_are_removed_whatever_version_kept_them(
    client, admin, hospital, upload_folder
):
    from quizapp.admin.operations import KEEP_SECONDS

    upload_folder.mkdir()
    long_ago = time.time() - KEEP_SECONDS - 60
    stale = [upload_folder / f"{'a' * 32}{suffix}" for suffix in (".json", ".csv", ".tmp")]
    recent = upload_folder / f"{'b' * 32}.json"
    for path in [*stale, recent]:
        path.write_text("{}")
    for path in stale:
        os.utime(path, (long_ago, long_ago))
    assert upload(client, csv_text(person_rows(1))).status_code == 302
    left = set(upload_folder.iterdir())
    assert recent in left
    assert not left & set(stale)
    assert len(left) == 2


def test_an_error_while_saving_saves_nothing(client, hospital_lead, monkeypatch):
    hospital = db.session.get(Agency, hospital_lead.agency_id)
    create_user(email="person0@example.org", name="Old Name", agency=hospital)
    count = user_count()
    assert upload(client, csv_text(person_rows(3))).status_code == 302

    def broken(*args, **kwargs):
        raise RuntimeError("requirements failed")

    monkeypatch.setattr("quizapp.workforce.requirements.update_requirements", broken)
    with pytest.raises(RuntimeError, match="requirements failed"):
        save(client)  # after the new people were inserted and the update flushed
    assert user_count() == count
    assert users_by_email()["person0@example.org"].name == "Old Name"
    monkeypatch.undo()
    # The upload is still waiting, and saves in full.
    assert "Save 3 changes" in client.get("/admin/people/upload/preview").get_data(as_text=True)
    assert save(client).status_code == 302
    assert user_count() == count + 2
    assert users_by_email()["person0@example.org"].name == "Person 0"


# Problems with the whole file ------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Select a CSV file"),  # the browser sends no file
        (b"", "The selected file is empty"),
        (b"   \n", "The selected file is empty"),
        (
            b"name,agency,team\nJo,City Hospital,\n",
            "The first row must name the columns; it has no email column",
        ),
        (
            f"{HEADER}\nZoë,zoe@example.org,City Hospital,,,\n".encode("utf-16"),
            "The selected file must be saved as UTF-8 text",
        ),
        (
            f"{HEADER}\nZoë,zoe@example.org,City Hospital,,,\n".encode("latin-1"),
            "The selected file must be saved as UTF-8 text",
        ),
        (f"{HEADER}\n".encode(), "The selected file has a header row but no people"),
        (
            (HEADER + "\n" + "\n".join(person_rows(50_001))).encode(),
            "The file has more than 50,000 people; split it into smaller files",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_on_the_upload_page(
    client, admin, hospital, content, message
):
    if content is None:
        response = client.post("/admin/people/upload", data={})
    else:
        response = upload(client, content)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "govuk-error-summary" in page
    assert message in page
    assert 'href="#file"' in page
    assert "<title>Error: Upload people" in page
    assert user_count() == 1


def test_a_file_with_a_byte_order_mark_is_read(client, admin, hospital):
    text = csv_text(["Zoë Brontë,zoe@example.org,City Hospital,,,"])
    assert upload(client, b"\xef\xbb\xbf" + text.encode()).status_code == 302
    assert save(client).status_code == 302
    assert users_by_email()["zoe@example.org"].name == "Zoë Brontë"


def test_control_characters_in_a_name_are_listed_and_nothing_is_saved(client, admin, hospital):
    """NUL can't be stored in PostgreSQL (a server error on saving, before)."""
    text = csv_text(
        [
            "Jo\x00Bloggs,jo@example.org,City Hospital,,Nurse,",
            "Al Smith,al@example.org,City Hospital,,,",
        ]
    )
    response = upload(client, text)
    assert response.status_code == 422
    assert problems_on(response.get_data(as_text=True)) == {
        2: ["Name must not include hidden characters"]
    }
    # Nothing is kept for a file with problems, so it can't be saved by going on.
    assert save(client).headers["Location"].endswith("/admin/people/upload")
    assert user_count() == 1


def test_a_file_not_ending_in_csv_is_refused(client, admin, hospital):
    response = upload(client, csv_text(person_rows(1)), filename="people.xlsx")
    assert response.status_code == 422
    assert "The selected file must be a CSV file" in response.get_data(as_text=True)


def test_a_file_too_large_gets_a_clear_413(client, admin, hospital):
    too_big = b"x" * (5 * 1024 * 1024 + 1)
    response = upload(client, too_big)
    page = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "The file is too large" in page
    assert "The selected file must be smaller than 5 MB. Nothing has been saved." in page
    assert user_count() == 1


def test_the_upload_page_explains_the_columns(client, hospital_lead):
    page = client.get("/admin/people/upload").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page
    assert "Add people to City Hospital" in page
    assert (
        "updated if they are in City Hospital"
        " (only an administrator can move someone from another agency)"
    ) in page
    assert "This file lists everyone in the agency" in page


def test_problems_name_the_person_as_well_as_the_row(client, admin, hospital):
    response = upload(
        client,
        csv_text(
            [
                "Ann Able,ann@example.org,City Hospital,,Nurse,",
                "Sam Jones,not-an-email,City Hospital,,Nurse,",
                ",nameless@example.org,City Hospital,,Nurse,",
            ]
        ),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert ">Row 3 (Sam Jones)</th>" in page
    assert ">Row 4</th>" in page  # no name to give
    assert problems_on(page)[4] == ["Name is missing"]


def test_the_template_is_a_csv_file_of_the_columns(client, hospital_lead):
    response = client.get("/admin/people/upload/template.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="people-template.csv"'
    text = response.get_data().decode("utf-8-sig")
    assert text == "name,email,agency,team,job role,level\r\n"
    # The template's header is one the upload reads.
    sheet = read_people(text + "Ann Able,ann@example.org,City Hospital,,Nurse,Level 3\n")
    assert not sheet.problems and sheet.columns == {
        "name", "email", "agency", "team", "job_role", "level"
    }  # fmt: skip
    assert "/admin/people/upload/template.csv" in client.get("/admin/people/upload").get_data(
        as_text=True
    )


def test_a_team_the_file_names_can_be_added_from_the_preview(client, hospital_lead, hospital):
    rows = [
        "Ann Able,ann@example.org,City Hospital,Maternity,Midwife,",
        "Ben Bell,ben@example.org,City Hospital,maternity ,Midwife,",
    ]
    response = upload(client, csv_text(rows))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    link = f"/admin/people/upload/new-team?agency={hospital.id}&amp;name=Maternity"
    assert link in page
    confirm = client.get(html.unescape(link))
    assert confirm.status_code == 200
    text = html.unescape(confirm.get_data(as_text=True))
    assert "Add the team Maternity to City Hospital?" in text
    assert "2 rows of the file name it." in text
    assert db.session.scalar(sa.select(Team).where(Team.name == "Maternity")) is None

    added = client.post(
        "/admin/people/upload/new-team", data={"agency": hospital.id, "name": "Maternity"}
    )
    assert added.headers["Location"].endswith("/admin/people/upload/preview")
    preview = client.get("/admin/people/upload/preview")
    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    assert "Team Maternity added to City Hospital. The file has been checked again." in text
    assert "Save 2 changes" in text
    save(client)
    people = users_by_email()
    assert {people[e].team.name for e in ("ann@example.org", "ben@example.org")} == {"Maternity"}
    assert user_count() == 3  # the lead and the two new people
    # A team the file doesn't name (or that exists now) is not added from here.
    again = client.get(
        f"/admin/people/upload/new-team?agency={hospital.id}&name=Anything", follow_redirects=True
    )
    assert "There is no file waiting to be saved" in again.get_data(as_text=True)


def test_a_lead_adds_teams_only_to_their_own_agency(client, hospital_lead, police):
    response = upload(
        client,
        csv_text(
            [
                "Ann Able,ann@example.org,City Hospital,Maternity,Midwife,",
                "Al Officer,al@example.org,West Police,Traffic,Constable,",
            ]
        ),
    )
    page = response.get_data(as_text=True)
    assert "Add the team Maternity to City Hospital" in page
    assert "Traffic" not in page.split('id="new-teams"')[1]
    refused = client.post(
        "/admin/people/upload/new-team",
        data={"agency": police.id, "name": "Traffic"},
        follow_redirects=True,
    )
    assert "The file doesn&#39;t name that team, or the team exists now." in refused.get_data(
        as_text=True
    )
    assert db.session.scalar(sa.select(Team).where(Team.name == "Traffic")) is None


# The people list -------------------------------------------------------------------------


def add_people(agency: Agency, count: int, *, prefix: str = "person") -> None:
    db.session.add_all(
        User(
            email=f"{prefix}{n:03}@example.org",
            name=f"{prefix.title()} {n:03}",
            agency_id=agency.id,
            job_role="Nurse",
            level="Level 3",
        )
        for n in range(count)
    )
    db.session.commit()


def test_an_agency_lead_sees_their_own_agency_only(client, hospital_lead, police):
    add_people(police, 2, prefix="officer")
    hospital = db.session.get(Agency, hospital_lead.agency_id)
    add_people(hospital, 2, prefix="nurse")
    for url in ("/admin/people/", f"/admin/people/?agency={police.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "City Hospital" in page
        assert "nurse000@example.org" in page
        assert "officer" not in page
        assert '<select class="govuk-select"' not in page


def test_admins_choose_an_agency_and_page_through_its_people(client, admin, hospital, police):
    add_people(hospital, 51)
    add_people(police, 1, prefix="officer")
    leaver = db.session.scalar(sa.select(User).where(User.email == "person000@example.org"))
    leaver.left_at = utcnow()
    team = create_team(agency=hospital, name="Acute")
    db.session.scalar(sa.select(User).where(User.email == "person001@example.org")).team = team
    db.session.commit()

    first = client.get("/admin/people/").get_data(as_text=True)
    assert "Choose an agency" in first
    assert "person001" not in first

    page = client.get(f"/admin/people/?agency={hospital.id}").get_data(as_text=True)
    assert "51 people, page 1 of 2." in page
    assert page.count('<th scope="row" class="govuk-table__header">') == 50
    assert "officer" not in page
    row = page.split(">Person 001</a></th>")[1].split("</tr>")[0]
    assert ">Acute</td>" in row
    assert "Level 3" in row
    assert f"/admin/people/?page=2&amp;agency={hospital.id}" in page or (
        f"/admin/people/?agency={hospital.id}&amp;page=2" in page
    )
    second = client.get(f"/admin/people/?agency={hospital.id}&page=2").get_data(as_text=True)
    # Leavers come last, with the date they left.
    assert page.count('<th scope="row" class="govuk-table__header">') == 50
    assert ">Person 000</a></th>" in second
    assert second.count('<th scope="row" class="govuk-table__header">') == 1


def test_a_file_too_large_is_explained_when_csrf_protection_reads_the_form_first(csrf_app):
    client = csrf_app.test_client()
    boundary, body = encode_multipart(
        MultiDict({"file": FileStorage(io.BytesIO(b"x" * (5 * 1024 * 1024 + 1)), "a.csv")})
    )
    with csrf_app.app_context():
        response = client.post(
            "/admin/people/upload",
            data=body,
            content_type=f"multipart/form-data; boundary={boundary}",
        )
    assert response.status_code == 413
    assert "The selected file must be smaller than 5 MB" in response.get_data(as_text=True)


def test_a_clash_while_saving_saves_nothing(client, admin, hospital, monkeypatch):
    from quizapp.admin import operations

    assert upload(client, csv_text(person_rows(3))).status_code == 302
    # Someone registers person2 at the last moment, after the file was checked again.
    real_lookups = operations.lookups_for
    agency_id = hospital.id

    def stale_lookups(emails, *, uploader):
        found = real_lookups(emails, uploader=uploader)
        with db.engine.begin() as connection:  # another request, committed at once
            connection.execute(
                sa.insert(User).values(
                    email="person2@example.org", name="Fast Registrant", agency_id=agency_id
                )
            )
        return found

    monkeypatch.setattr(operations, "lookups_for", stale_lookups)
    response = save(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/people/upload/preview")
    assert sorted(users_by_email()) == ["admin@example.org", "person2@example.org"]
    monkeypatch.setattr(operations, "lookups_for", real_lookups)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Someone changed these people while you were saving, so nothing was saved." in page
    assert summary_value(page, "New people") == "2"


def count_statements(run):
    from sqlalchemy import event

    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        result = run()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return result, len(statements)


def test_people_queries_use_a_fixed_number_of_statements(app, hospital):
    from quizapp.admin import queries

    add_people(hospital, 60)
    team = db.session.scalar(sa.select(Team).where(Team.name == "Health visiting"))
    for user in db.session.scalars(sa.select(User).limit(30)):
        user.team = team
    db.session.commit()
    agency_id = hospital.id
    db.session.expire_all()
    page, statements = count_statements(
        lambda: [
            (u.name, u.team.name if u.team else None)
            for u in queries.people_of(agency_id, page=1).items
        ]
    )
    assert len(page) == 50
    assert page[0] == ("Person 000", "Health visiting")
    # count, the page, its teams, its roles
    assert statements == 4
    narrowed = queries.PeopleFilter(
        search="person 00", state=queries.AccountState.NEVER_SIGNED_IN, team=str(team.id)
    )
    page, statements = count_statements(
        lambda: [
            (u.name, u.team.name if u.team else None)
            for u in queries.people_of(agency_id, page=1, filters=narrowed, now=utcnow()).items
        ]
    )
    assert page == [(f"Person 00{n}", "Health visiting") for n in range(10)]
    assert statements == 4
    emails = [f"person{n:03}@example.org" for n in range(50)]
    invited, statements = count_statements(lambda: queries.invited_emails(emails, now=utcnow()))
    assert (invited, statements) == (set(), 1)
    counts, statements = count_statements(lambda: queries.agency_people_counts(agency_id))
    assert (counts.active, counts.left, counts.by_team) == (60, 0, {team.id: 30})
    assert statements == 1
