"""Whole journeys in a real browser, found by labels, roles and visible text.

A practitioner takes the HS check to its result three ways (mouse, keyboard only, no
JavaScript); an author changes, previews and publishes a question; an agency lead
downloads the overdue list; an administrator uploads people from a CSV file, and makes
one of them a lead by invitation.
"""

from __future__ import annotations

import csv
import io
import re
import secrets

import pytest
import yaml
from playwright.sync_api import Locator, Page, expect

from .conftest import NewContext
from .pages import (
    ADMIN,
    AUTHOR,
    HS_BANK_FILE,
    HS_TITLE,
    LEAD,
    POLICE_LEAD,
    PRACTITIONER,
    hs_questions,
    past_confidence,
    sign_in,
)
from .server import DEMO_PASSWORD

#: People no page state uses, one for each way of taking the check.
KEYBOARD_PRACTITIONER = "chloe.owen.2@demo.test"
ERRORS_PRACTITIONER = "ben.hughes.1@demo.test"
NO_JS_PRACTITIONER = "dev.davies.3@demo.test"
QUESTIONS = {q["id"]: q for q in hs_questions()}
SCORED = [q for q in QUESTIONS.values() if q["type"] != "reflection"]
#: What one attempt shows: one question from each pool, and every reflection.
DRAWN = len({q.get("pool") or q["id"] for q in SCORED})
REFLECTIONS = len(QUESTIONS) - len(SCORED)


def expect_heading_counts(page: Page, counts: dict[bool, int], question: dict) -> None:
    """ "Question 3 of 22" or "Reflection 1 of 4": each kind numbered on its own."""
    scored = question["type"] != "reflection"
    counts[scored] += 1
    kind, total = ("Question", DRAWN) if scored else ("Reflection", REFLECTIONS)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{kind} {counts[scored]} of {total}")


CERTAINTY = "Very sure"

#: GOV.UK Frontend's focus colour (yellow), which every focus style here uses.
FOCUS_COLOUR = "rgb(255, 221, 0)"
FOCUS_VISIBLE_JS = """
(el, colour) => {
  // A radio or checkbox is drawn by its label, whose box gets the focus ring; any other
  // control, link or the error summary shows the colour itself (outline, shadow, border
  // or background). Only a visible outline counts (GOV.UK adds transparent ones for
  // forced-colour modes).
  const boxed = el.type === 'radio' || el.type === 'checkbox';
  const styles = boxed
    ? [getComputedStyle(el.labels[0], '::before'), getComputedStyle(el.labels[0], '::after')]
    : [getComputedStyle(el), getComputedStyle(el, '::before'), getComputedStyle(el, '::after')];
  return styles.some(s =>
    (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 &&
     s.outlineColor === colour) ||
    s.boxShadow.includes(colour) || s.backgroundColor === colour ||
    s.borderTopColor === colour);
}
"""


def question_id(page: Page) -> str:
    match = re.search(r"/questions/([^/?#]+)", page.url)
    assert match, page.url
    return match.group(1)


def expect_focus_visible(locator: Locator) -> None:
    assert locator.evaluate("el => el === document.activeElement"), "not focused"
    assert locator.evaluate(FOCUS_VISIBLE_JS, FOCUS_COLOUR), f"focus is not visible on {locator}"


