#!/usr/bin/env python
"""Screenshots of the main pages for the README, into docs/screenshots/.

    python scripts/screenshots.py

Starts its own demo server (a temporary database, `flask run` on a free port), drives
Debian's Chromium (/usr/bin/chromium, or QUIZAPP_CHROMIUM) with Playwright, and writes
one PNG per page, 1000 pixels wide and at most 1200 high (the top of the page).
Needs the test extra: pip install -e '.[test]'.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.browser.pages import (  # noqa: E402
    AUTHOR,
    HS_TITLE,
    LEAD,
    PASSED_PRACTITIONER,
    PRACTITIONER,
    open_hs_check,
    sign_in,
)
from tests.browser.server import CHROMIUM, CHROMIUM_ARGS, demo_server  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
WIDTH, HEIGHT = 1000, 1200


def your_checks(page: Page) -> None:
    page.goto("/checks/")


def question(page: Page) -> None:
    open_hs_check(page)
    page.get_by_role("button", name=re.compile("^(Start check|Continue your check)$")).click()
    if "/stages/" in page.url:
        page.get_by_role("button", name="Continue").click()


def result(page: Page) -> None:
    open_hs_check(page)
    page.get_by_role("table").get_by_role("link").first.click()


def completion(page: Page) -> None:
    page.goto("/dashboards/")


def learning(page: Page) -> float:
    """The grid, below the filters: the picture starts at the check's heading."""
    page.goto("/dashboards/learning")
    box = page.get_by_role("heading", level=2, name=HS_TITLE).bounding_box()
    assert box is not None
    return box["y"] - 30


def bank_editor(page: Page) -> None:
    page.goto("/author/")
    page.get_by_role("link", name=HS_TITLE).click()
    page.get_by_role("button", name="Start a new draft").click()


#: file name, who is signed in, how to get there (which may return where the picture
#: starts, in pixels from the top of the page)
SHOTS: list[tuple[str, str, Callable[[Page], float | None]]] = [
    ("your-checks.png", PASSED_PRACTITIONER, your_checks),
    ("question.png", PRACTITIONER, question),
    ("result.png", PASSED_PRACTITIONER, result),
    ("completion-dashboard.png", LEAD, completion),
    ("learning-landed.png", LEAD, learning),
    ("bank-editor.png", AUTHOR, bank_editor),
]


def main() -> None:
    if not CHROMIUM.exists():
        sys.exit(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with demo_server() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for name, user, reach in SHOTS:
            context = browser.new_context(
                base_url=server.url, viewport={"width": WIDTH, "height": HEIGHT}
            )
            page = context.new_page()
            sign_in(page, user)
            top = reach(page) or 0
            page.wait_for_load_state()
            page.screenshot(
                path=OUT / name,
                full_page=True,
                clip={"x": 0, "y": top, "width": WIDTH, "height": HEIGHT},
            )
            print(f"{OUT.relative_to(ROOT) / name}: {(OUT / name).stat().st_size // 1024} KB")
            context.close()
        browser.close()
    total = sum(path.stat().st_size for path in OUT.glob("*.png"))
    print(f"{len(SHOTS)} screenshots, {total // 1024} KB, in {time.monotonic() - started:.0f}s")


if __name__ == "__main__":
    main()
