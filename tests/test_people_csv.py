"""Reading and checking a CSV of people: pure, no app and no database."""

from __future__ import annotations

import json

import pytest

from quizapp.admin.people_csv import (
    MAX_ROWS,
    Change,
    Existing,
    Lookups,
    Problem,
    Sheet,
    check_people,
    decode,
    read_people,
)

HEADER = "name,email,agency,team,job role,level\n"
POLICE, HOSPITAL = 1, 2
CHILD_PROTECTION, HEALTH_VISITING, SCHOOL_NURSING = 11, 21, 22


def lookups(
    *, existing: dict[str, Existing] | None = None, allowed: frozenset[int] | None = None
) -> Lookups:
    return Lookups(
        agencies={"west police": POLICE, "city hospital": HOSPITAL},
        agency_names={POLICE: "West Police", HOSPITAL: "City Hospital"},
        teams={
            POLICE: {"child protection": CHILD_PROTECTION},
            HOSPITAL: {"health visiting": HEALTH_VISITING, "school nursing": SCHOOL_NURSING},
        },
        team_names={
            CHILD_PROTECTION: "Child protection",
            HEALTH_VISITING: "Health visiting",
            SCHOOL_NURSING: "School nursing",
        },
        existing=existing or {},
        allowed_agency_ids=allowed,
    )


def check(text: str, **kwargs) -> object:
    full_agency = kwargs.pop("full_agency", False)
    return check_people(read_people(text), lookups(**kwargs), full_agency=full_agency)


def messages(result) -> list[tuple[int | None, str]]:
    return [(p.row, p.message) for p in result.problems]


def test_a_good_file_gives_new_people_with_their_ids():
    result = check(
        HEADER
        + "Sam Patel,Sam.Patel@Example.org,City Hospital,Health Visiting,Health visitor,Level 3\n"
        + "Jo Bloggs,jo@example.org,WEST POLICE,,Detective,\n"
    )
    assert result.problems == []
    assert [(p.row, p.email, p.agency_id, p.team_id, p.job_role, p.level) for p in result.new] == [
        (2, "sam.patel@example.org", HOSPITAL, HEALTH_VISITING, "Health visitor", "Level 3"),
        (3, "jo@example.org", POLICE, None, "Detective", None),
    ]
    assert result.agency_ids == {HOSPITAL, POLICE}


@pytest.mark.parametrize(
    "header",
    [
        "Email,NAME,Agency,Job_Role,Competency Level,Team",
        " email , name , agency , job role , level , team ",
        "email,name,agency,job_role,competency_level,team",
    ],
)
def test_headers_in_any_order_and_spelling(header):
    result = check(
        header + "\njo@example.org,Jo Bloggs,City Hospital,Nurse,Level 2,School nursing\n"
    )
    assert result.problems == []
    (person,) = result.new
    assert (person.name, person.job_role, person.level, person.team_id) == (
        "Jo Bloggs",
        "Nurse",
        "Level 2",
        SCHOOL_NURSING,
    )


def test_other_columns_are_ignored_and_optional_columns_may_be_missing():
    result = check("name,email,agency,notes\nJo,jo@example.org,City Hospital,anything\n")
    assert result.problems == []
    assert result.columns == {"name", "email", "agency"}
    assert result.new[0].team_id is None


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("name,agency,team", "it has no email column"),
        ("email,team", "it has no name and agency columns"),
        ("name,e-mail,agency", "it has no email column"),
        ("name;email;agency", "separate the columns with commas"),
    ],
)
def test_a_missing_required_column_refuses_the_whole_file(header, message):
    result = check(header + "\nx,y,z\n")
    assert len(result.problems) == 1
    assert result.problems[0].row is None
    assert message in result.problems[0].message
    assert result.new == []


def test_a_column_named_twice_refuses_the_file():
    result = check("name,email,agency,job role,job_role\nJo,jo@example.org,City Hospital,a,b\n")
    assert messages(result) == [
        (None, "The header row (row 1) has more than one job role column"),
    ]


