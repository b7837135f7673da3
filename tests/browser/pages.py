"""Every page of the app in each of its states, and how a person reaches it.

test_accessibility.py runs axe on each state and test_layout.py checks each one at 320px
and at 200% zoom. The list is checked against the app's URL map: every endpoint that
answers GET must have at least one state here or be in EXCLUDED with a reason, so a new
page cannot escape the checks.

Each state is reached the way a person would: through links, buttons and forms, from a
fresh browser context signed in as `user` (None: signed out). States that need data of
their own make it (a draft in a bank of their own, a team, an invitation) and are safe to
reach again, because the browser tests share one demo database and run in any order.
Journeys (test_journeys.py) use other people or banks, so they don't disturb these states.

No axe rule is disabled anywhere at the moment. If a rule ever proves a genuine false
positive on one page, put its id in that state's `axe_disable` and say why in `note`.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from playwright.sync_api import Page, expect

from .server import DEMO_PASSWORD, Server

ROOT = Path(__file__).resolve().parents[2]
HS_BANK_FILE = ROOT / "question_banks" / "hs-baby-2016.yaml"
HS_TITLE = "Baby HS (2016): learning from a Sandwell review"

# Demo people (quizapp/demo.py). The generated practitioners are named
# first.last.N@demo.test; each page state that changes something has a person of its own.
PRACTITIONER = "practitioner@demo.test"
AUTHOR = "author@demo.test"
LEAD = "lead@demo.test"
POLICE_LEAD = "police-lead@demo.test"
ADMIN = "admin@demo.test"
#: Never attempted the HS check, and nothing here starts one for them.
NEW_PRACTITIONER = "ella.khan.4@demo.test"
#: Has an attempt in progress, started by the states below.
TAKING_PRACTITIONER = "femi.singh.5@demo.test"
#: Passed the HS check 60 days ago.
PASSED_PRACTITIONER = "femi.singh.5@demo.test"
#: Tried the HS check 30 days ago and did not pass.
FAILED_PRACTITIONER = "grace.green.6@demo.test"
#: Ask for password resets (never completed, so their passwords stay the same); one
#: for each state, as each address may be sent only a few emails an hour.
RESETTING = ("hassan.nowak.7@demo.test", "isla.clarke.8@demo.test", "jack.jones.9@demo.test")

#: Never anonymised: the states only show the page.
ANONYMISED = "kiran.reid.10@demo.test"
#: Opens the retired pilot check while it is briefly back, then is refused its start.
REFUSED_PRACTITIONER = "mo.murphy.12@demo.test"
#: The demo's retired check (quizapp/demo.py), with an ended assignment.
PILOT_TITLE = "Baby HS: pilot for designated safeguarding leads"
#: The housing service's people in each account state (quizapp/demo.py); the states
#: only show their pages and forms, and change nobody.
HOUSING = "Housing Service"
NEVER_SIGNED_IN = "Nadia Hussain"
INVITED = "Rosa Bianchi"
LEFT = "Wendy Clarke"

#: A bank of the page states' own (a copy of the HS bank under another id), so that
#: its draft stays put while the author journey publishes the HS bank.
STATES_BANK_KEY = "browser-states-bank"
STATES_BANK_TITLE = "Browser states bank"
#: A bank whose draft a later version (imported from the command line) overtakes.
UPDATE_BANK_KEY = "browser-update-bank"
UPDATE_BANK_TITLE = "Browser update bank"
#: A bank whose drafts need a second author's approval.
APPROVAL_BANK_KEY = "browser-approval-bank"
APPROVAL_BANK_TITLE = "Browser approval bank"
#: A police officer the page states make manager of the first police team (nothing else
#: uses them), through the administrator's form.
MANAGER = "ella.clarke.44@demo.test"
MANAGER_NAME = "Ella Clarke"
MANAGED_TEAM = "Child abuse investigation team"
#: An agency of the page states' own, with an email domain people can register with.
STATES_AGENCY = "Browser Test Agency"
STATES_DOMAIN = "browser-agency.test"
STATES_TEAM = "Browser test team"


@dataclass
class Visit:
    """What a reach function gets: its page, the server, and a way to open another
    signed-in page (for example an administrator who sends an invitation)."""

    page: Page
    server: Server
    open_as: Callable[[str | None], Page]


@dataclass(frozen=True)
class PageState:
    #: The endpoint the browser must end up on; None for the error page of a missing URL.
    endpoint: str | None
    state: str
    user: str | None
    reach: Callable[[Visit], None]
    #: Why the state is there, or why an axe rule is disabled for it.
    note: str = ""
    #: axe rule ids disabled for this state only (genuine false positives; say why).
    axe_disable: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.endpoint or 'not-found'}[{self.state}]"


STATES: list[PageState] = []


def state(endpoint: str | None, name: str, user: str | None = None, **options):
    def register(reach: Callable[[Visit], None]) -> Callable[[Visit], None]:
        STATES.append(PageState(endpoint, name, user, reach, **options))
        return reach

    return register


#: GET endpoints with no page to check, and why.
EXCLUDED: dict[str, str] = {
    "static": "CSS, JavaScript and images, not pages",
    "auth.index": "redirect only: to the person's home, or to sign in",
    "author.preview": "redirect only: to the first part or question of the preview",
    "author.export_version": "file download (a YAML bank file), not a page",
    "health.healthz": "plain-text health check for load balancers, not a page",
    "author.export_version_as": "file download (Moodle XML, GIFT or a QTI package), not a page",
    "dashboards.overdue_csv": "file download (CSV); test_journeys downloads and reads it",
    "managers.teams_csv": "file download (CSV); test_team_managers reads it",
    "dashboards.report_csv": "file download (CSV), not a page",
    "dashboards.report_impact_csv": "file download (CSV), not a page",
    "dashboards.report_xlsx": "file download (XLSX); test_journeys opens it",
    "account.download": "file download (JSON of a person's own data), not a page",
    "certificates.certificate_pdf": "file download (PDF); test_certificates reads its text",
    "certificates.learning_record_csv": "file download (CSV); test_certificates reads it",
    "certificates.learning_record_pdf": "file download (PDF); test_certificates reads its text",
    "admin.people_template": "file download (the CSV template), not a page",
    "sso.start": "redirect only: to the identity provider",
    "sso.callback": "needs a running identity provider: test_sso_journeys.py runs axe on its"
    " refusal page",
}


# Helpers ------------------------------------------------------------------------------


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).not_to_have_url(re.compile(r"/sign-in"))


#: Text that is markup, not words: an HTML tag, or a GOV.UK Frontend class name.
MARKUP = re.compile(r"</?[a-zA-Z][^>]*>|govuk-")


def markup_shown(page: Page) -> list[str]:
    """Markup in what the page shows (its title and innerText), each piece with a little
    of the text around it; the first five."""
    text = page.evaluate("() => document.title + '\\n' + document.body.innerText")
    return [
        " ".join(text[max(0, m.start() - 30) : m.end() + 30].split()) for m in MARKUP.finditer(text)
    ][:5]


def submit(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def past_confidence(page: Page) -> None:
    """Skip "Before you start" (the confidence questions), if the check asks them."""
    if page.url.endswith("/confidence"):
        submit(page, "Skip these questions")


def expect_errors(page: Page) -> None:
    expect(page.get_by_role("alert").get_by_text("There is a problem")).to_be_visible()


def hs_questions() -> list[dict]:
    return yaml.safe_load(HS_BANK_FILE.read_text())["questions"]


def first_question_of_type(kind: str) -> dict:
    """The first question of a type outside any pool: every attempt shows it."""
    return next(q for q in hs_questions() if q["type"] == kind and not q.get("pool"))


def open_hs_check(page: Page) -> None:
    page.goto("/checks/")
    page.get_by_role("link", name=HS_TITLE, exact=True).click()


#: Addresses found once and then gone to directly, to keep the suite quick: the first
#: state to need one reaches it through the pages. For one server at a time (forget()).
_found: dict[tuple[str, ...], str] = {}


def forget() -> None:
    """Forget the addresses found on an earlier server."""
    _found.clear()


def open_attempt(page: Page, user: str) -> str:
    """Start or continue the HS check; return the attempt's address, /checks/attempts/N."""
    key = ("attempt", user)
    if key not in _found:
        open_hs_check(page)
        page.get_by_role("button", name=re.compile(r"^(Start check|Continue your check)$")).click()
        past_confidence(page)
        match = re.search(r"/checks/attempts/\d+", page.url)
        assert match, page.url
        _found[key] = match.group(0)
    return _found[key]


#: People whose pass of nine weeks ago has its follow-up open (follow_up_setup.py), each
#: with a part of their own: the page states never save anything for FOLLOW_UP_VIEWER (so
#: "Check your answers" always has something missing), the "done" state sends
#: FOLLOW_UP_SENDER's, and the keyboard journey (test_follow_up_journey.py) is
#: FOLLOW_UP_KEYBOARD's.
FOLLOW_UP_VIEWER = "follow.up.viewer@demo.test"
FOLLOW_UP_SENDER = "follow.up.sender@demo.test"
FOLLOW_UP_KEYBOARD = "follow.up.keyboard@demo.test"
FOLLOW_UP_CHECK = "Follow-up states check"


def follow_up_people(server: Server) -> None:
    """Make the follow-up people on the server's database, once per server."""
    if ("follow-up people",) in _found:
        return
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.browser.follow_up_setup",
            FOLLOW_UP_VIEWER,
            FOLLOW_UP_SENDER,
            FOLLOW_UP_KEYBOARD,
        ],
        cwd=ROOT,
        env=server.environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    _found[("follow-up people",)] = "made"


