"""A result on a phone (390 CSS pixels wide): the summary comes first, each wrong
question's link leads to its feedback, and "Try again" is at the top and the bottom.

The person is the demo's practitioner who did not pass the HS check; the test only reads
their result (it never presses "Try again"), so the page states that show it stay put.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .conftest import NewContext
from .pages import FAILED_PRACTITIONER, open_hs_check

PHONE = {"width": 390, "height": 844}


def open_result(page: Page) -> str:
    open_hs_check(page)
    page.get_by_role("table").get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have not passed yet")
    return page.url


def summary_links(page: Page):
    """The links of the list under "Questions to look at again"."""
    return page.locator("h2:text-is('Questions to look at again') ~ ul").first.get_by_role("link")


def top_of(page: Page, locator) -> float:
    box = locator.bounding_box()
    assert box is not None, locator
    return box["y"] + page.evaluate("window.scrollY")


def test_the_result_summary_on_a_phone(new_context: NewContext) -> None:
    page = new_context(FAILED_PRACTITIONER, viewport=PHONE).new_page()
    url = open_result(page)

    # The summary is what follows the heading, on the first screen: the score and the
    # questions to look at again. Headings in order: the page's, then the summary's.
    headings = page.locator("main h1, main h2").all_inner_texts()
    assert headings[:3] == [
        "You have not passed yet",
        "Questions to look at again",
        "How well you judged your certainty",
    ], headings
    expect(page.get_by_text(re.compile(r"^You scored \d+ out of \d+ marks"))).to_be_in_viewport()
    expect(page.get_by_role("heading", name="Questions to look at again")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # Try again at the top (before the certainty and the feedback) and at the bottom.
    buttons = page.get_by_role("button", name="Try again")
    expect(buttons).to_have_count(2)
    certainty = page.get_by_role("heading", name="How well you judged your certainty")
    advice = page.get_by_role("heading", name="Where to get advice")
    assert top_of(page, buttons.first) < top_of(page, certainty)
    assert top_of(page, buttons.last) > top_of(page, advice)

    # The certainty-based mark is explained in words before its figure.
    words = page.get_by_text(re.compile(r"^You were sure \(.*\) and right on \d+ of \d+"))
    figure = page.get_by_text(re.compile(r"^Your certainty-based mark is -?\d+%"))
    assert top_of(page, words) < top_of(page, figure)

    # The feedback is closed: the page is a few screens, not dozens.
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 10 * PHONE["height"], height

    # Each link goes to its question, whose feedback opens.
    links = summary_links(page)
    count = links.count()
    assert count >= 2
    numbers = [re.fullmatch(r"question (\d+)", text).group(1) for text in links.all_inner_texts()]
    for number in numbers:
        summary_links(page).get_by_text(f"question {number}", exact=True).click()
        assert page.url.endswith(f"#question-{number}")
        heading = page.locator(f"#question-{number}")
        expect(heading).to_be_in_viewport()
        expect(heading).to_contain_text(re.compile(r"Incorrect|Partly correct"))
        details = page.locator(f"#question-{number}-feedback")
        expect(details).to_have_attribute("open", "")
        expect(details.get_by_text("Your answer", exact=True)).to_be_visible()
        page.goto(url)


def test_without_javascript_a_link_leads_to_the_question_and_its_feedback_opens_on_request(
    new_context: NewContext,
) -> None:
    context = new_context(FAILED_PRACTITIONER, viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    open_result(page)
    link = summary_links(page).first
    number = re.fullmatch(r"question (\d+)", link.inner_text()).group(1)
    link.click()
    expect(page.locator(f"#question-{number}")).to_be_in_viewport()
    summary = page.get_by_text(f"Feedback on question {number}", exact=True)
    expect(summary).to_be_in_viewport()
    details = page.locator(f"#question-{number}-feedback")
    expect(details.get_by_text("Your answer", exact=True)).to_be_hidden()
    summary.click()
    expect(details.get_by_text("Your answer", exact=True)).to_be_visible()