def test_every_row_problem_is_reported_with_its_row_number():
    text = (
        HEADER
        + "Good One,good1@example.org,City Hospital,,,\n"  # 2
        + ",noname@example.org,City Hospital,,,\n"  # 3
        + "Bad Email,not-an-email,City Hospital,,,\n"  # 4
        + "Unknown Agency,ua@example.org,Nowhere Trust,,,\n"  # 5
        + "Unknown Team,ut@example.org,City Hospital,Maternity,,\n"  # 6
        + "Too Few,tf@example.org\n"  # 7
        + "Dup,good1@example.org,City Hospital,,,\n"  # 8
        + "No Email,,City Hospital,,,\n"  # 9
        + "No Agency,na@example.org,,,,\n"  # 10
        + "Police Team,pt@example.org,City Hospital,Child protection,,\n"  # 11
        + "\n"  # 12: a blank line is skipped but still counts as a row
        + "Too Many,tm@example.org,City Hospital,,,,extra\n"  # 13
    )
    result = check(text)
    assert messages(result) == [
        (3, "Name is missing"),
        (
            4,
            "Email address 'not-an-email' is not valid: An email address must have an @-sign.",
        ),
        (5, "Agency 'Nowhere Trust' is not known: check its spelling on the agencies page"),
        (6, "Team 'Maternity' is not a team of City Hospital"),
        (7, "Row has 2 columns but the header row has 6"),
        (8, "Email address good1@example.org is also in row 2"),
        (9, "Email address is missing"),
        (10, "Agency is missing"),
        (11, "Team 'Child protection' is not a team of City Hospital"),
        (13, "Row has 7 columns but the header row has 6"),
    ]
    assert [p.email for p in result.new] == ["good1@example.org"]
    assert sorted(result.problem_rows) == [3, 4, 5, 6, 7, 8, 9, 10, 11, 13]


def test_a_row_with_several_problems_lists_them_all():
    result = check(HEADER + ",bad,Nowhere,,,\n")
    assert result.problem_rows == {
        2: [
            "Name is missing",
            "Email address 'bad' is not valid: An email address must have an @-sign.",
            "Agency 'Nowhere' is not known: check its spelling on the agencies page",
        ]
    }


def test_values_too_long_for_the_database_are_problems():
    result = check(HEADER + f"{'n' * 201},jo@example.org,City Hospital,,,{'L' * 51}\n")
    assert result.problem_rows == {
        2: ["Name must be 200 characters or fewer", "Level must be 50 characters or fewer"]
    }


def test_control_characters_in_a_cell_are_problems_but_tabs_and_line_breaks_are_tidied():
    result = check(
        HEADER
        + "Jo\x00Bloggs,jo@example.org,City Hospital,,Nurse\x1b,\n"
        + '"Sam\tPatel",sam@example.org,City Hospital,,"Health\r\nvisitor",Level\x7f3\n'
        + "Al Smith,al@example.org,City\x9bHospital,,,\n"
        + '"Bo\tBrown",bo@example.org,City Hospital,,"Health\r\nvisitor",Level\u20283\n'
    )
    assert result.problem_rows == {
        2: [
            "Name must not include hidden characters",
            "Job role must not include hidden characters",
        ],
        3: ["Level must not include hidden characters"],
        4: [
            "Agency must not include hidden characters",
            "Agency 'City\x9bHospital' is not known: check its spelling on the agencies page",
        ],
    }
    (bo,) = result.new
    assert (bo.name, bo.job_role, bo.level) == ("Bo Brown", "Health visitor", "Level 3")


def test_test_domains_only_when_allowed():
    text = HEADER + "Jo,jo@demo.test,City Hospital,,,\n"
    assert read_people(text).problems[0].row == 2
    assert read_people(text, allow_test_domains=True).problems == []


def test_an_agency_lead_can_only_upload_for_their_own_agency():
    result = check(
        HEADER
        + "Jo,jo@example.org,City Hospital,,,\n"
        + "Al,al@example.org,West Police,Child protection,,\n",
        allowed=frozenset({HOSPITAL}),
    )
    assert messages(result) == [(3, "You can only upload people for City Hospital")]
    assert [p.email for p in result.new] == ["jo@example.org"]


def existing_person(id: int, agency_id: int | None, *, left=False, admin=False) -> Existing:
    return Existing(
        id=id,
        name=f"Person {id}",
        agency_id=agency_id,
        team_id=None,
        job_role="Constable",
        level="Tier 2",
        left=left,
        admin=admin,
    )