def open_follow_up(v: Visit, email: str) -> str:
    """Sign in as `email` and open their follow-up from "Your checks"; return its address."""
    follow_up_people(v.server)
    sign_in(v.page, email)
    key = ("follow-up", email)
    if key not in _found:
        v.page.goto("/checks/")
        v.page.get_by_role("link", name=f"Follow-up: {FOLLOW_UP_CHECK}").click()
        expect(v.page.get_by_role("heading", level=1)).to_have_text("Follow-up to your check")
        _found[key] = v.page.url
    else:
        v.page.goto(_found[key])
    return _found[key]


def ensure_states_bank(page: Page) -> None:
    """The author's own copy of the HS bank, with a draft; leaves the page on the draft."""
    response = page.goto(f"/author/banks/{STATES_BANK_KEY}/draft")
    if response is not None and response.ok:
        return
    page.goto("/author/")
    if page.get_by_role("link", name=STATES_BANK_TITLE).count() == 0:
        page.get_by_role("button", name="Upload a bank file").click()
        text = HS_BANK_FILE.read_text()
        text = text.replace("id: hs-baby-2016", f"id: {STATES_BANK_KEY}", 1)
        text = re.sub(r"^title: .*$", f'title: "{STATES_BANK_TITLE}"', text, count=1, flags=re.M)
        page.get_by_label("Upload a bank file").set_input_files(
            {"name": "states.yaml", "mimeType": "application/x-yaml", "buffer": text.encode()}
        )
        submit(page, "Upload as a draft")
        # The file is the new bank's first draft: publish it, as an author would.
        expect(page.get_by_role("heading", level=1, name=STATES_BANK_TITLE)).to_be_visible()
        page.get_by_label("What changed in this version?").fill("First version")
        submit(page, "Publish version")
        expect(page.get_by_text("Version 1 published.")).to_be_visible()
        page.goto("/author/")
    page.get_by_role("link", name=STATES_BANK_TITLE).click()
    # The bank's page first: counting buttons before it loads would find none.
    expect(page.get_by_role("heading", level=1, name=STATES_BANK_TITLE)).to_be_visible()
    start = page.get_by_role("button", name="Start a new draft")
    if start.count():
        start.click()
    else:
        page.get_by_role("link", name=re.compile("Continue editing the draft")).click()
    expect(page.get_by_role("heading", level=1, name=STATES_BANK_TITLE)).to_be_visible()


def bank_file(key: str, title: str, **replacements: str) -> str:
    """The HS bank file as another bank (`key`, `title`), with text replaced."""
    text = HS_BANK_FILE.read_text()
    text = text.replace("id: hs-baby-2016", f"id: {key}", 1)
    text = re.sub(r"^title: .*$", f'title: "{title}"', text, count=1, flags=re.M)
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


def import_from_command_line(server: Server, text: str) -> None:
    """`flask banks import` on the server's database, as a script run by another author
    would: it publishes at once, whatever drafts are open."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as file:
        file.write(text)
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "quizapp", "banks", "import", file.name],
        env=server.environment,
        capture_output=True,
        text=True,
        check=False,
    )
    Path(file.name).unlink()
    assert done.returncode == 0, done.stdout + done.stderr


def edit_question_prompt(page: Page, question_id: str, prompt: str) -> None:
    """From the draft page: change a question's text and save it."""
    page.get_by_role("link", name=f"Change question {question_id}", exact=True).click()
    page.get_by_label("Question", exact=True).fill(prompt)
    submit(page, "Save question")
    expect(page.get_by_text("saved", exact=False).first).to_be_visible()


def ensure_update_bank(v: Visit) -> None:
    """A draft of its own bank, overtaken by a version that changed the same question;
    leaves the page on "Bring your draft up to date"."""
    update = f"/author/banks/{UPDATE_BANK_KEY}/draft/update"
    response = v.page.goto(update)
    if response is not None and response.ok and v.page.url.endswith("/draft/update"):
        return
    question = first_question_of_type("single")
    if response is None or response.status == 404:
        import_from_command_line(v.server, bank_file(UPDATE_BANK_KEY, UPDATE_BANK_TITLE))
    v.page.goto(f"/author/banks/{UPDATE_BANK_KEY}")
    start = v.page.get_by_role("button", name="Start a new draft")
    if start.count():
        start.click()
    else:
        v.page.get_by_role("link", name=re.compile("Continue editing the draft")).click()
    edit_question_prompt(v.page, question["id"], "Who do you tell first? (the draft's words)")
    newer = bank_file(
        UPDATE_BANK_KEY,
        UPDATE_BANK_TITLE,
        **{question["prompt"].split("\n")[0]: "Who do you tell first? (version 2's words)"},
    )
    import_from_command_line(v.server, newer)
    v.page.goto(update)
    expect(v.page.get_by_role("heading", level=1)).to_have_text("Bring your draft up to date")


def ensure_states_agency(page: Page) -> None:
    """An agency with a team and an email domain; leaves the page on the agency."""
    if ("agency",) in _found:
        page.goto(_found[("agency",)])
        return
    page.goto("/admin/agencies/")
    if page.get_by_role("link", name=STATES_AGENCY).count() == 0:
        page.get_by_role("button", name="Add an agency").click()
        page.get_by_label("Name").fill(STATES_AGENCY)
        page.get_by_label("Voluntary sector").check()
        page.get_by_role("group", name="Is it a statutory safeguarding partner?").get_by_label(
            "No"
        ).check()
        page.get_by_label("Email domains (optional)").fill(STATES_DOMAIN)
        submit(page, "Save agency")
    else:
        page.get_by_role("link", name=STATES_AGENCY).click()
    # The agency's page first: counting rows before it loads would find none.
    expect(page.get_by_role("heading", level=1, name=STATES_AGENCY)).to_be_visible()
    if page.get_by_role("rowheader", name=STATES_TEAM).count() == 0:
        page.get_by_label("Add a team").fill(STATES_TEAM)
        submit(page, "Add team")
    expect(page.get_by_role("heading", level=1, name=STATES_AGENCY)).to_be_visible()
    _found[("agency",)] = page.url.split("#")[0]


def user_id(server: Server, email: str) -> int:
    """A person's id, for the few pages no link leads to yet."""
    import sqlalchemy as sa

    engine = sa.create_engine(server.database_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text("SELECT id FROM users WHERE email = :e"), {"e": email})
    finally:
        engine.dispose()


def people_csv(rows: list[str]) -> dict:
    text = "name,email,agency,job role,level\n" + "\n".join(rows) + "\n"
    return {"name": "people.csv", "mimeType": "text/csv", "buffer": text.encode()}


# Signed out ---------------------------------------------------------------------------


@state("auth.sign_in", "empty")
def _(v: Visit) -> None:
    v.page.goto("/sign-in")


@state("auth.sign_in", "errors")
def _(v: Visit) -> None:
    v.page.goto("/sign-in")
    submit(v.page, "Sign in")
    expect_errors(v.page)


@state("auth.sign_in", "wrong password")
def _(v: Visit) -> None:
    v.page.goto("/sign-in")
    v.page.get_by_label("Email address").fill(NEW_PRACTITIONER)
    v.page.get_by_label("Password", exact=True).fill("not the password")
    submit(v.page, "Sign in")
    expect_errors(v.page)


@state("auth.register", "empty")
def _(v: Visit) -> None:
    v.page.goto("/register")


@state("auth.register", "errors")
def _(v: Visit) -> None:
    v.page.goto("/register")
    submit(v.page, "Create account")
    expect_errors(v.page)


def _register(v: Visit, email: str) -> None:
    admin = v.open_as(ADMIN)
    ensure_states_agency(admin)
    v.page.goto("/register")
    v.page.get_by_label("Full name").fill("Robin Browser")
    v.page.get_by_label("Work email address").fill(email)
    v.page.get_by_label("Create a password").fill("a long enough password 2026")
    v.page.get_by_label("Confirm your password").fill("a long enough password 2026")
    submit(v.page, "Create account")


@state("auth.registration_sent", "filled")
def _(v: Visit) -> None:
    _register(v, f"registered.{secrets.token_hex(4)}@{STATES_DOMAIN}")
    expect(v.page.get_by_role("heading", level=1)).to_contain_text("Check your email")


@state("auth.confirm_email", "filled")
def _(v: Visit) -> None:
    email = f"confirming.{secrets.token_hex(4)}@{STATES_DOMAIN}"
    _register(v, email)
    v.page.goto(v.server.emailed_links(email)[-1])


@state("auth.confirm_email", "link problem")
def _(v: Visit) -> None:
    v.page.goto("/register/confirm/not-a-real-token")


@state("auth.password_reset", "empty")
def _(v: Visit) -> None:
    v.page.goto("/password-reset")


@state("auth.password_reset", "errors")
def _(v: Visit) -> None:
    v.page.goto("/password-reset")
    v.page.get_by_label("Email address").fill("not an email address")
    submit(v.page, "Send link")
    expect_errors(v.page)


def _request_reset(v: Visit, email: str) -> str:
    """Ask for a reset link; return it, from the email."""
    v.page.goto("/password-reset")
    v.page.get_by_label("Email address").fill(email)
    submit(v.page, "Send link")
    expect(v.page.get_by_role("heading", level=1)).to_have_text("Check your email")
    return v.server.emailed_links(email)[-1]


