"""Every page state (pages.py) reflows: nothing makes the page scroll sideways or spill
off the screen, at three sizes, all on the same page once it is reached:

- 320 CSS pixels wide: WCAG 1.4.10 Reflow (the width of a 1280 pixel screen at 400%);
- 640 CSS pixels wide: a 1280 pixel window zoomed to 200% (WCAG 1.4.4 Resize text with
  browser zoom; zoom changes the CSS width the page is laid out in, which is what this
  sets);
- text only at 200%: the root font size doubled at desktop width, as a browser's "text
  size" setting does (GOV.UK Frontend sizes text in rem), WCAG 1.4.4 with text-only zoom.

At each size: the document is no wider than the window, and no visible element sticks
out of it, except inside a box that scrolls sideways on purpose (a wide data table in a
scrolling region, which WCAG 1.4.10 allows for data tables).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from .conftest import NewContext, visit_for
from .pages import STATES, PageState
from .server import Server

NARROW = {"width": 320, "height": 640}
ZOOMED = {"width": 640, "height": 450}
DESKTOP = {"width": 1280, "height": 900}

#: Visible elements whose box leaves the window, outside any box that scrolls sideways.
OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const scrolls = el => {
    // html's and body's own overflow is the page's, which is what is measured here
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const x = getComputedStyle(a).overflowX;
      if (x === 'auto' || x === 'scroll') return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right <= width + 1 && r.left >= -1) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') continue;
    // visually hidden text (GOV.UK's govuk-visually-hidden: clipped to 1px)
    if (r.width <= 1 && r.height <= 1) continue;
    if (el.closest('.govuk-visually-hidden, .govuk-skip-link:not(:focus)')) continue;
    if (scrolls(el)) continue;
    const name = el.tagName.toLowerCase() + (el.className ? '.' +
      String(el.className).trim().split(/\\s+/).join('.') : '');
    out.push(`${name} [${Math.round(r.left)}, ${Math.round(r.right)}]: ` +
             (el.innerText || '').trim().slice(0, 60));
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, out: out.slice(0, 8)};
}
"""


def layout_problems(page: Page, size: str) -> list[str]:
    found = page.evaluate(OVERFLOW_JS)
    problems = []
    if found["scrollWidth"] > found["width"]:
        problems.append(
            f"{size}: the page scrolls sideways ({found['scrollWidth']}px wide"
            f" in a {found['width']}px window)"
        )
    problems += [f"{size}: sticks out: {line}" for line in found["out"]]
    return problems


def check_all_sizes(page: Page) -> list[str]:
    page.set_viewport_size(NARROW)
    problems = layout_problems(page, "320px")
    page.set_viewport_size(ZOOMED)
    problems += layout_problems(page, "200% zoom (640px)")
    page.set_viewport_size(DESKTOP)
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    problems += layout_problems(page, "text at 200%")
    page.evaluate("document.documentElement.style.fontSize = ''")
    return problems


def test_layout_check_finds_a_page_that_scrolls_sideways(page: Page) -> None:
    page.goto("/sign-in")
    assert check_all_sizes(page) == []
    # (the Content-Security-Policy forbids style attributes: a width attribute will do)
    page.evaluate(
        "document.querySelector('main').insertAdjacentHTML('beforeend',"
        ' \'<img class="too-wide" src="/static/favicon.svg" alt="" width="700" height="20">\')'
    )
    problems = check_all_sizes(page)
    assert any("scrolls sideways" in p for p in problems), problems
    assert any("sticks out: img.too-wide" in p for p in problems), problems


def test_text_size_follows_the_browser_setting(page: Page) -> None:
    """Text-only zoom works only if text is sized in rem: doubling the root font size
    must double the body text."""
    page.goto("/sign-in")
    size = "parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)"
    before = page.evaluate(size)
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    assert page.evaluate(size) == pytest.approx(before * 2, rel=0.05)


@pytest.mark.parametrize("page_state", STATES, ids=[s.id for s in STATES])
def test_page_state_reflows(page_state: PageState, server: Server, new_context: NewContext) -> None:
    page = new_context(page_state.user, viewport=NARROW).new_page()
    page_state.reach(visit_for(page, server, new_context))
    page.wait_for_load_state()
    problems = check_all_sizes(page)
    assert not problems, f"{page.url}\n" + "\n".join(problems)