#: Registered people, by email, and whether a lead of the hospital may change them.
REGISTERED = {
    "active.police@example.org": (existing_person(7, POLICE), False),
    "left.police@example.org": (existing_person(8, POLICE, left=True), False),
    "admin@example.org": (existing_person(9, None, admin=True), False),
    "partnership@example.org": (existing_person(10, None), False),
    "admin@hospital.example.org": (existing_person(11, HOSPITAL, admin=True), False),
    "active@hospital.example.org": (existing_person(12, HOSPITAL), True),
    "left@hospital.example.org": (existing_person(13, HOSPITAL, left=True), True),
}


def test_an_agency_lead_changes_only_their_own_agencys_people_who_are_not_admins():
    emails = list(REGISTERED)
    result = check(
        HEADER + "".join(f"Someone,{email},City Hospital,,Nurse,\n" for email in emails),
        existing={email: existing for email, (existing, _) in REGISTERED.items()},
        allowed=frozenset({HOSPITAL}),
    )
    refused = [email for email, (_, may) in REGISTERED.items() if not may]
    # One message, the same for every reason, naming nothing about the account.
    assert messages(result) == [
        (2 + emails.index(email), "This email address can't be added here; ask an administrator")
        for email in refused
    ]
    assert [u.existing.id for u in result.updated] == [12, 13]
    assert result.new == []


def test_an_administrator_may_change_and_move_anyone():
    result = check(
        HEADER + "".join(f"Someone,{email},City Hospital,,Nurse,\n" for email in REGISTERED),
        existing={email: existing for email, (existing, _) in REGISTERED.items()},
        allowed=None,
    )
    assert result.problems == []
    assert [u.existing.id for u in result.updated] == list(range(7, 14))
    # Moving the police leaver: agency and status change, as the preview shows.
    assert result.updated[1].changes == (
        Change("Name", "Person 8", "Someone"),
        Change("Agency", "West Police", "City Hospital"),
        Change("Job role", "Constable", "Nurse"),
        Change("Level", "Tier 2", "None"),
        Change("Status", "Left", "Active"),
    )


def test_matched_people_show_what_changes():
    existing = {
        "jo@example.org": Existing(
            id=5,
            name="Jo Bloggs",
            agency_id=HOSPITAL,
            team_id=HEALTH_VISITING,
            job_role="Health visitor",
            level="Level 2",
            left=False,
        ),
        "sam@example.org": Existing(
            id=6,
            name="Sam Patel",
            agency_id=HOSPITAL,
            team_id=None,
            job_role="Nurse",
            level=None,
            left=True,
        ),
        "al@example.org": Existing(
            id=9,
            name="Al",
            agency_id=HOSPITAL,
            team_id=None,
            job_role="Nurse",
            level="Level 3",
            left=False,
        ),
    }
    result = check(
        HEADER
        + "Jo Bloggs-Smith,JO@example.org,City Hospital,School nursing,Health visitor,Level 3\n"
        + "Sam Patel,sam@example.org,City Hospital,,Nurse,\n"
        + "Al,al@example.org,City Hospital,,Nurse,Level 3\n",
        existing=existing,
    )
    assert result.problems == []
    assert result.new == []
    assert [u.existing.id for u in result.updated] == [5, 6]
    assert result.updated[0].changes == (
        Change("Name", "Jo Bloggs", "Jo Bloggs-Smith"),
        Change("Team", "Health visiting", "School nursing"),
        Change("Level", "Level 2", "Level 3"),
    )
    assert result.updated[1].changes == (Change("Status", "Left", "Active"),)
    assert [p.email for p in result.unchanged] == ["al@example.org"]


def test_a_column_left_out_changes_nothing_but_a_move_clears_the_old_team():
    existing = {
        "jo@example.org": Existing(
            id=5,
            name="Jo",
            agency_id=HOSPITAL,
            team_id=HEALTH_VISITING,
            job_role="Health visitor",
            level="Level 2",
            left=False,
        )
    }
    same = check("name,email,agency\nJo,jo@example.org,City Hospital\n", existing=existing)
    assert [p.email for p in same.unchanged] == ["jo@example.org"]
    moved = check("name,email,agency\nJo,jo@example.org,West Police\n", existing=existing)
    assert moved.updated[0].changes == (
        Change("Agency", "City Hospital", "West Police"),
        Change("Team", "Health visiting", "None"),
    )