@state("auth.password_reset_sent", "filled")
def _(v: Visit) -> None:
    _request_reset(v, RESETTING[0])


@state("auth.choose_new_password", "empty")
def _(v: Visit) -> None:
    v.page.goto(_request_reset(v, RESETTING[1]))


@state("auth.choose_new_password", "errors")
def _(v: Visit) -> None:
    v.page.goto(_request_reset(v, RESETTING[2]))
    v.page.get_by_label("New password", exact=True).fill("short")
    v.page.get_by_label("Confirm your new password", exact=True).fill("different")
    submit(v.page, "Save password")
    expect_errors(v.page)


@state("auth.choose_new_password", "link problem")
def _(v: Visit) -> None:
    v.page.goto("/password-reset/not-a-real-token")


def _invite(v: Visit) -> str:
    email = f"invited.{secrets.token_hex(4)}@example.org"
    admin = v.open_as(ADMIN)
    admin.goto("/invitations/new")
    admin.get_by_label("Full name").fill("Indra Invited")
    admin.get_by_label("Work email address").fill(email)
    admin.get_by_label("Agency", exact=True).select_option(label="Police")
    admin.get_by_label("Job role").fill("Police constable")
    submit(admin, "Send invitation")
    expect(admin.get_by_text(f"Invitation sent to {email}")).to_be_visible()
    return v.server.emailed_links(email)[-1]


@state("auth.accept_invitation", "empty")
def _(v: Visit) -> None:
    v.page.goto(_invite(v))


@state("auth.accept_invitation", "errors")
def _(v: Visit) -> None:
    v.page.goto(_invite(v))
    submit(v.page, "Create account")
    expect_errors(v.page)


@state("auth.accept_invitation", "link problem")
def _(v: Visit) -> None:
    v.page.goto("/invitations/not-a-real-token")


@state(None, "not found")
def _(v: Visit) -> None:
    v.page.goto("/no-such-page")


# Practitioners ------------------------------------------------------------------------


@state("take.your_checks", "results", user=PASSED_PRACTITIONER)
def _(v: Visit) -> None:
    v.page.goto("/checks/")


@state("take.your_checks", "empty", user=NEW_PRACTITIONER)
def _(v: Visit) -> None:
    v.page.goto("/checks/")


@state("take.check_overview", "empty", user=NEW_PRACTITIONER)
def _(v: Visit) -> None:
    open_hs_check(v.page)


@state("take.check_overview", "results", user=FAILED_PRACTITIONER)
def _(v: Visit) -> None:
    open_hs_check(v.page)


@state("take.your_checks", "in progress", user=TAKING_PRACTITIONER)
def _(v: Visit) -> None:
    open_attempt(v.page, TAKING_PRACTITIONER)
    v.page.goto("/checks/")
    expect(
        v.page.get_by_text(re.compile(r"In progress: \d+ of \d+ questions answered"))
    ).to_be_visible()


@state("take.check_overview", "in progress", user=TAKING_PRACTITIONER)
def _(v: Visit) -> None:
    open_attempt(v.page, TAKING_PRACTITIONER)
    open_hs_check(v.page)
    expect(
        v.page.get_by_text(re.compile(r"You have answered \d+ of \d+ questions"))
    ).to_be_visible()


@state("take.stage", "filled", user=TAKING_PRACTITIONER)
def _(v: Visit) -> None:
    attempt = open_attempt(v.page, TAKING_PRACTITIONER)
    v.page.goto(f"{attempt}/stages/{hs_questions()[0]['stage']}")


for _kind in ("single", "multiple", "true_false", "ordering", "reflection"):

    @state("take.question", f"empty {_kind}", user=TAKING_PRACTITIONER)
    def _(v: Visit, kind: str = _kind) -> None:
        attempt = open_attempt(v.page, TAKING_PRACTITIONER)
        v.page.goto(f"{attempt}/questions/{first_question_of_type(kind)['id']}")


for _kind in ("single", "ordering"):

    @state("take.question", f"errors {_kind}", user=TAKING_PRACTITIONER)
    def _(v: Visit, kind: str = _kind) -> None:
        attempt = open_attempt(v.page, TAKING_PRACTITIONER)
        v.page.goto(f"{attempt}/questions/{first_question_of_type(kind)['id']}")
        if kind == "ordering":  # one position given twice
            v.page.get_by_role("combobox").nth(0).select_option("1")
            v.page.get_by_role("combobox").nth(1).select_option("1")
        submit(v.page, "Save and continue")
        expect_errors(v.page)


@state("take.question", "filled", user=TAKING_PRACTITIONER)
def _(v: Visit) -> None:
    attempt = open_attempt(v.page, TAKING_PRACTITIONER)
    question = first_question_of_type("multiple")
    v.page.goto(f"{attempt}/questions/{question['id']}")
    answers = v.page.get_by_role("group", name="Your answer").get_by_role("checkbox")
    answers.nth(0).check()
    answers.nth(1).check()
    v.page.get_by_role("group", name="How sure are you?").get_by_role("radio").nth(1).check()
    submit(v.page, "Save and continue")
    v.page.goto(f"{attempt}/questions/{question['id']}")
    expect(answers.nth(0)).to_be_checked()


#: The branching scenario built on the HS review (question_banks/), and people of their
#: own for its pages (Probation and Housing, quizapp/demo.py).
SCENARIO_TITLE = "Baby HS (2016): when you disagree with the conference"
SCENARIO_PRACTITIONER = "leah.brown.31@demo.test"
SCENARIO_ENDED_PRACTITIONER = "mo.islam.32@demo.test"


def open_scenario(page: Page) -> None:
    """The person's attempt at the conference scenario, at its current decision."""
    page.goto("/checks/")
    page.get_by_role("link", name=SCENARIO_TITLE, exact=True).click()
    page.get_by_role("button", name=re.compile("^(Start check|Continue your check)")).click()
    past_confidence(page)
    if "/stages/" in page.url:
        page.get_by_role("button", name="Continue").click()
    if page.url.endswith("/check-answers"):  # the path already ended (another state)
        page.goto(page.url.replace("/check-answers", "/questions/conference-challenge"))


def make_decision(page: Page, index: int = 0) -> None:
    page.get_by_role("group", name="What do you do?").get_by_role("radio").nth(index).check()
    page.get_by_role("group", name="How sure are you?").get_by_label("Fairly sure").check()
    submit(page, "Make this decision")
    expect(page.locator("#choice-feedback")).to_be_visible()


def walk_to_an_ending(page: Page) -> None:
    open_scenario(page)
    for _ in range(60):
        if page.get_by_text("Your decisions are saved.").count():
            return
        make_decision(page)
    raise AssertionError("no ending reached")


@state("take.question", "scenario decision", user=SCENARIO_PRACTITIONER)
def _(v: Visit) -> None:
    open_scenario(v.page)
    expect(v.page.get_by_role("group", name="What do you do?")).to_be_visible()


@state("take.question", "scenario feedback", user=SCENARIO_PRACTITIONER)
def _(v: Visit) -> None:
    open_scenario(v.page)
    make_decision(v.page)


@state("take.question", "errors scenario", user=SCENARIO_PRACTITIONER)
def _(v: Visit) -> None:
    open_scenario(v.page)
    submit(v.page, "Make this decision")
    expect_errors(v.page)


@state("take.question", "scenario ending", user=SCENARIO_ENDED_PRACTITIONER)
def _(v: Visit) -> None:
    walk_to_an_ending(v.page)


@state("take.result", "scenario", user=SCENARIO_ENDED_PRACTITIONER)
def _(v: Visit) -> None:
    walk_to_an_ending(v.page)
    v.page.get_by_role("button", name="Continue").click()
    submit(v.page, "Submit answers")
    v.page.get_by_text("Feedback on question 1").click()
    expect(v.page.get_by_text("Your path").first).to_be_visible()


@state("author.version", "scenario", user=AUTHOR)
def _(v: Visit) -> None:
    v.page.goto("/author/")
    v.page.get_by_role("link", name=SCENARIO_TITLE, exact=True).click()
    v.page.get_by_role("link", name="Version 1", exact=True).click()


@state("take.check_answers", "errors", user=TAKING_PRACTITIONER)
def _(v: Visit) -> None:
    attempt = open_attempt(v.page, TAKING_PRACTITIONER)
    v.page.goto(f"{attempt}/check-answers")
    submit(v.page, "Submit answers")
    expect(v.page.get_by_role("alert")).to_contain_text("You have not answered every question")


@state("take.check_answers", "filled", user=TAKING_PRACTITIONER)
def _(v: Visit) -> None:
    attempt = open_attempt(v.page, TAKING_PRACTITIONER)
    v.page.goto(f"{attempt}/check-answers")


@state("take.result", "passed", user=PASSED_PRACTITIONER)
def _(v: Visit) -> None:
    open_hs_check(v.page)
    v.page.get_by_role("table").get_by_role("link").first.click()


@state("take.result", "not passed", user=FAILED_PRACTITIONER)
def _(v: Visit) -> None:
    open_hs_check(v.page)
    v.page.get_by_role("table").get_by_role("link").first.click()
    expect(v.page.get_by_role("heading", level=1)).to_have_text("You have not passed yet")


@state("take.result", "feedback open", user=FAILED_PRACTITIONER)
def _(v: Visit) -> None:
    """Every question's feedback and the certainty-based mark's explanation opened, so
    that axe and the reflow checks see what the closed details components hold."""
    open_hs_check(v.page)
    v.page.get_by_role("table").get_by_role("link").first.click()
    expect(v.page.get_by_role("heading", level=1)).to_have_text("You have not passed yet")
    summaries = v.page.locator("summary")
    expect(summaries.first).to_be_visible()
    for index in range(summaries.count()):
        summaries.nth(index).click()
    expect(v.page.locator("details:not([open])")).to_have_count(0)