def expect_result_passed(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("You passed")
    expect(
        page.get_by_text(re.compile(r"You scored (\d+) out of \1 marks \(100\.0%\)"))
    ).to_be_visible()
    expect(page.get_by_role("heading", name="How well you judged your certainty")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Question \d+:"))).to_have_count(DRAWN)
    expect(page.get_by_role("heading", name="Your reflections")).to_be_visible()


# Mouse (and JavaScript on) ------------------------------------------------------------


def answer_with_mouse(page: Page, question: dict) -> None:
    kind = question["type"]
    if kind in ("single", "multiple"):
        answers = page.get_by_role("group", name="Your answer")
        for option in question["options"]:
            if option["correct"]:
                answers.get_by_label(option["text"], exact=True).check()
    elif kind == "true_false":
        group = page.get_by_role("group", name="True or false?")
        group.get_by_label("True" if question["answer"] else "False", exact=True).check()
    elif kind == "ordering":
        for position, item in enumerate(question["items"], start=1):
            page.get_by_label(item, exact=True).select_option(str(position))
    else:
        page.get_by_label("Your reflection").fill("I record what I shared, with whom, and why.")
    if kind != "reflection":
        page.get_by_role("group", name="How sure are you?").get_by_label(CERTAINTY).check()
    page.get_by_role("button", name="Save and continue").click()


def answer_every_question(page: Page, answer) -> int:
    """From the first part or question of an attempt to the result; returns how many
    questions were answered."""
    answered = 0
    counts = {True: 0, False: 0}
    while "/check-answers" not in page.url:
        if "/stages/" in page.url:
            page.get_by_role("button", name="Continue").click()
            continue
        expect_heading_counts(page, counts, QUESTIONS[question_id(page)])
        answer(page, QUESTIONS[question_id(page)])
        answered += 1
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    expect(page.get_by_text("Not answered")).to_have_count(0)
    page.get_by_role("button", name="Submit answers").click()
    return answered


def test_practitioner_takes_the_hs_check(new_context: NewContext) -> None:
    page = new_context().new_page()
    sign_in(page, PRACTITIONER)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your checks")
    page.get_by_role("link", name=HS_TITLE, exact=True).click()
    page.get_by_role("button", name="Start check").click()
    # How confident are they before they start? One rating per finding, by mouse.
    expect(page.get_by_role("heading", level=1)).to_have_text("Before you start")
    for group in confidence_groups(page):
        group.get_by_label("Somewhat confident", exact=True).check()
    page.get_by_role("button", name="Continue").click()
    assert answer_every_question(page, answer_with_mouse) == DRAWN + REFLECTIONS == 26
    expect_result_passed(page)


def test_errors_take_focus_to_the_error_summary(new_context: NewContext) -> None:
    """With JavaScript, GOV.UK Frontend moves focus to the summary; its links lead to
    the field with the problem."""
    page = new_context(ERRORS_PRACTITIONER).new_page()
    page.goto("/checks/")
    page.get_by_role("link", name=HS_TITLE, exact=True).click()
    page.get_by_role("button", name="Start check").click()
    past_confidence(page)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary.get_by_role("alert")).to_contain_text("There is a problem")
    expect(summary).to_be_focused()
    expect_focus_visible(summary)
    assert page.title().startswith("Error: ")
    page.keyboard.press("Tab")
    link = summary.get_by_role("link", name="Select how sure you are of your answer")
    expect(summary.get_by_role("link").first).to_be_focused()
    link.click()
    expect(
        page.get_by_role("group", name="How sure are you?").get_by_role("radio").first
    ).to_be_focused()


# Keyboard only ------------------------------------------------------------------------


def tab_to(page: Page, target: Locator, *, limit: int = 120) -> None:
    """Press Tab until `target` has focus (failing after `limit` presses), then check that
    the focus can be seen."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            expect_focus_visible(target)
            return
    raise AssertionError(f"Tab never reached {target}")


def press_enter_to_open_page(page: Page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def confidence_groups(page: Page) -> list[Locator]:
    """The confidence questions on "Before you start", one radio group per finding."""
    return page.get_by_role("group", name=re.compile(r"^How confident are you ")).all()


def hs_findings() -> list[dict]:
    return yaml.safe_load(HS_BANK_FILE.read_text())["findings"]


def choose_radio(page: Page, group: Locator, label: str) -> None:
    """Tab into the group (focus lands on its first radio), then arrow to the choice."""
    radios = group.get_by_role("radio")
    labels = [label_of(radio) for radio in radios.all()]
    tab_to(page, radios.first)
    index = labels.index(label)
    page.keyboard.press("Space" if index == 0 else "ArrowDown")
    for _ in range(index - 1):
        page.keyboard.press("ArrowDown")
    expect(group.get_by_label(label, exact=True)).to_be_checked()


def label_of(control: Locator) -> str:
    return control.evaluate("el => el.labels[0].innerText.trim()")


def answer_with_keyboard(page: Page, question: dict) -> None:
    """Options and steps are shuffled, so go through them in the order the page has."""
    kind = question["type"]
    if kind == "single":
        right = next(o["text"] for o in question["options"] if o["correct"])
        choose_radio(page, page.get_by_role("group", name="Your answer"), right)
    elif kind == "multiple":
        right = {o["text"] for o in question["options"] if o["correct"]}
        for box in page.get_by_role("group", name="Your answer").get_by_role("checkbox").all():
            tab_to(page, box)
            if label_of(box) in right:
                page.keyboard.press("Space")
                expect(box).to_be_checked()
    elif kind == "true_false":
        group = page.get_by_role("group", name="True or false?")
        choose_radio(page, group, "True" if question["answer"] else "False")
    elif kind == "ordering":
        for select in (
            page.get_by_role("group", name="Put these in order").get_by_role("combobox").all()
        ):
            tab_to(page, select)
            position = str(question["items"].index(label_of(select)) + 1)
            page.keyboard.type(position)  # typing an option's text picks it
            expect(select).to_have_value(position)
    else:
        box = page.get_by_label("Your reflection")
        tab_to(page, box)
        page.keyboard.type("I say so in the meeting and ask for it to be minuted.")
    if kind != "reflection":
        choose_radio(page, page.get_by_role("group", name="How sure are you?"), CERTAINTY)
    tab_to(page, page.get_by_role("button", name="Save and continue"))
    press_enter_to_open_page(page)


def test_practitioner_takes_the_hs_check_with_the_keyboard_only(new_context: NewContext) -> None:
    page = new_context().new_page()
    page.goto("/sign-in")
    # The first Tab reaches the skip link, which shows itself and skips to the content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    tab_to(page, page.get_by_label("Email address"))
    page.keyboard.type(KEYBOARD_PRACTITIONER)
    tab_to(page, page.get_by_label("Password", exact=True))
    page.keyboard.type(DEMO_PASSWORD)
    press_enter_to_open_page(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your checks")
    tab_to(page, page.get_by_role("link", name=HS_TITLE, exact=True))
    press_enter_to_open_page(page)
    tab_to(page, page.get_by_role("button", name="Start check"))
    press_enter_to_open_page(page)
    # "Before you start": every confidence question answered from the keyboard.
    groups = confidence_groups(page)
    assert len(groups) == len(hs_findings())
    for group in groups:
        choose_radio(page, group, "Quite confident")
    tab_to(page, page.get_by_role("button", name="Continue"))
    press_enter_to_open_page(page)
    answered = 0
    counts = {True: 0, False: 0}
    while True:
        if "/check-answers" in page.url:
            break
        if "/stages/" in page.url:
            tab_to(page, page.get_by_role("button", name="Continue"))
            press_enter_to_open_page(page)
            continue
        expect_heading_counts(page, counts, QUESTIONS[question_id(page)])
        answer_with_keyboard(page, QUESTIONS[question_id(page)])
        answered += 1
    assert answered == DRAWN + REFLECTIONS
    tab_to(page, page.get_by_role("button", name="Submit answers"))
    press_enter_to_open_page(page)
    expect_result_passed(page)


# No JavaScript ------------------------------------------------------------------------


def test_practitioner_takes_the_hs_check_without_javascript(new_context: NewContext) -> None:
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, NO_JS_PRACTITIONER)
    page.get_by_role("link", name=HS_TITLE, exact=True).click()
    assert not page.locator("body.govuk-frontend-supported").count(), "JavaScript ran"
    page.get_by_role("button", name="Start check").click()
    past_confidence(page)
    page.get_by_role("button", name="Continue").click()

    # An answer left out: the error summary is the first thing in the content, above the
    # heading, and says what to do (without JavaScript nothing moves the focus there).
    page.get_by_role("button", name="Save and continue").click()
    first_in_content = page.locator("main .govuk-grid-column-two-thirds > *").first
    expect(first_in_content).to_have_class(re.compile("govuk-error-summary"))
    expect(first_in_content).to_contain_text("Select how sure you are of your answer")
    assert page.title().startswith("Error: ")

    assert answer_every_question(page, answer_with_mouse) == DRAWN + REFLECTIONS
    expect_result_passed(page)


# Authors, leads, administrators -------------------------------------------------------


def test_author_changes_previews_and_publishes_a_question(new_context: NewContext) -> None:
    page = new_context(AUTHOR).new_page()
    page.goto("/author/")
    page.get_by_role("link", name=HS_TITLE, exact=True).click()
    page.get_by_role("button", name="Start a new draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(HS_TITLE)

    question = QUESTIONS["refer-in-pregnancy"]
    page.get_by_role("link", name="Change question refer-in-pregnancy", exact=True).click()
    prompt = page.get_by_label("Question", exact=True)
    new_prompt = "A midwife books in a young mother. **What should the midwife do first?**"
    prompt.fill(new_prompt)
    page.get_by_role("button", name="Save question").click()
    expect(page.get_by_text("Question saved.")).to_be_visible()

    page.get_by_role("link", name="Preview the draft as a practitioner").click()
    expect(page.get_by_text("Answers here are not recorded.")).to_be_visible()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("What should the midwife do first?")).to_be_visible()
    right = next(o["text"] for o in question["options"] if o["correct"])
    page.get_by_label(right, exact=True).check()
    page.get_by_role("group", name="How sure are you?").get_by_label(CERTAINTY).check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("^Question 2 of"))

    page.goto("/author/")
    page.get_by_role("link", name=HS_TITLE, exact=True).click()
    page.get_by_role("link", name=re.compile("^Continue editing the draft")).click()
    page.get_by_label("What changed in this version?").fill(
        "Reworded the first question on referral."
    )
    page.get_by_role("button", name="Publish version").click()
    expect(page.get_by_text(re.compile(r"Version \d+ published\."))).to_be_visible()
    expect(page.get_by_text("Note: Reworded the first question on referral.")).to_be_visible()


def test_agency_lead_downloads_the_overdue_list(new_context: NewContext) -> None:
    page = new_context(POLICE_LEAD).new_page()
    page.goto("/checks/")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Dashboards").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Completion")
    page.get_by_role("navigation", name="Dashboards").get_by_role(
        "link", name="Overdue people"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overdue people")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download this list (CSV)").click()
    download = download_info.value
    assert re.fullmatch(r"overdue-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8-sig") as file:
        rows = list(csv.reader(io.StringIO(file.read())))
    assert rows[0] == [
        "Name",
        "Email",
        "Team",
        "Check",
        "Due date",
        "Days overdue",
        "Last attempt",
    ]
    assert len(rows) > 1, "the demo has overdue police officers"
    shown = page.get_by_role("table").get_by_role("row")
    expect(shown).to_have_count(len(rows))  # the same people as the page (one page here)
    assert {row[3] for row in rows[1:]} == {HS_TITLE}
    for name, email, *_, due, days, last in rows[1:]:
        assert "@" in email and int(days) > 0
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", due)
        assert last == "" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", last)
        # The page shows the same person with their email and days overdue.
        expect(page.get_by_role("row").filter(has_text=name).first).to_contain_text(email)
        expect(page.get_by_role("row").filter(has_text=name).first).to_contain_text(f"{days} day")


def test_the_yearly_report_prints_without_navigation_and_names_the_partnership_on_each_page(
    new_context: NewContext,
) -> None:
    from pypdf import PdfReader

    page = new_context(LEAD).new_page()
    page.goto("/dashboards/report")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Yearly report")
    checks = page.get_by_role("heading", level=2).count()
    pdf = PdfReader(io.BytesIO(page.pdf(format="A4", prefer_css_page_size=True)))
    texts = [sheet.extract_text() for sheet in pdf.pages]
    assert len(texts) > checks  # the tables take more than a page
    for text in texts:
        assert "Demo Safeguarding Partnership: yearly report" in text
        for navigation in ("Sign out", "Learning landed", "Assignments", "Download", "Show year"):
            assert navigation not in text, navigation
        assert "http" not in text, "no link addresses"
    # A4: 595 by 842 points.
    box = pdf.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_chart_tables_fold_away_with_javascript_and_stay_open_without(
    new_context: NewContext,
) -> None:
    for scripts in (True, False):
        page = new_context(LEAD, java_script_enabled=scripts).new_page()
        page.goto("/dashboards/")
        summary = page.get_by_text("Show the figures as a table").first
        expect(summary).to_be_visible()
        table = page.get_by_role("table", name=re.compile("completion by agency")).first
        if scripts:
            expect(table).to_be_hidden()
            summary.click()
        expect(table).to_be_visible()
        expect(table.get_by_role("row", name=re.compile("All agencies"))).to_be_visible()


def test_admin_uploads_people_from_csv(new_context: NewContext) -> None:
    page = new_context(ADMIN).new_page()
    page.goto("/admin/")
    page.get_by_role("link", name="Upload people").click()
    page.get_by_label("Upload a CSV file").set_input_files(
        {
            "name": "police.csv",
            "mimeType": "text/csv",
            "buffer": (
                b"name,email,agency,job role,level\n"
                b"Robin Upload,robin.upload@demo.test,Police,Police constable,Tier 1\n"
                b"Kit Upload,kit.upload@demo.test,Police,Detective constable,Tier 2\n"
            ),
        }
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("Robin Upload")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Save 2 ")).click()
    expect(page.get_by_role("alert")).to_contain_text("2 people added, 0 updated")
    page.get_by_label("Agency").select_option(label="Police")
    page.get_by_label("Name or email address").fill("Upload")
    page.get_by_role("button", name="Show people").click()
    expect(page.get_by_role("rowheader", name="Robin Upload")).to_be_visible()
    expect(page.get_by_role("rowheader", name="Kit Upload")).to_be_visible()


@pytest.mark.parametrize("path", ["/sign-in", "/checks/"])
def test_footer_links_to_the_accessibility_statement(new_context: NewContext, path: str) -> None:
    page = new_context(PRACTITIONER if path == "/checks/" else None).new_page()
    page.goto(path)
    page.get_by_role("contentinfo").get_by_role("link", name="Accessibility statement").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Accessibility statement")
    expect(page.get_by_text("checks have no time limit")).to_be_visible()
    expect(
        page.get_by_role("link", name="safeguarding-partnership@example.org").first
    ).to_be_visible()


def test_admin_makes_an_uploaded_person_a_lead_by_invitation(
    new_context: NewContext, server
) -> None:
    """Acceptance (issue 13): an administrator uploads someone, invites them with the lead
    role from their page; they follow the emailed link, set a password and are a lead."""
    email = f"lee.lead.{secrets.token_hex(3)}@demo.test"
    admin = new_context(ADMIN).new_page()
    admin.goto("/admin/people/upload")
    admin.get_by_label("Upload a CSV file").set_input_files(
        {
            "name": "lead.csv",
            "mimeType": "text/csv",
            "buffer": (
                "name,email,agency,job role,level\n"
                f"Lee Lead,{email},Family Support Network,Service manager,Level 3\n"
            ).encode(),
        }
    )
    admin.get_by_role("button", name="Check the file").click()
    admin.get_by_role("button", name=re.compile(r"^Save 1 ")).click()
    expect(admin.get_by_role("alert")).to_contain_text("1 person added")
    admin.get_by_label("Name or email address").fill(email)
    admin.get_by_role("button", name="Show people").click()
    row = admin.get_by_role("row", name=re.compile("Lee Lead"))
    expect(row).to_contain_text("Never signed in")
    row.get_by_role("link", name="Lee Lead").click()
    admin.get_by_role("button", name="Invite Lee Lead").click()
    admin.get_by_label(re.compile(r"Lead: sees results")).check()
    admin.get_by_role("button", name="Send invitation").click()
    expect(admin.get_by_role("alert")).to_contain_text(f"Invitation sent to {email}")
    expect(admin.get_by_text("Roles they get on accepting: lead")).to_be_visible()

    (link,) = server.emailed_links(email)
    person = new_context().new_page()
    person.goto(link)
    expect(person.get_by_role("heading", level=1)).to_have_text("Create your account")
    expect(person.get_by_text("Family Support Network").first).to_be_visible()
    person.get_by_label("Create a password").fill("a long enough password 2026")
    person.get_by_label("Confirm your password").fill("a long enough password 2026")
    person.get_by_role("button", name="Create account").click()
    expect(person.get_by_text("Your account is ready.")).to_be_visible()
    menu = person.get_by_role("navigation", name="Menu")
    expect(menu.get_by_role("link", name="Dashboards")).to_be_visible()
    menu.get_by_role("link", name="People").click()
    expect(person.get_by_role("heading", level=1)).to_have_text("Family Support Network")
    expect(person.get_by_role("link", name="Lee Lead")).to_be_visible()

    # Their page now says they are an active lead, for the administrator too.
    admin.reload()
    expect(admin.get_by_text("They have an account and can sign in")).to_be_visible()
    expect(admin.get_by_text("Lead for Family Support Network")).to_be_visible()