def test_a_full_agency_upload_must_name_one_agency():
    text = HEADER + "Jo,jo@example.org,City Hospital,,,\nAl,al@example.org,West Police,,,\n"
    result = check(text, full_agency=True)
    assert messages(result) == [
        (
            None,
            "A full agency upload must be for one agency; this file has people for"
            " City Hospital and West Police",
        )
    ]
    assert check(text).problems == []


def test_empty_and_header_only_files_are_refused():
    assert messages(check("")) == [(None, "The selected file is empty")]
    assert messages(check(" \n\n")) == [(None, "The selected file is empty")]
    assert messages(check(HEADER + "\n,,,,,\n")) == [
        (None, "The selected file has a header row but no people")
    ]


def test_more_than_the_row_limit_is_refused():
    rows = "".join(f"P{i},p{i}@example.org,City Hospital,,,\n" for i in range(MAX_ROWS + 1))
    result = check(HEADER + rows)
    assert messages(result) == [
        (None, "The file has more than 50,000 people; split it into smaller files")
    ]


def test_exactly_the_row_limit_is_read():
    rows = "".join(f"P,p{i}@example.org,City Hospital,,,\n" for i in range(MAX_ROWS))
    sheet = read_people(HEADER + rows)
    assert sheet.problems == []
    assert len(sheet.rows) == MAX_ROWS


def test_decode_accepts_utf8_with_or_without_a_byte_order_mark():
    text = HEADER + "Zoë Brontë,zoe@example.org,City Hospital,,,\n"
    assert decode(text.encode("utf-8")) == text
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert check(decode(b"\xef\xbb\xbf" + text.encode("utf-8"))).new[0].name == "Zoë Brontë"


def test_decode_refuses_other_encodings_and_empty_files():
    latin = (HEADER + "Zoë,zoe@example.org,City Hospital,,,\n").encode("latin-1")
    problem = decode(latin)
    assert isinstance(problem, Problem)
    assert problem.row is None
    assert "UTF-8" in problem.message
    assert decode(b"  \r\n") == Problem(None, "The selected file is empty")


def test_quoted_values_with_commas_and_line_breaks():
    result = check(
        HEADER + '"Patel, Sam",sam@example.org,City Hospital,,"Nurse,\nband 6",\n'
        "Jo,,City Hospital,,,\n"
    )
    assert result.new[0].name == "Patel, Sam"
    assert result.new[0].job_role == "Nurse, band 6"
    # Rows are counted as records, as a spreadsheet shows them.
    assert messages(result) == [(3, "Email address is missing")]


def test_a_sheet_is_kept_as_json_and_read_back_the_same():
    sheet = read_people(
        HEADER
        + '"Patel, Sam",Sam@Example.org,City Hospital,Health visiting,"Nurse, band 6",\n'
        + "Zoë Brontë,not-an-email,West Police,,,Level 2\n"
    )
    data = json.loads(json.dumps(sheet.to_data()))
    assert data["rows"][0] == [
        2,
        "Patel, Sam",
        "sam@example.org",
        "City Hospital",
        "Health visiting",
        "Nurse, band 6",
        "",
    ]
    again = Sheet.from_data(data)
    assert again == sheet
    assert again.rows[1].email is None
    assert again.problems[0].row == 3
    assert check_people(again, lookups()).problems == check_people(sheet, lookups()).problems


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"format": 2, "columns": [], "rows": [], "problems": []},
        {"format": 1, "columns": [], "problems": []},
        {"format": 1, "columns": [], "rows": [[2, "Jo", "jo@example.org"]], "problems": []},
        {"format": 1, "columns": [], "rows": [["2", "Jo", "j", "A", "", "", ""]], "problems": []},
        {"format": 1, "columns": [], "rows": [], "problems": [[None]]},
    ],
)
def test_anything_else_is_not_read_as_a_sheet(data):
    with pytest.raises(ValueError):
        Sheet.from_data(data)