#: A check of the page states' own that asks confidence before and after (its findings
#: carry confidence phrasing) and the reaction questions; one question, so a state can
#: reach its result quickly. Its people: one who starts and never rates, one who submits.
CONFIDENCE_BANK_KEY = "browser-confidence-bank"
CONFIDENCE_TITLE = "Browser confidence check"
CONFIDENCE_STARTER = "rhys.ahmed.36@demo.test"
CONFIDENCE_FINISHER = "sara.hughes.37@demo.test"
CONFIDENCE_BANK = f"""format: 1
id: {CONFIDENCE_BANK_KEY}
title: "{CONFIDENCE_TITLE}"
summary: A one-question check that asks how confident people are, before and after.
source:
  publisher: Browser Test Partnership
  title: Browser test briefing
signposting: Ask your safeguarding lead.
findings:
  - id: sharing
    kind: concern
    text: Information was not shared.
  - id: curiosity
    kind: concern
    text: Professionals accepted what they were told.
stages:
  - id: only
    title: The only part
    narrative: The story.
questions:
  - id: agrees
    stage: only
    type: true_false
    findings: [sharing, curiosity]
    prompt: "**True or false:** agreeing to every action shows the plan is working."
    answer: false
    feedback: What has been done matters more than what is agreed.
    feedback_true: Agreement alone does not show that anything has changed.
    feedback_false: Right, what has been done matters more than what is agreed.
check:
  pass_mark: 50
  certainty: false
  refresh_months: 36
"""
#: Finding key -> confidence phrasing, given at import as a finding's `confidence:` would.
CONFIDENCE_PHRASING = {
    "sharing": "to share information about a baby without the parents' consent",
    "curiosity": "to check what parents tell you against what you see",
}
_IMPORT_WITH_PHRASING = """
import json, sys
import sqlalchemy as sa
from quizapp import create_app
from quizapp.banks import content_hash, load_bank_text
from quizapp.banks.importer import import_bank
from quizapp.extensions import db
from quizapp.models import Bank, utcnow

text, phrasing = sys.stdin.read().split("\\n---phrasing---\\n")
phrasing = json.loads(phrasing)
with create_app().app_context():
    result = load_bank_text(text, "confidence.yaml")
    assert not result.errors, result.errors
    data = result.bank.to_data()
    if db.session.scalar(sa.select(Bank).where(Bank.key == data["id"])) is None:
        for finding in data["findings"]:
            finding["confidence"] = phrasing.get(finding["id"])
        import_bank(data, content_hash(result.bank), now=utcnow())
        db.session.commit()
"""


def ensure_confidence_check(server: Server) -> None:
    """Import the confidence check once, with its findings' phrasing."""
    key = ("confidence-bank", server.url)
    if key in _found:
        return
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_WITH_PHRASING],
        input=CONFIDENCE_BANK + "\n---phrasing---\n" + json.dumps(CONFIDENCE_PHRASING),
        env=server.environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    _found[key] = "imported"


def open_confidence_check(v: Visit) -> None:
    """Start or continue the confidence check: "Before you start" while nothing is rated."""
    ensure_confidence_check(v.server)
    v.page.goto("/checks/")
    v.page.get_by_role("link", name=CONFIDENCE_TITLE, exact=True).click()
    v.page.get_by_role("button", name=re.compile(r"^(Start check|Continue your check)$")).click()


def confidence_result(v: Visit) -> str:
    """The finisher's submitted attempt at the confidence check (made once, through the
    pages, skipping the questions before); return its address, /checks/attempts/N."""
    key = ("confidence-result", CONFIDENCE_FINISHER)
    if key not in _found:
        ensure_confidence_check(v.server)
        v.page.goto("/checks/")
        v.page.get_by_role("link", name=CONFIDENCE_TITLE, exact=True).click()
        past = v.page.get_by_role("table").get_by_role("link")
        if past.count():
            past.first.click()
        else:
            v.page.get_by_role(
                "button", name=re.compile(r"^(Start check|Continue your check)$")
            ).click()
            if v.page.url.endswith("/confidence"):
                submit(v.page, "Skip these questions")
            if "/stages/" in v.page.url:
                v.page.get_by_role("button", name="Continue").click()
            v.page.get_by_label("False", exact=True).check()
            submit(v.page, "Save and continue")
            submit(v.page, "Submit answers")
        expect(v.page.get_by_text("Feedback on each question")).to_be_visible()
        match = re.search(r"/checks/attempts/\d+", v.page.url)
        assert match, v.page.url
        _found[key] = match.group(0)
    return _found[key]


@state("take.confidence_before", "empty", user=CONFIDENCE_STARTER)
def _(v: Visit) -> None:
    open_confidence_check(v)
    expect(v.page.get_by_role("heading", level=1)).to_have_text("Before you start")


@state("take.confidence_before", "errors", user=CONFIDENCE_STARTER)
def _(v: Visit) -> None:
    open_confidence_check(v)
    v.page.get_by_role("group", name=re.compile("to share information")).get_by_label(
        "Quite confident"
    ).check()
    submit(v.page, "Continue")
    expect_errors(v.page)


@state("take.result", "quick questions", user=CONFIDENCE_FINISHER)
def _(v: Visit) -> None:
    v.page.goto(f"{confidence_result(v)}/result")
    expect(v.page.get_by_role("heading", name="A few quick questions")).to_be_visible()


@state("take.confidence_after", "empty", user=CONFIDENCE_FINISHER)
def _(v: Visit) -> None:
    v.page.goto(f"{confidence_result(v)}/result")
    v.page.get_by_role("button", name="Answer the quick questions").click()
    expect(v.page.get_by_role("heading", level=1)).to_have_text("How confident you feel now")


@state("take.confidence_after", "errors", user=CONFIDENCE_FINISHER)
def _(v: Visit) -> None:
    v.page.goto(f"{confidence_result(v)}/confidence-after")
    submit(v.page, "Continue")
    expect_errors(v.page)


@state("take.reaction_questions", "empty", user=CONFIDENCE_FINISHER)
def _(v: Visit) -> None:
    v.page.goto(f"{confidence_result(v)}/reaction")
    expect(v.page.get_by_role("heading", level=1)).to_have_text("What you thought of the check")


# The follow-up some weeks after a pass -------------------------------------------------


@state("take.your_checks", "follow-ups")
def _(v: Visit) -> None:
    open_follow_up(v, FOLLOW_UP_VIEWER)
    v.page.goto("/checks/")
    expect(v.page.get_by_role("heading", name="Follow-ups")).to_be_visible()


@state("follow_up.start", "open")
def _(v: Visit) -> None:
    open_follow_up(v, FOLLOW_UP_VIEWER)


@state("follow_up.question", "empty")
def _(v: Visit) -> None:
    open_follow_up(v, FOLLOW_UP_VIEWER)
    v.page.get_by_role("button", name="Start follow-up").click()
    expect(v.page.get_by_role("heading", level=1)).to_have_text("Question 1 of 1")


@state("follow_up.question", "errors")
def _(v: Visit) -> None:
    open_follow_up(v, FOLLOW_UP_VIEWER)
    v.page.get_by_role("button", name="Start follow-up").click()
    submit(v.page, "Save and continue")
    expect_errors(v.page)


for _step, _heading in (
    ("confidence", "How confident you feel now"),
    ("practice", "Have you used this learning in your practice since?"),
):

    @state(f"follow_up.{_step}", "empty")
    def _(v: Visit, step: str = _step, heading: str = _heading) -> None:
        v.page.goto(f"{open_follow_up(v, FOLLOW_UP_VIEWER)}/{step}")
        expect(v.page.get_by_role("heading", level=1)).to_have_text(heading)

    @state(f"follow_up.{_step}", "errors")
    def _(v: Visit, step: str = _step) -> None:
        v.page.goto(f"{open_follow_up(v, FOLLOW_UP_VIEWER)}/{step}")
        submit(v.page, "Save and continue")
        expect_errors(v.page)


@state("follow_up.check_answers", "errors")
def _(v: Visit) -> None:
    v.page.goto(f"{open_follow_up(v, FOLLOW_UP_VIEWER)}/check-answers")
    submit(v.page, "Send follow-up")
    expect(v.page.get_by_role("alert")).to_contain_text("You have not answered everything")


@state("follow_up.done", "sent")
def _(v: Visit) -> None:
    url = open_follow_up(v, FOLLOW_UP_SENDER)
    if v.page.url.endswith("/done"):
        return
    page = v.page
    page.get_by_role("button", name="Start follow-up").click()
    page.get_by_role("group", name="True or false?").get_by_label("False", exact=True).check()
    page.get_by_role("group", name="How sure are you?").get_by_label("Very sure").check()
    submit(page, "Save and continue")
    submit(page, "Skip these questions")
    page.get_by_label("Yes", exact=True).check()
    submit(page, "Save and continue")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    submit(page, "Send follow-up")
    expect(page).to_have_url(f"{url}/done")


# Authors ------------------------------------------------------------------------------


@state("author.banks", "results", user=AUTHOR)
def _(v: Visit) -> None:
    v.page.goto("/author/")


@state("author.bank", "results", user=AUTHOR)
def _(v: Visit) -> None:
    v.page.goto("/author/")
    v.page.get_by_role("link", name=HS_TITLE, exact=True).click()


