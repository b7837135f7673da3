"""The follow-up some weeks after a pass, taken with the keyboard only: Tab to move, Space
to choose, Enter to follow a link or press a button (and typing where there is text to
give). No clicks. Its person is FOLLOW_UP_KEYBOARD (pages.py), whom nothing else uses."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .conftest import NewContext
from .pages import FOLLOW_UP_CHECK, FOLLOW_UP_KEYBOARD, follow_up_people
from .server import DEMO_PASSWORD, Server
from .test_journeys import press_enter_to_open_page, tab_to

EXAMPLE = "I made a referral the same day without waiting for consent."


def space_on_first(page: Page, group_name: str) -> None:
    """Tab into a radio group (focus lands on its first radio) and choose it."""
    radio = page.get_by_role("group", name=group_name).get_by_role("radio").first
    tab_to(page, radio)
    page.keyboard.press("Space")
    expect(radio).to_be_checked()


def heading(page: Page, text: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(text)


def test_a_follow_up_with_the_keyboard_only(new_context: NewContext, server: Server) -> None:
    follow_up_people(server)
    page = new_context().new_page()
    page.goto("/sign-in")
    tab_to(page, page.get_by_label("Email address"))
    page.keyboard.type(FOLLOW_UP_KEYBOARD)
    tab_to(page, page.get_by_label("Password", exact=True))
    page.keyboard.type(DEMO_PASSWORD)
    press_enter_to_open_page(page)
    heading(page, "Your checks")

    tab_to(page, page.get_by_role("link", name=f"Follow-up: {FOLLOW_UP_CHECK}"))
    press_enter_to_open_page(page)
    heading(page, "Follow-up to your check")
    expect(page.get_by_text("It is optional")).to_be_visible()
    tab_to(page, page.get_by_role("button", name="Start follow-up"))
    press_enter_to_open_page(page)

    heading(page, "Question 1 of 1")
    space_on_first(page, "True or false?")
    chosen = page.get_by_role("group", name="True or false?").get_by_role("radio").first
    chosen_label = chosen.evaluate("el => el.labels[0].innerText.trim()")
    space_on_first(page, "How sure are you?")
    tab_to(page, page.get_by_role("button", name="Save and continue"))
    press_enter_to_open_page(page)

    heading(page, "How confident you feel now")
    # Back to the question: the answer is kept.
    tab_to(page, page.get_by_role("link", name="Back"))
    press_enter_to_open_page(page)
    heading(page, "Question 1 of 1")
    expect(page.get_by_role("radio", name=chosen_label, exact=True)).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Save and continue"))
    press_enter_to_open_page(page)

    heading(page, "How confident you feel now")
    for name in (
        "How confident are you to share information without consent?",
        "How confident are you to make a timely referral?",
    ):
        space_on_first(page, name)
    tab_to(page, page.get_by_role("button", name="Save and continue"))
    press_enter_to_open_page(page)

    heading(page, "Have you used this learning in your practice since?")
    # Nothing chosen: the error summary, then the choice.
    tab_to(page, page.get_by_role("button", name="Save and continue"))
    press_enter_to_open_page(page)
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    space_on_first(page, "Have you used this learning in your practice since?")
    tab_to(page, page.get_by_label("An example (only you can see this)"))
    page.keyboard.type(EXAMPLE)
    tab_to(page, page.get_by_role("button", name="Save and continue"))
    press_enter_to_open_page(page)

    heading(page, "Check your answers")
    expect(page.get_by_text(EXAMPLE)).to_be_visible()
    expect(page.get_by_text("Not at all confident")).to_have_count(2)
    tab_to(page, page.get_by_role("button", name="Send follow-up"))
    press_enter_to_open_page(page)

    heading(page, "Follow-up sent")
    mark = "1 out of 1" if chosen_label == "False" else "0 out of 1"
    expect(page.get_by_role("heading", name=f"Question 1: {mark}")).to_be_visible()
    tab_to(page, page.get_by_role("link", name="Back to your checks").last)
    press_enter_to_open_page(page)
    heading(page, "Your checks")
    expect(page.get_by_role("heading", name="Follow-ups")).to_have_count(0)
