"""An administrator changes and ends an assignment, confirming what each step removes, and
retires and restores a check while a practitioner is about to start it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import NewContext
from .pages import (
    ADMIN,
    HS_TITLE,
    PILOT_TITLE,
    open_check_settings,
    restore_pilot,
    retire_pilot,
    submit,
)

#: An agency of this journey's own, so that its assignment changes nobody else's checks.
JOURNEY_AGENCY = "Assignment Journey Agency"
#: Opens the pilot check while it is back (nothing is started for them).
JOURNEY_PRACTITIONER = "leah.fisher.11@demo.test"


def test_admin_changes_and_ends_an_assignment_with_confirmation(new_context: NewContext) -> None:
    page = new_context(ADMIN).new_page()
    # An agency with three people at two levels.
    page.goto("/admin/agencies/")
    page.get_by_role("button", name="Add an agency").click()
    page.get_by_label("Name").fill(JOURNEY_AGENCY)
    page.get_by_label("Voluntary sector").check()
    page.get_by_role("group", name="Is it a statutory safeguarding partner?").get_by_label(
        "No"
    ).check()
    submit(page, "Save agency")
    page.goto("/admin/people/upload")
    rows = "\n".join(
        f"{name} Journey,{name.lower()}.journey@demo.test,{JOURNEY_AGENCY},Youth worker,{level}"
        for name, level in (("Ash", "Level 1"), ("Bo", "Level 2"), ("Cy", "Level 2"))
    )
    page.get_by_label("Upload a CSV file").set_input_files(
        {
            "name": "journey.csv",
            "mimeType": "text/csv",
            "buffer": f"name,email,agency,job role,level\n{rows}\n".encode(),
        }
    )
    submit(page, "Check the file")
    page.get_by_role("button", name=re.compile(r"^Save 3 ")).click()
    expect(page.get_by_role("alert")).to_contain_text("3 people added")

    # Assign the HS check to the agency, due 28 days after joining.
    page.goto("/admin/assignments/")
    page.get_by_role("button", name="Assign a check").click()
    page.get_by_label("Check", exact=True).select_option(label=HS_TITLE)
    page.get_by_role("group", name="Or choose agencies").get_by_label(JOURNEY_AGENCY).check()
    page.get_by_label("A number of days after the person joins the audience").check()
    page.get_by_role("textbox", name="Number of days").fill("28")
    submit(page, "Assign check")
    expect(page.get_by_role("alert")).to_contain_text(
        "3 people are now required to take it. 3 people will get an email saying so."
    )

    # Narrow it to Level 2: the page says how many lose the check before anything changes.
    page.get_by_role(
        "link", name=re.compile(f"^Change the assignment .* to {JOURNEY_AGENCY}")
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the assignment")
    expect(page.get_by_role("textbox", name="Number of days")).to_have_value("28")
    page.get_by_role("group", name="Only these competency levels (optional)").get_by_label(
        "Level 2", exact=True
    ).check()
    submit(page, "Save changes")
    expect(
        page.get_by_text("This change removes the check from 1 person's required checks.")
    ).to_be_visible()
    # And a due date already past: warned about too, in the same step.
    page.get_by_label("By a fixed date").check()
    page.get_by_role("group", name="Due date").get_by_label("Day").fill("1")
    page.get_by_role("group", name="Due date").get_by_label("Month").fill("2")
    page.get_by_role("group", name="Due date").get_by_label("Year").fill("2020")
    submit(page, "Save anyway")
    expect(page.get_by_text("The due date, 1 February 2020, has already passed.")).to_be_visible()
    expect(
        page.get_by_text("This change removes the check from 1 person's required checks.")
    ).to_be_visible()
    submit(page, "Save anyway")
    expect(page.get_by_role("alert")).to_contain_text(f"Assignment of {HS_TITLE} changed.")
    row = page.locator("#assignments").get_by_role("row").filter(has_text=JOURNEY_AGENCY)
    expect(row).to_contain_text("by 1 February 2020")
    expect(row).to_contain_text("Levels: Level 2")
    expect(row.get_by_role("cell").nth(3)).to_have_text("2")

    # End it: the confirmation gives the real number, then the assignment is listed as ended.
    row.get_by_role("link", name=re.compile("^End")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Are you sure you want to end this assignment?"
    )
    expect(
        page.get_by_text("This removes the check from 2 people's required checks.")
    ).to_be_visible()
    submit(page, "End assignment")
    expect(page.get_by_role("alert")).to_contain_text(
        "2 people no longer have it in their required checks."
    )
    expect(page.locator("#assignments")).not_to_contain_text(JOURNEY_AGENCY)
    expect(page.locator("#ended-assignments")).to_contain_text(JOURNEY_AGENCY)


def test_admin_restores_and_retires_a_check(new_context: NewContext) -> None:
    admin = new_context(ADMIN).new_page()
    practitioner = new_context(JOURNEY_PRACTITIONER).new_page()

    # The demo's pilot is retired: listed as such, and not offered to practitioners.
    admin.goto("/admin/checks/")
    pilot_row = admin.get_by_role("row").filter(has_text=PILOT_TITLE)
    expect(pilot_row).to_contain_text("Retired")
    practitioner.goto("/checks/")
    expect(practitioner.get_by_role("link", name=PILOT_TITLE, exact=True)).to_have_count(0)

    restore_pilot(admin)
    expect(admin.get_by_role("alert")).to_contain_text("0 people are required to take it")
    admin.goto("/admin/checks/")
    expect(pilot_row).to_contain_text("In use")
    practitioner.goto("/checks/")
    practitioner.get_by_role("link", name=PILOT_TITLE, exact=True).click()
    expect(practitioner.get_by_role("button", name="Start check")).to_be_visible()

    # Retired again while the practitioner looks at it: starting is refused, and why.
    open_check_settings(admin, PILOT_TITLE)
    admin.get_by_role("button", name="Retire check").click()
    expect(admin.get_by_text("Nobody is required to take it at the moment.")).to_be_visible()
    admin.get_by_role("link", name="Cancel").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(PILOT_TITLE)
    retire_pilot(admin)
    submit(practitioner, "Start check")
    expect(practitioner.get_by_role("heading", level=1)).to_have_text("You cannot start this check")
    practitioner.get_by_role("link", name="Go to your checks").click()
    expect(practitioner.get_by_role("link", name=PILOT_TITLE, exact=True)).to_have_count(0)
    admin.goto("/admin/checks/")
    expect(pilot_row).to_contain_text("Retired")