@state("author.version", "results", user=AUTHOR)
def _(v: Visit) -> None:
    v.page.goto("/author/")
    v.page.get_by_role("link", name=HS_TITLE, exact=True).click()
    v.page.get_by_role("link", name="Version 1", exact=True).click()


@state("author.version", "what changed", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_update_bank(v)
    v.page.goto(f"/author/banks/{UPDATE_BANK_KEY}/versions/2")
    expect(v.page.get_by_text("Question text").first).to_be_visible()


@state("author.version_statistics", "results", user=AUTHOR)
def _(v: Visit) -> None:
    v.page.goto("/author/")
    v.page.get_by_role("link", name=HS_TITLE, exact=True).click()
    v.page.get_by_role("link", name="Version 1", exact=True).click()
    v.page.get_by_role("link", name="Question statistics for version 1").click()


@state("author.upload", "empty", user=AUTHOR)
def _(v: Visit) -> None:
    v.page.goto("/author/upload")


@state("author.upload", "errors", user=AUTHOR)
def _(v: Visit) -> None:
    v.page.goto("/author/upload")
    submit(v.page, "Upload as a draft")
    expect_errors(v.page)


@state("author.upload", "file with errors", user=AUTHOR)
def _(v: Visit) -> None:
    v.page.goto("/author/upload")
    v.page.get_by_label("Upload a bank file").set_input_files(
        {"name": "broken.yaml", "mimeType": "application/x-yaml", "buffer": b"format: 1\nid: x\n"}
    )
    submit(v.page, "Upload as a draft")
    expect_errors(v.page)


@state("author.import_questions", "empty", user=AUTHOR)
def _(v: Visit) -> None:
    v.page.goto("/author/import")


@state("author.import_questions", "a file with problems", user=AUTHOR)
def _(v: Visit) -> None:
    v.page.goto("/author/import")
    v.page.get_by_label("Upload a file of questions").set_input_files(
        {"name": "quiz.xml", "mimeType": "application/xml", "buffer": b"<quiz><question"}
    )
    submit(v.page, "Make a draft")
    expect_errors(v.page)


@state("author.draft", "made from a Moodle GIFT file", user=AUTHOR)
def _(v: Visit) -> None:
    gift = ROOT / ".." / "shared" / "fixtures" / "moodle" / "gift" / "questions.gift.txt"
    v.page.goto("/author/import")
    v.page.get_by_label("Upload a file of questions").set_input_files(str(gift))
    submit(v.page, "Make a draft")
    expect(v.page.get_by_text("How questions.gift.txt was read")).to_be_visible()


@state("author.draft", "needs a second author", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_approval_draft(v)


@state("author.draft", "a second author may approve", user=ADMIN)
def _(v: Visit) -> None:
    ensure_approval_draft(Visit(v.open_as(AUTHOR), v.server, v.open_as))
    v.page.goto(f"/author/banks/{APPROVAL_BANK_KEY}/draft")
    expect(v.page.get_by_role("button", name="Approve this draft")).to_be_visible()


def ensure_approval_draft(v: Visit) -> None:
    """The author's draft of a bank that needs a second author; leaves the page on it."""
    response = v.page.goto(f"/author/banks/{APPROVAL_BANK_KEY}/draft")
    if response is not None and response.ok:
        return
    if response is not None and response.status == 404 and "approval" not in _found:
        import_from_command_line(v.server, bank_file(APPROVAL_BANK_KEY, APPROVAL_BANK_TITLE))
        _found["approval"] = APPROVAL_BANK_KEY
    v.page.goto(f"/author/banks/{APPROVAL_BANK_KEY}")
    settings = v.page.get_by_role("group", name="Publishing needs a second author")
    settings.get_by_label("On", exact=True).check()
    submit(v.page, "Save settings")
    v.page.get_by_role("button", name="Start a new draft").click()
    expect(v.page.get_by_text("needs a second author", exact=False).first).to_be_visible()


@state("author.upload", "a draft in the way", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    v.page.goto("/author/upload")
    text = bank_file(STATES_BANK_KEY, STATES_BANK_TITLE, **{"pass_mark:": "pass_mark: 70\n#"})
    v.page.get_by_label("Upload a bank file").set_input_files(
        {"name": "states.yaml", "mimeType": "application/x-yaml", "buffer": text.encode()}
    )
    submit(v.page, "Upload as a draft")
    expect_errors(v.page)
    expect(v.page.get_by_label("Replace the current draft with this file")).to_be_visible()


@state("author.restore_version", "a draft in the way", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_update_bank(v)
    v.page.goto(f"/author/banks/{UPDATE_BANK_KEY}/versions/1")
    submit(v.page, "Restore as a new draft")
    expect_errors(v.page)


@state("author.new_from_briefing", "empty", user=AUTHOR)
def _(v: Visit) -> None:
    v.page.goto("/author/briefings/new")


@state("author.new_from_briefing", "errors", user=AUTHOR)
def _(v: Visit) -> None:
    v.page.goto("/author/briefings/new")
    v.page.get_by_role("button", name=re.compile("^(Make|Start|Create)")).first.click()
    expect_errors(v.page)


@state("author.draft", "filled", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)


@state("author.publish", "errors", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    # The draft is the same as the published version: nothing to publish yet.
    submit(v.page, "Publish version")
    expect(v.page.get_by_role("alert")).to_be_visible()


@state("author.draft_details", "filled", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    v.page.get_by_role("link", name="Change details of the bank").click()


@state("author.draft_details", "errors", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    v.page.get_by_role("link", name="Change details of the bank").click()
    v.page.get_by_label("Title", exact=True).fill("")
    submit(v.page, "Save")
    expect_errors(v.page)


@state("author.draft_item", "filled finding", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    v.page.get_by_role("link", name=re.compile("^Change finding ")).first.click()


@state("author.draft_item", "errors finding", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    v.page.get_by_role("button", name="Add a finding").click()
    v.page.get_by_label("The finding as practice (optional)").fill("How confident are you?")
    submit(v.page, "Save")
    expect_errors(v.page)


@state("author.draft_item", "filled part", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    v.page.get_by_role("link", name="Change part 1").click()


@state("author.draft_item", "errors part", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    v.page.get_by_role("button", name="Add a part of the story").click()
    submit(v.page, "Save")
    expect_errors(v.page)


for _kind in ("single", "multiple", "true_false", "ordering", "reflection"):

    @state("author.draft_question", f"filled {_kind}", user=AUTHOR)
    def _(v: Visit, kind: str = _kind) -> None:
        ensure_states_bank(v.page)
        question_id = first_question_of_type(kind)["id"]
        v.page.get_by_role("link", name=f"Change question {question_id}", exact=True).click()


@state("author.draft_question", "in a pool", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    question_id = next(q["id"] for q in hs_questions() if q.get("pool"))
    v.page.get_by_role("link", name=f"Change question {question_id}", exact=True).click()
    expect(v.page.get_by_role("group", name=re.compile("Pool"))).to_be_visible()


@state("author.draft_question", "errors", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    question_id = first_question_of_type("single")["id"]
    v.page.get_by_role("link", name=f"Change question {question_id}", exact=True).click()
    v.page.get_by_label("Question", exact=True).fill("")
    submit(v.page, "Save question")
    expect_errors(v.page)


@state("author.change_question_type", "filled", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    question_id = first_question_of_type("single")["id"]
    v.page.get_by_role("link", name=f"Change question {question_id}", exact=True).click()
    v.page.get_by_role("link", name=f"Change question type of question {question_id}").click()


@state("author.draft_update", "choices", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_update_bank(v)


@state("author.draft_update", "errors", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_update_bank(v)
    submit(v.page, "Update my draft")
    expect_errors(v.page)


@state("author.new_question", "empty", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    v.page.get_by_role("button", name="Add a question").click()


@state("author.new_question", "errors", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    v.page.get_by_role("button", name="Add a question").click()
    submit(v.page, "Continue")
    expect_errors(v.page)


@state("author.add_question", "empty", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    v.page.get_by_role("button", name="Add a question").click()
    v.page.get_by_label("Multiple choice").check()
    submit(v.page, "Continue")


@state("author.add_question", "empty scenario", user=AUTHOR)
def _(v: Visit) -> None:
    """A new branching scenario: the nodes box holds the starter graph."""
    ensure_states_bank(v.page)
    v.page.get_by_role("button", name="Add a question").click()
    v.page.get_by_label("Branching scenario").check()
    submit(v.page, "Continue")
    expect(v.page.get_by_label("Nodes (YAML)")).to_contain_text("start: first-decision")


@state("author.add_question", "errors scenario", user=AUTHOR)
def _(v: Visit) -> None:
    """The nodes box refused: the error summary names the place in the graph."""
    ensure_states_bank(v.page)
    v.page.get_by_role("button", name="Add a question").click()
    v.page.get_by_label("Branching scenario").check()
    submit(v.page, "Continue")
    v.page.get_by_label("Question", exact=True).fill("A scene.")
    v.page.get_by_role("group", name="Findings this question tests").get_by_role(
        "checkbox"
    ).first.check()
    v.page.get_by_label("Feedback for everyone after answering").fill("Act on concerns.")
    box = v.page.get_by_label("Nodes (YAML)")
    box.fill(box.input_value().replace("next: concern-missed", "next: nowhere"))
    submit(v.page, "Save question")
    expect_errors(v.page)
    expect(v.page.locator(".govuk-error-summary")).to_contain_text("nowhere")


@state("author.add_question", "errors", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    v.page.get_by_role("button", name="Add a question").click()
    v.page.get_by_role("radio").first.check()
    submit(v.page, "Continue")
    submit(v.page, "Save question")
    expect_errors(v.page)


@state("author.preview_stage", "filled", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    v.page.get_by_role("link", name="Preview the draft as a practitioner").click()


@state("author.preview_question", "empty", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    v.page.get_by_role("link", name="Preview the draft as a practitioner").click()
    v.page.get_by_role("button", name="Continue").click()


@state("author.preview_question", "errors", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    v.page.get_by_role("link", name="Preview the draft as a practitioner").click()
    v.page.get_by_role("button", name="Continue").click()
    submit(v.page, "Save and continue")
    expect_errors(v.page)


@state("author.preview_result", "results", user=AUTHOR)
def _(v: Visit) -> None:
    ensure_states_bank(v.page)
    v.page.goto(f"/author/banks/{STATES_BANK_KEY}/draft/preview/result")


# Administrators and leads -------------------------------------------------------------


@state("admin.home", "filled", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/")


@state("admin.agencies", "results", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/agencies/")


@state("admin.agency", "results", user=ADMIN)
def _(v: Visit) -> None:
    ensure_states_agency(v.page)


@state("admin.add_team", "errors", user=ADMIN)
def _(v: Visit) -> None:
    ensure_states_agency(v.page)
    submit(v.page, "Add team")
    expect_errors(v.page)


@state("admin.add_agency", "empty", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/agencies/")
    v.page.get_by_role("button", name="Add an agency").click()


@state("admin.add_agency", "errors", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/agencies/")
    v.page.get_by_role("button", name="Add an agency").click()
    submit(v.page, "Save agency")
    expect_errors(v.page)


@state("admin.edit_agency", "filled", user=ADMIN)
def _(v: Visit) -> None:
    ensure_states_agency(v.page)
    v.page.get_by_role("link", name="Change agency details").first.click()


@state("admin.edit_agency", "errors", user=ADMIN)
def _(v: Visit) -> None:
    ensure_states_agency(v.page)
    v.page.get_by_role("link", name="Change agency details").first.click()
    v.page.get_by_label("Name").fill("")
    submit(v.page, "Save agency")
    expect_errors(v.page)


@state("admin.rename_team", "filled", user=ADMIN)
def _(v: Visit) -> None:
    ensure_states_agency(v.page)
    v.page.get_by_role("link", name=f"Rename {STATES_TEAM}").click()


@state("admin.rename_team", "errors", user=ADMIN)
def _(v: Visit) -> None:
    ensure_states_agency(v.page)
    v.page.get_by_role("link", name=f"Rename {STATES_TEAM}").click()
    v.page.get_by_role("textbox").fill("")
    submit(v.page, "Save team")
    expect_errors(v.page)


@state("admin.remove_team", "filled", user=ADMIN)
def _(v: Visit) -> None:
    ensure_states_agency(v.page)
    v.page.get_by_role("link", name=f"Remove {STATES_TEAM}").click()


#: A single sign-on provider of the page states' own (by email domain: the states agency's).
STATES_PROVIDER = "Browser states account"


def ensure_states_provider(page: Page) -> None:
    """Leaves the page on the providers list, with the states' provider on it."""
    page.goto("/admin/single-sign-on/")
    if page.get_by_role("link", name=f"Change {STATES_PROVIDER}").count():
        return
    page.get_by_role("button", name="Add a provider").click()
    page.get_by_label("Name on the sign-in button").fill(STATES_PROVIDER)
    page.get_by_label("Short name for the web address").fill("browser-states")
    page.get_by_label("Metadata address").fill(
        "https://login.example.org/tenant/v2.0/.well-known/openid-configuration"
    )
    page.get_by_label("Client ID").fill("browser-states-client")
    page.get_by_label("Client secret").fill("browser-states-secret")
    page.get_by_label("Email domains (if by email address)").fill(STATES_DOMAIN)
    submit(page, "Save provider")
    expect(page.get_by_role("link", name=f"Change {STATES_PROVIDER}")).to_be_visible()


@state("admin.sso_providers", "results", user=ADMIN)
def _(v: Visit) -> None:
    ensure_states_provider(v.page)


@state("admin.new_sso_provider", "empty", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/single-sign-on/")
    v.page.get_by_role("button", name="Add a provider").click()


@state("admin.new_sso_provider", "errors", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/single-sign-on/")
    v.page.get_by_role("button", name="Add a provider").click()
    submit(v.page, "Save provider")
    expect_errors(v.page)


@state("admin.edit_sso_provider", "filled", user=ADMIN)
def _(v: Visit) -> None:
    ensure_states_provider(v.page)
    v.page.get_by_role("link", name=f"Change {STATES_PROVIDER}").click()


@state("admin.edit_sso_provider", "errors", user=ADMIN)
def _(v: Visit) -> None:
    ensure_states_provider(v.page)
    v.page.get_by_role("link", name=f"Change {STATES_PROVIDER}").click()
    v.page.get_by_label("Client ID").fill("")
    submit(v.page, "Save provider")
    expect_errors(v.page)


@state("admin.agency_sign_in", "filled", user=ADMIN)
def _(v: Visit) -> None:
    ensure_states_agency(v.page)
    v.page.get_by_role("link", name="Change how people sign in").click()


@state("admin.agency_sign_in", "errors", user=ADMIN)
def _(v: Visit) -> None:
    """An agency with no provider can't require single sign-on: nothing changes."""
    v.page.goto("/admin/agencies/")
    v.page.get_by_role("link", name=HOUSING).click()
    v.page.get_by_role("link", name="Change how people sign in").click()
    v.page.get_by_label("With single sign-on only").check()
    submit(v.page, "Save")
    expect_errors(v.page)


@state("admin.people", "empty", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/people/")


@state("admin.people", "results", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/people/")
    v.page.get_by_label("Agency").select_option(label="Police")
    submit(v.page, "Show people")
    expect(v.page.get_by_role("table")).to_be_visible()


@state("admin.people", "results for a lead", user=POLICE_LEAD)
def _(v: Visit) -> None:
    v.page.goto("/admin/people/")


@state("admin.upload_people", "empty", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/people/upload")


@state("admin.upload_people", "errors", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/people/upload")
    submit(v.page, "Check the file")
    expect_errors(v.page)


@state("admin.upload_people", "file with problems", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/people/upload")
    v.page.get_by_label("Upload a CSV file").set_input_files(
        people_csv(["Ann Example,not-an-email,Police,Constable,Tier 1", "No Agency,x@y.test,,,"])
    )
    submit(v.page, "Check the file")


@state("admin.upload_people", "rows a lead may not change", user=POLICE_LEAD)
def _(v: Visit) -> None:
    v.page.goto("/admin/people/upload")
    v.page.get_by_label("Upload a CSV file").set_input_files(
        people_csv(
            [
                "Pat Preview,pat.preview@demo.test,Police,Police constable,Tier 1",
                f"Ade Adeyemi,{ADMIN},Police,Police constable,Tier 1",
                f"Priya Patel,{PRACTITIONER},Police,Police constable,Tier 1",
            ]
        )
    )
    submit(v.page, "Check the file")
    problems = v.page.locator("#problem-rows")
    expect(problems.get_by_text("This email address can't be added here")).to_have_count(2)
    expect(problems).not_to_contain_text("NHS Hospital Trust")


def open_person(page: Page, name: str, agency: str | None = HOUSING) -> None:
    """A person's page, from the people list (an agency lead's list has no agency to
    choose: pass None)."""
    page.goto("/admin/people/")
    if agency is not None:
        page.get_by_label("Agency").select_option(label=agency)
        submit(page, "Show people")
    page.get_by_label("Name or email address").fill(name)
    submit(page, "Show people")
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()


@state("admin.people", "filtered", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/people/")
    v.page.get_by_label("Agency").select_option(label=HOUSING)
    submit(v.page, "Show people")
    v.page.get_by_label("Account").select_option(label="Never signed in")
    submit(v.page, "Show people")
    expect(v.page.get_by_role("link", name=NEVER_SIGNED_IN)).to_be_visible()


@state("admin.people", "no matches", user=POLICE_LEAD)
def _(v: Visit) -> None:
    v.page.goto("/admin/people/")
    v.page.get_by_label("Name or email address").fill("nobody by this name")
    submit(v.page, "Show people")
    expect(v.page.get_by_text("matches the filters")).to_be_visible()


@state("admin.person", "invited", user=ADMIN)
def _(v: Visit) -> None:
    open_person(v.page, INVITED)


@state("admin.person", "never signed in", user=ADMIN)
def _(v: Visit) -> None:
    open_person(v.page, NEVER_SIGNED_IN)


@state("admin.person", "left", user=ADMIN)
def _(v: Visit) -> None:
    open_person(v.page, LEFT)


@state("admin.person", "active, for a lead", user=POLICE_LEAD)
def _(v: Visit) -> None:
    open_person(v.page, "Femi Singh", agency=None)


@state("admin.person_details", "filled", user=ADMIN)
def _(v: Visit) -> None:
    open_person(v.page, NEVER_SIGNED_IN)
    v.page.get_by_role("link", name="Change details").first.click()


@state("admin.person_details", "errors", user=ADMIN)
def _(v: Visit) -> None:
    open_person(v.page, NEVER_SIGNED_IN)
    v.page.get_by_role("link", name="Change details").first.click()
    v.page.get_by_label("Full name").fill("")
    submit(v.page, "Save changes")
    expect_errors(v.page)


@state("admin.person_roles", "filled", user=ADMIN)
def _(v: Visit) -> None:
    open_person(v.page, NEVER_SIGNED_IN)
    v.page.get_by_role("link", name="Change roles").click()


@state("admin.person_teams", "filled", user=ADMIN)
def _(v: Visit) -> None:
    open_person(v.page, MANAGER_NAME, agency="Police")
    v.page.get_by_role("link", name="Change teams they manage").click()


@state("admin.person_agency", "filled", user=ADMIN)
def _(v: Visit) -> None:
    open_person(v.page, NEVER_SIGNED_IN)
    v.page.get_by_role("link", name="Change agency").click()


@state("admin.person_leave", "filled", user=ADMIN)
def _(v: Visit) -> None:
    open_person(v.page, NEVER_SIGNED_IN)
    v.page.get_by_role("button", name="Mark as left").click()
    expect(v.page.get_by_role("heading", level=1)).to_contain_text("Are you sure")


@state("admin.person_invite", "filled", user=ADMIN)
def _(v: Visit) -> None:
    open_person(v.page, NEVER_SIGNED_IN)
    v.page.get_by_role("button", name=f"Invite {NEVER_SIGNED_IN}").click()


@state("admin.person_anonymise", "filled", user=ADMIN)
def _(v: Visit) -> None:
    open_person(v.page, "Kiran Reid", agency="Integrated Care Board")
    v.page.get_by_role("button", name="Anonymise Kiran Reid").click()
    expect(v.page.get_by_role("heading", level=1)).to_contain_text("Are you sure")


@state("admin.person_anonymise", "refused", user=ADMIN)
def _(v: Visit) -> None:
    # No page links to anonymising yourself: the address is typed.
    v.page.goto(f"/admin/people/{user_id(v.server, ADMIN)}/anonymise")
    expect(v.page.get_by_text("You can't anonymise your own account")).to_be_visible()


@state("admin.invitations", "results", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/people/")
    v.page.get_by_role("link", name="Invitations waiting to be accepted").click()
    expect(v.page.get_by_text("tariq.aziz@demo.test")).to_be_visible()


@state("admin.invitations", "results for a lead", user=POLICE_LEAD)
def _(v: Visit) -> None:
    v.page.goto("/admin/people/")
    v.page.get_by_role("link", name="Invitations waiting to be accepted").click()


@state("admin.invite_everyone", "filled", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/people/")
    v.page.get_by_label("Agency").select_option(label=HOUSING)
    submit(v.page, "Show people")
    v.page.get_by_role("link", name=f"Invite everyone in {HOUSING} who has never signed in").click()
    expect(v.page.get_by_role("button", name=re.compile(r"^Send \d+ invitation"))).to_be_visible()


@state("admin.upload_new_team", "filled", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/people/upload")
    v.page.get_by_label("Upload a CSV file").set_input_files(
        {
            "name": "people.csv",
            "mimeType": "text/csv",
            "buffer": b"name,email,agency,team\nPat Team,pat.team@demo.test,Police,Night shift\n",
        }
    )
    submit(v.page, "Check the file")
    v.page.get_by_role("link", name="Add the team Night shift to Police").click()
    expect(v.page.get_by_role("heading", level=1)).to_contain_text("Add the team Night shift")


@state("admin.upload_preview", "results", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/people/upload")
    v.page.get_by_label("Upload a CSV file").set_input_files(
        people_csv(
            [
                "Pat Preview,pat.preview@demo.test,Police,Police constable,Tier 1",
                "Amy Ahmed,amy.ahmed.0@demo.test,Children's Social Care,Team manager,Level 4",
            ]
        )
    )
    submit(v.page, "Check the file")
    expect(v.page.get_by_role("button", name=re.compile("^Save "))).to_be_visible()


@state("admin.assignments", "results", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/assignments/")


@state("admin.new_assignment", "empty", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/assignments/")
    v.page.get_by_role("button", name="Assign a check").click()


@state("admin.new_assignment", "errors", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/assignments/")
    v.page.get_by_role("button", name="Assign a check").click()
    submit(v.page, "Assign check")
    expect_errors(v.page)


@state("admin.checks", "results", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/checks/")


@state("admin.check_settings", "filled", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/checks/")
    v.page.get_by_role("link", name=re.compile(re.escape(HS_TITLE))).first.click()


@state("admin.check_settings", "errors", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/checks/")
    v.page.get_by_role("link", name=re.compile(re.escape(HS_TITLE))).first.click()
    v.page.get_by_label("Pass mark").fill("101")
    v.page.get_by_label("Follow-up after a pass (weeks)").fill("60")
    submit(v.page, "Save settings")
    expect_errors(v.page)


def change_first_assignment(page: Page) -> None:
    page.goto("/admin/assignments/")
    page.locator("#assignments").get_by_role("link", name=re.compile("^Change")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the assignment")


@state("admin.edit_assignment", "filled", user=ADMIN)
def _(v: Visit) -> None:
    change_first_assignment(v.page)


@state("admin.edit_assignment", "errors", user=ADMIN)
def _(v: Visit) -> None:
    change_first_assignment(v.page)
    v.page.get_by_label("Refresh period in months (optional)").fill("0")
    submit(v.page, "Save changes")
    expect_errors(v.page)


@state("admin.edit_assignment", "past due date warning", user=ADMIN)
def _(v: Visit) -> None:
    change_first_assignment(v.page)
    v.page.get_by_label("By a fixed date").check()
    v.page.get_by_role("textbox", name="Day", exact=True).fill("1")
    v.page.get_by_role("textbox", name="Month", exact=True).fill("2")
    v.page.get_by_role("textbox", name="Year", exact=True).fill("2020")
    submit(v.page, "Save changes")
    expect(v.page.get_by_text("The due date, 1 February 2020, has already passed.")).to_be_visible()
    expect(v.page.get_by_role("button", name="Save anyway")).to_be_visible()


@state("admin.end_assignment", "filled", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/assignments/")
    v.page.locator("#assignments").get_by_role("link", name=re.compile("^End")).first.click()
    expect(v.page.get_by_role("button", name="End assignment")).to_be_visible()


def open_check_settings(page: Page, title: str) -> None:
    page.goto("/admin/checks/")
    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def restore_pilot(page: Page) -> None:
    """Bring the demo's retired pilot back (its assignment has ended: nobody is required)."""
    open_check_settings(page, PILOT_TITLE)
    bring_back = page.get_by_role("button", name="Bring the check back")
    if bring_back.count():
        bring_back.click()
        expect(page.get_by_role("alert")).to_contain_text(f"{PILOT_TITLE} brought back.")


def retire_pilot(page: Page) -> None:
    open_check_settings(page, PILOT_TITLE)
    page.get_by_role("button", name="Retire check").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Are you sure you want to retire this check?"
    )
    page.get_by_role("button", name="Retire check").click()
    expect(page.get_by_role("alert")).to_contain_text(f"{PILOT_TITLE} retired.")


def refused_start_of_pilot(v: Visit) -> None:
    """A practitioner opens the pilot while it is back, and an administrator retires it
    before they press Start: they are refused with a page saying why."""
    admin = v.open_as(ADMIN)
    restore_pilot(admin)
    v.page.goto("/checks/")
    v.page.get_by_role("link", name=PILOT_TITLE, exact=True).click()
    retire_pilot(admin)
    submit(v.page, "Start check")
    expect(v.page.get_by_role("heading", level=1)).to_have_text("You cannot start this check")


@state("admin.retire_check", "filled", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/checks/")
    v.page.get_by_role("link", name=re.compile(re.escape(HS_TITLE))).first.click()
    v.page.get_by_role("button", name="Retire check").click()
    expect(v.page.get_by_role("button", name="Retire check")).to_be_visible()


@state("admin.check_settings", "retired", user=ADMIN)
def _(v: Visit) -> None:
    open_check_settings(v.page, PILOT_TITLE)
    expect(v.page.get_by_role("button", name="Bring the check back")).to_be_visible()


@state("take.start", "retired check", user=REFUSED_PRACTITIONER)
def _(v: Visit) -> None:
    refused_start_of_pilot(v)


@state("take.check_overview", "retired", user=REFUSED_PRACTITIONER)
def _(v: Visit) -> None:
    refused_start_of_pilot(v)
    v.page.get_by_role("link", name="the check's page").click()
    expect(v.page.get_by_text("This check has been retired.")).to_be_visible()


@state("admin.advice_line", "filled", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/")
    v.page.get_by_role("link", name="Your partnership's advice line").click()


@state("admin.advice_line", "errors", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/admin/settings/advice-line")
    v.page.get_by_label("Email address (optional)").fill("not an email")
    submit(v.page, "Save advice line")
    expect_errors(v.page)


@state("admin.agency_assignment_emails", "filled", user=ADMIN)
def _(v: Visit) -> None:
    ensure_states_agency(v.page)
    v.page.get_by_role("link", name="Change assignment emails").click()


@state("admin.agency_reminder_emails", "filled", user=ADMIN)
def _(v: Visit) -> None:
    ensure_states_agency(v.page)
    v.page.get_by_role("link", name="Change reminder emails").click()


@state("auth.new_invitation", "empty", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/invitations/new")


@state("auth.new_invitation", "errors", user=ADMIN)
def _(v: Visit) -> None:
    v.page.goto("/invitations/new")
    submit(v.page, "Send invitation")
    expect_errors(v.page)


@state("auth.new_invitation", "empty for a lead", user=POLICE_LEAD)
def _(v: Visit) -> None:
    v.page.goto("/invitations/new")


# Dashboards ---------------------------------------------------------------------------


@state("dashboards.completion", "results", user=LEAD)
def _(v: Visit) -> None:
    v.page.goto("/dashboards/")


@state("dashboards.completion", "results for an agency lead", user=POLICE_LEAD)
def _(v: Visit) -> None:
    v.page.goto("/dashboards/")


@state("dashboards.completion", "filtered", user=LEAD)
def _(v: Visit) -> None:
    v.page.goto("/dashboards/")
    v.page.get_by_label("Agency", exact=True).select_option(label="Police")
    submit(v.page, "Apply filters")


@state("dashboards.learning", "results", user=LEAD)
def _(v: Visit) -> None:
    v.page.goto("/dashboards/")
    v.page.get_by_role("navigation", name="Dashboards").get_by_role(
        "link", name="Learning landed"
    ).click()


@state("dashboards.learning", "grid at 390px", user=POLICE_LEAD)
def _(v: Visit) -> None:
    v.page.set_viewport_size({"width": 390, "height": 844})
    v.page.goto("/dashboards/learning")
    region = v.page.get_by_role("region", name=re.compile("marks gained on each finding"))
    expect(region.first).to_be_visible()
    # The grid scrolls in its box; the page itself does not scroll sideways.
    assert v.page.evaluate("document.documentElement.scrollWidth") <= 390


@state("dashboards.impact_page", "results", user=LEAD)
def _(v: Visit) -> None:
    v.page.goto("/dashboards/learning")
    v.page.get_by_role("link", name=re.compile("Did the learning change practice")).click()
    expect(v.page.get_by_role("heading", name="Did the learning change practice?")).to_be_visible()


@state("dashboards.impact_page", "at 390px", user=POLICE_LEAD)
def _(v: Visit) -> None:
    v.page.set_viewport_size({"width": 390, "height": 844})
    v.page.goto("/dashboards/")
    v.page.get_by_role("link", name=re.compile("^Impact of")).first.click()
    expect(v.page.get_by_role("heading", name="Did the learning change practice?")).to_be_visible()
    assert v.page.evaluate("document.documentElement.scrollWidth") <= 390


@state("dashboards.finding", "results", user=LEAD)
def _(v: Visit) -> None:
    v.page.goto("/dashboards/learning")
    v.page.get_by_role(
        "link", name=re.compile("figures for each question on this finding")
    ).first.click()


@state(
    "dashboards.scenarios",
    "results",
    user=LEAD,
    note="a check's scenario choices, reached from the learning page's link",
)
def _(v: Visit) -> None:
    v.page.goto("/dashboards/learning")
    v.page.get_by_label("Check").select_option(label=SCENARIO_TITLE)
    v.page.get_by_role("button", name="Apply filters").click()
    v.page.get_by_role("link", name=re.compile("Choices in this check.s scenarios")).click()
    expect(v.page.get_by_role("heading", name="Decision 1")).to_be_visible()


@state("dashboards.overdue", "results", user=POLICE_LEAD)
def _(v: Visit) -> None:
    v.page.goto("/dashboards/")
    v.page.get_by_role("navigation", name="Dashboards").get_by_role(
        "link", name="Overdue people"
    ).click()


@state("dashboards.overdue_email", "confirm", user=POLICE_LEAD)
def _(v: Visit) -> None:
    v.page.goto("/dashboards/overdue")
    v.page.get_by_role("link", name="Email everyone overdue").click()


@state("dashboards.report", "results", user=LEAD)
def _(v: Visit) -> None:
    v.page.goto("/dashboards/")
    v.page.get_by_role("navigation", name="Dashboards").get_by_role(
        "link", name="Yearly report"
    ).click()


# Certificates and the learning record ----------------------------------------------------


def open_certificate(page: Page) -> None:
    open_hs_check(page)
    page.get_by_role("table").get_by_role("link").first.click()
    page.get_by_role("link", name="View and download your certificate").click()


@state("certificates.certificate", "passed", user=PASSED_PRACTITIONER)
def _(v: Visit) -> None:
    open_certificate(v.page)
    expect(v.page.get_by_role("heading", level=1)).to_have_text("Certificate of completion")


@state("certificates.learning_record", "with passes", user=PASSED_PRACTITIONER)
def _(v: Visit) -> None:
    v.page.goto("/checks/")
    v.page.get_by_role("link", name="Your learning record").click()


@state("certificates.learning_record", "with reflections", user=PASSED_PRACTITIONER)
def _(v: Visit) -> None:
    v.page.goto("/account/learning-record")
    v.page.get_by_label("Include my reflections").check()
    v.page.get_by_role("button", name="Update").click()
    expect(v.page.get_by_text("The downloads include your reflections.")).to_be_visible()


@state("certificates.learning_record", "nothing passed", user=NEW_PRACTITIONER)
def _(v: Visit) -> None:
    v.page.goto("/account/learning-record")


@state("certificates.verify", "empty")
def _(v: Visit) -> None:
    v.page.goto("/verify")


@state("certificates.verify", "no code typed")
def _(v: Visit) -> None:
    v.page.goto("/verify")
    v.page.get_by_role("button", name="Check certificate").click()
    expect(v.page.get_by_role("alert")).to_be_visible()


@state("certificates.verify_code", "genuine")
def _(v: Visit) -> None:
    holder = v.open_as(PASSED_PRACTITIONER)
    open_certificate(holder)
    code = holder.locator(".govuk-summary-list__value").last.inner_text().strip()
    v.page.goto("/verify")
    v.page.get_by_label("Verification code").fill(code.lower())
    v.page.get_by_role("button", name="Check certificate").click()
    expect(v.page.get_by_role("heading", level=1)).to_have_text("Genuine certificate")


@state("certificates.verify_code", "not found")
def _(v: Visit) -> None:
    v.page.goto("/verify")
    v.page.get_by_label("Verification code").fill("7K2M-9QXD-4RTB")
    v.page.get_by_role("button", name="Check certificate").click()
    expect(v.page.get_by_role("heading", level=1)).to_have_text("Certificate not found")


# Team managers ------------------------------------------------------------------------


def make_manager(v: Visit) -> None:
    """The administrator ticks the police team on MANAGER's page (again is harmless)."""
    admin = v.open_as(ADMIN)
    open_person(admin, MANAGER_NAME, agency="Police")
    admin.get_by_role("link", name="Change teams they manage").click()
    admin.get_by_label(MANAGED_TEAM).check()
    submit(admin, "Save teams")
    # Back on their page: "Ella Clarke manages ...", or "Nothing changed." the second time.
    expect(admin.get_by_role("heading", level=1, name=MANAGER_NAME)).to_be_visible()
    expect(admin.locator(".govuk-summary-list").get_by_text(MANAGED_TEAM)).to_be_visible()


@state("managers.teams", "all", user=MANAGER, note="reached from the navigation")
def _(v: Visit) -> None:
    make_manager(v)
    v.page.goto("/checks/")
    menu = v.page.get_by_role("button", name="Menu")  # narrow screens fold the navigation
    if menu.is_visible():
        menu.click()
    v.page.get_by_role("link", name="Your teams").click()
    expect(v.page.get_by_role("heading", level=2, name=MANAGED_TEAM)).to_be_visible()


@state("managers.teams", "filtered", user=MANAGER)
def _(v: Visit) -> None:
    make_manager(v)
    v.page.goto("/your-teams/")
    v.page.get_by_label("Status").select_option(label="Overdue")
    submit(v.page, "Apply filters")


# Your data ----------------------------------------------------------------------------


@state("account.your_data", "filled", user=FAILED_PRACTITIONER)
def _(v: Visit) -> None:
    v.page.goto("/account/")


# Everyone -----------------------------------------------------------------------------


@state("pages.accessibility", "filled")
def _(v: Visit) -> None:
    v.page.goto("/accessibility")


@state("pages.help", "filled")
def _(v: Visit) -> None:
    v.page.goto("/sign-in")
    v.page.get_by_role("contentinfo").get_by_role("link", name="Help").click()


# Help is in the navigation too, but on a narrow screen that is behind the "Menu" button:
# the footer's link is there at every width.
@state("pages.help", "filled for someone signed in", user=NEW_PRACTITIONER)
def _(v: Visit) -> None:
    v.page.goto("/")
    v.page.get_by_role("contentinfo").get_by_role("link", name="Help").click()


def _open_guide(v: Visit, title: str) -> None:
    v.page.goto("/")
    v.page.get_by_role("contentinfo").get_by_role("link", name="Help").click()
    v.page.get_by_role("link", name=title, exact=True).click()
    expect(v.page.get_by_role("heading", level=1)).to_have_text(title)


#: Each guide, read by the people it is for (help is public, so anyone may read any).
for _title, _user in (
    ("Taking a check", NEW_PRACTITIONER),
    ("Reading the dashboards", LEAD),
    ("Setting up agencies and people", ADMIN),
    ("Writing and publishing a question bank", AUTHOR),
):

    @state("pages.help_guide", _title.lower(), user=_user)
    def _(v: Visit, title: str = _title) -> None:
        _open_guide(v, title)


def missing_endpoints(get_endpoints: set[str]) -> list[str]:
    """GET endpoints with neither a state nor an exclusion."""
    covered = {s.endpoint for s in STATES} | set(EXCLUDED)
    return sorted(get_endpoints - covered)
